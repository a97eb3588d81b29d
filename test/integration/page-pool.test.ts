// The article stage's CPU half on page threads (workers/page-pool.ts): the same clean articles as
// on the main thread for every fixture page, the same typed errors, a page that hangs its thread
// cut at its deadline while the other pages go on; and, on real Redis, article jobs through the
// runtime with threads: a typed error thrown in a thread fails its job with that code, a poisoned
// page fails with PAGE_TIMEOUT, every other article is published, and close() ends the threads.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, outlets } from '../../fixtures/manifest.ts';
import { cleanArticle, type PageTask } from '../../pipeline/article.ts';
import { textFeatures } from '../../pipeline/dedupe.ts';
import { FeedsiftError, PermanentError } from '../../pipeline/errors.ts';
import type { CleanArticle } from '../../pipeline/records.ts';
import type { ArticleJob } from '../../workers/jobs.ts';
import { createLogger } from '../../workers/log.ts';
import { createPageCleaner, type PageCleaner } from '../../workers/page-pool.ts';
import { startRuntime, waitForDrain } from '../../workers/runtime.ts';
import { readStats } from '../../workers/stats.ts';
import { loopbackConfig } from '../helpers/config.ts';
import { failure } from '../helpers/failure.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

/** Every fixture outlet's page (the seeds, the real Zyte pages, the others) as a page task. */
const fixtureTasks: PageTask[] = outlets.flatMap((o) =>
  o.pages.map((p) => {
    const url = `http://${o.host}:8080${p.path}`;
    return {
      page: { finalUrl: url, status: 200, body: Buffer.from(readFileSync(fixturePath(p.file), 'latin1').replaceAll('{{PORT}}', '8080'), 'latin1'), contentType: p.contentType },
      item: { guid: url, link: url, title: p.title, publishedAt: p.publishedAt },
      feed: { id: o.id, url: `http://${o.host}:8080${o.feed.path}`, name: o.name },
      fetchedAt: '2026-01-02T03:04:05.000Z',
      minWords: 25,
      maxPageChars: 5_000_000,
      maxElements: 50_000,
    };
  }),
);

/** The task with a copy of its page's bytes: a page's own memory moves to the thread (page-pool.ts), and the tests compare with the main thread on the same bytes. */
const own = (t: PageTask): PageTask => ({ ...t, page: { ...t.page, body: Buffer.from(t.page.body) } });

/**
 * A page built to be slow within every limit: 40 chains of <div>s nested 500 deep (under the
 * 512-deep and 50,000-element limits), each around a short paragraph. Readability works on it
 * for tens of seconds (its time grows with the cube of the depth).
 */
const POISON_CHAIN = `${'<div>'.repeat(500)}<p>a b, c.</p>${'</div>'.repeat(500)}`;
const POISON_HTML = `<!doctype html><html><body>${POISON_CHAIN.repeat(40)}</body></html>`;

function taskFor(url: string, html: string, over: Partial<PageTask> = {}): PageTask {
  return {
    page: { finalUrl: url, status: 200, body: Buffer.from(html), contentType: 'text/html; charset=utf-8' },
    item: { guid: url, link: url },
    feed: { id: 'f', url: 'http://threads.test/feed' },
    fetchedAt: '2026-01-02T03:04:05.000Z',
    minWords: 1,
    maxPageChars: 5_000_000,
    maxElements: 50_000,
    ...over,
  };
}

const cleaners: PageCleaner[] = [];
function cleaner(pageTimeoutMs = 60_000): PageCleaner {
  const c = createPageCleaner({ threads: 2, pageTimeoutMs, maxPagesPerThread: 0 });
  cleaners.push(c);
  return c;
}

describe('page threads', () => {
  afterEach(async () => {
    for (const c of cleaners.splice(0)) await c.close();
  });

  it(`clean every fixture page (${fixtureTasks.length}) exactly as the main thread does: text, language, removed blocks, metadata`, async () => {
    const pages = cleaner();
    const threaded = await Promise.all(fixtureTasks.map((t) => pages.clean(own(t))));
    let removed = 0;
    for (const [i, task] of fixtureTasks.entries()) {
      const main = (await cleanArticle(task)) as CleanArticle;
      const thread = threaded[i] as CleanArticle;
      expect(thread.text, task.item.link).toBe(main.text);
      expect(thread.text.length).toBeGreaterThan(0);
      expect([thread.language, thread.languageConfidence]).toEqual([main.language, main.languageConfidence]);
      expect(thread.removed).toEqual(main.removed);
      expect(thread).toEqual(main);
      removed += thread.removed.length;
    }
    expect(removed).toBeGreaterThan(0);
    expect(pages.stats()).toMatchObject({ completed: fixtureTasks.length, crashed: 0, timedOut: 0 });
    expect(pages.stats()!.started).toBeLessThanOrEqual(2);
  });

  it("moves a page's own memory to the thread instead of copying it; a body that shares its memory is copied and stays readable", async () => {
    const pages = cleaner();
    // a body in memory of its own, as a fetched page larger than Node's buffer pool has
    const body = new Uint8Array(fixtureTasks[0]!.page.body.length);
    body.set(fixtureTasks[0]!.page.body);
    const mine = { ...fixtureTasks[0]!, page: { ...fixtureTasks[0]!.page, body } };
    const expected = await cleanArticle(own(fixtureTasks[0]!));
    expect(body.byteLength).toBeGreaterThan(4096);
    expect(await pages.clean(mine)).toEqual(expected);
    // moved: the caller's view of the bytes is empty now
    expect(body.byteLength).toBe(0);
    // a view into a larger buffer (as Node's pool of small buffers gives) is not moved
    const bytes = Buffer.from(fixtureTasks[0]!.page.body);
    const larger = new Uint8Array(bytes.length + 16);
    larger.set(bytes, 8);
    const view = larger.subarray(8, 8 + bytes.length);
    const shared = { ...fixtureTasks[0]!, page: { ...fixtureTasks[0]!.page, body: view } };
    expect(await pages.clean(shared)).toEqual(expected);
    expect(view.byteLength).toBe(bytes.length);
    expect(Buffer.from(view).equals(bytes)).toBe(true);
  });

  it('compute the text features of every fixture article exactly as the main thread does (the dedupe stage asks them)', async () => {
    const pages = cleaner();
    const articles = (await Promise.all(fixtureTasks.map((t) => cleanArticle(t)))) as CleanArticle[];
    const threaded = await Promise.all(articles.map((a) => pages.features(a)));
    for (const [i, a] of articles.entries()) {
      const main = textFeatures(a);
      expect(main.termCounts.size, a.url).toBeGreaterThan(0);
      expect(threaded[i]).toEqual(main);
    }
    expect(pages.stats()).toMatchObject({ completed: articles.length, crashed: 0, timedOut: 0 });
  });

  it.each([
    ['an empty page (extract)', taskFor('http://threads.test/empty', '<html><head><title>Nothing</title></head><body></body></html>'), 'PAGE_EMPTY'],
    ['too many elements (extract)', { ...fixtureTasks[0]!, maxElements: 100 }, 'TOO_LARGE'],
    ['too many characters (decode)', { ...fixtureTasks[0]!, maxPageChars: 10_000 }, 'TOO_LARGE'],
  ] as const)('a typed error thrown on the thread — %s — arrives as the main thread throws it', async (_, task, code) => {
    const pages = cleaner();
    const main = await failure<FeedsiftError>(cleanArticle(task));
    const thread = await failure<FeedsiftError>(pages.clean(own(task)));
    expect(main.code).toBe(code);
    expect(thread).toBeInstanceOf(PermanentError);
    expect(thread.toJSON()).toEqual(main.toJSON());
    expect(thread.details).toEqual(main.details);
  });

  it('a page that hangs its thread fails with PAGE_TIMEOUT; the thread is replaced; the pages beside and after it are cleaned', async () => {
    const pages = cleaner(2000);
    const poison = failure<FeedsiftError>(pages.clean(taskFor('http://threads.test/poison', POISON_HTML)));
    const beside = await Promise.all(fixtureTasks.slice(0, 6).map((t) => pages.clean(own(t))));
    const err = await poison;
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('PAGE_TIMEOUT');
    expect(err.message).toMatch(/^worker: page processing ran past its 2000 ms deadline .*http:\/\/threads\.test\/poison$/);
    const after = await Promise.all(fixtureTasks.slice(6, 12).map((t) => pages.clean(own(t))));
    for (const [i, r] of [...beside, ...after].entries()) expect(r).toEqual(await cleanArticle(fixtureTasks[i]!));
    expect(pages.stats()).toMatchObject({ timedOut: 1, crashed: 0, completed: 12 });
  });
});

describe('article jobs with page threads, on real Redis', () => {
  const redis = newRedis();
  const prefixes: string[] = [];
  let server: Server;
  let port = 0;
  const HOST = 'threads.test';

  /** A distinct article per number. */
  const good = (i: number): string =>
    `<!doctype html><html lang="en"><head><title>Harbour plan ${i}</title></head><body><article><h1>Harbour plan ${i}</h1>` +
    `<p>Officials said on Monday that harbour project number ${i} would go ahead after the council approved its budget for the coming year, ${i * 7} votes to ${i}.</p>` +
    `<p>Residents near quay ${i} had asked for years for the works to begin, and several of them attended the meeting to hear the decision in person.</p>` +
    `<p>The contractor expects phase ${i} to take eighteen months, with section ${i + 40} finished before the second winter of the works.</p></article></body></html>`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const m = /^\/(good|poison|empty)(?:\/(\d+))?$/.exec(req.url ?? '');
      if (!m) return void res.writeHead(404).end();
      const html = m[1] === 'good' ? good(Number(m[2])) : m[1] === 'poison' ? POISON_HTML : '<html><head><title>Nothing</title></head><body></body></html>';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    for (const p of prefixes) await deletePrefix(redis, p);
    redis.disconnect();
  });

  it('a typed error in a thread fails its job with that code; a poisoned page fails with PAGE_TIMEOUT; the rest are published; close() ends the threads', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const config = loopbackConfig({
      prefix,
      feeds: [],
      hosts: { [HOST]: '127.0.0.1' },
      env: { FEEDSIFT_CPU_THREADS: '2', FEEDSIFT_PAGE_TIMEOUT_MS: '2000', FEEDSIFT_ARTICLE_CONCURRENCY: '4', FEEDSIFT_RESPECT_ROBOTS: 'false', FEEDSIFT_HOST_CONCURRENCY: '8' },
    });
    expect(config.settings.cpu).toEqual({ threads: 2, pageTimeoutMs: 2000, maxPagesPerThread: 0, maxHeapMb: 256 });
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log: createLogger('silent'), roles: ['article', 'dedupe'] });
    let closed = false;
    try {
      const job = (path: string): { name: string; data: ArticleJob; opts: { jobId: string; attempts: number } } => {
        const url = `http://${HOST}:${port}${path}`;
        return { name: 'article', data: { feed: { id: 'threads', url: `http://${HOST}:${port}/feed`, name: 'Threads' }, item: { guid: url, link: url }, runId: 'r' }, opts: { jobId: `art${path.replaceAll('/', '-')}`, attempts: 2 } };
      };
      const goods = Array.from({ length: 8 }, (_, i) => job(`/good/${i + 1}`));
      await rt.ctx.queues.article.addBulk([job('/poison'), job('/empty'), ...goods]);
      await waitForDrain(rt.ctx, { timeoutMs: 120_000 });

      const failed = await rt.ctx.queues.article.getJobs(['failed']);
      const reasons = Object.fromEntries(failed.map((j) => [j.id, j.failedReason]));
      expect(Object.keys(reasons).sort()).toEqual(['art-empty', 'art-poison']);
      expect(reasons['art-poison']).toMatch(/^\[PAGE_TIMEOUT\] worker: page processing ran past its 2000 ms deadline/);
      expect(reasons['art-empty']).toMatch(/^\[PAGE_EMPTY\] extract: /);
      // both permanent: one attempt each
      expect(failed.map((j) => j.attemptsMade)).toEqual([1, 1]);
      const stats = await readStats(rt.ctx.redis, prefix, 'r');
      expect(stats).toMatchObject({ 'articles.failed': 2, 'articles.failed.PAGE_TIMEOUT': 1, 'articles.failed.PAGE_EMPTY': 1, 'articles.processed': 8 });
      // the eight alike articles, published as stories or duplicate notices
      expect((stats.stories ?? 0) + (stats.duplicates ?? 0)).toBe(8);
      expect((await rt.ctx.queues.stories.count()) + (await rt.ctx.queues.duplicates.count())).toBe(8);
      expect(rt.pages.threads).toBe(2);
      expect(rt.pages.stats()).toMatchObject({ timedOut: 1, crashed: 0 });
      expect(rt.pages.stats()!.threads).toBeGreaterThan(0);
      closed = true;
      expect(await rt.close()).toBe(true);
      expect(rt.pages.stats()).toMatchObject({ threads: 0, busy: 0, queued: 0 });
    } finally {
      if (!closed) await rt.close();
    }
  });
});
