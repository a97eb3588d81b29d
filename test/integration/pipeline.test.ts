// The queues on real Redis with the fixture outlets on loopback: idempotency, re-delivery,
// conditional GET across polls, and failed jobs that an operator can inspect and retry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config/load.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import type { FeedConfig, UpdateRecord } from '../../pipeline/records.ts';
import { createLogger } from '../../workers/log.ts';
import { runOnce, startRuntime, waitForDrain, type Runtime } from '../../workers/runtime.ts';
import { loopbackConfig } from '../helpers/config.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

const log = createLogger('silent');

function configFor(prefix: string, feeds: FeedConfig[], hosts: Record<string, string>, extra: Partial<Config['settings']> = {}): Config {
  return loopbackConfig({ prefix, feeds, hosts, settings: extra });
}

async function outputCounts(rt: Runtime): Promise<{ stories: number; duplicates: number }> {
  const q = rt.ctx.queues;
  const count = async (name: 'stories' | 'duplicates'): Promise<number> => {
    const c = await q[name].getJobCounts('waiting', 'active', 'completed', 'delayed', 'prioritized');
    return Object.values(c).reduce((a, b) => a + b, 0);
  };
  return { stories: await count('stories'), duplicates: await count('duplicates') };
}

describe('pipeline on real Redis', () => {
  let server: FixtureServer;
  const redis = newRedis();
  const prefixes: string[] = [];

  beforeAll(async () => {
    server = await startFixtureServer();
  });
  afterAll(async () => {
    await server.close();
    for (const p of prefixes) await deletePrefix(redis, p);
    redis.disconnect();
  });

  it('polls again with conditional GET, skips seen items, and never publishes twice — even on re-delivery', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const config = configFor(prefix, server.feeds, server.hosts);
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      const first = await runOnce(rt.ctx, config.feeds, { runId: 'one', timeoutMs: 120_000 });
      expect(first.failures).toEqual([]);
      const after1 = await outputCounts(rt);
      expect(after1.stories).toBeGreaterThan(10);
      expect(after1.duplicates).toBe(4);

      const requestsBefore = server.requests.length;
      const second = await runOnce(rt.ctx, config.feeds, { runId: 'two', timeoutMs: 120_000 });
      // every feed answered 304 to the validators remembered from the first poll
      expect(second.stats['feeds.not-modified']).toBe(config.feeds.length);
      expect(second.stats['items.new'] ?? 0).toBe(0);
      const conditional = server.requests.slice(requestsBefore);
      expect(conditional).toHaveLength(config.feeds.length);
      expect(conditional.every((r) => r.headers['if-none-match'] || r.headers['if-modified-since'])).toBe(true);
      expect(await outputCounts(rt)).toEqual(after1);

      // a dedupe job delivered again (e.g. after a worker crash) under another job id
      const done = await rt.ctx.queues.dedupe.getJobs(['completed'], 0, -1);
      expect(done.length).toBe(after1.stories + after1.duplicates);
      for (const job of done.slice(0, 6)) await rt.ctx.queues.dedupe.add('dedupe', job.data, { jobId: `${job.id}-again` });
      await waitForDrain(rt.ctx, { timeoutMs: 60_000 });
      expect(await outputCounts(rt)).toEqual(after1);
    } finally {
      await rt.close();
    }
  });

  it('keeps a failed job inspectable and lets an operator retry it', async () => {
    let healthy = false;
    const flaky: Server = createServer((req, res) => {
      if (!healthy) {
        res.writeHead(503, { 'retry-after': '0' }).end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.end('<?xml version="1.0"?><rss version="2.0"><channel><title>Flaky</title><link>http://flaky.test/</link></channel></rss>');
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const port = (flaky.address() as AddressInfo).port;
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const feed: FeedConfig = { id: 'flaky', url: `http://flaky.test:${port}/feed`, pollIntervalSeconds: 300 };
    const config = configFor(prefix, [feed], { 'flaky.test': '127.0.0.1' }, { jobAttempts: 2 });
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      const run = await runOnce(rt.ctx, [feed], { runId: 'r', timeoutMs: 60_000 });
      expect(run.failures).toHaveLength(1);
      expect(run.failures[0]).toMatchObject({ queue: 'poll', attempts: 2 });
      expect(run.failures[0]!.reason).toMatch(/^\[HTTP_RETRYABLE_STATUS\] fetch-feed: HTTP 503/);
      // the feed's health says so too
      const state = await rt.ctx.redis.hgetall(`${prefix}:feed:flaky:state`);
      expect(Number(state.consecutiveFailures)).toBe(2);
      expect(state.lastError).toMatch(/HTTP_RETRYABLE_STATUS/);

      healthy = true;
      const [failed] = await rt.ctx.queues.poll.getJobs(['failed']);
      await failed!.retry();
      await waitForDrain(rt.ctx, { timeoutMs: 30_000 });
      const job = await rt.ctx.queues.poll.getJob(failed!.id!);
      expect(await job!.getState()).toBe('completed');
      expect(job!.returnvalue).toMatchObject({ status: 'fetched' });
      expect((await rt.ctx.redis.hgetall(`${prefix}:feed:flaky:state`)).consecutiveFailures).toBe('0');
    } finally {
      await rt.close();
      await new Promise((r) => flaky.close(r));
    }
  });

  it('publishes an item re-listed with edited text as an update of its article, not as a duplicate', async () => {
    let version = 1;
    const paragraphs = (v: number): string[] => [
      'The city council approved the new harbour budget on Tuesday after a debate that lasted most of the afternoon and into the evening.',
      'Councillors voted twenty-one to nine in favour of the plan, which sets aside money for dredging, new moorings and a repaired sea wall.',
      v === 1
        ? 'The mayor said the first works would begin in the spring, once the contracts had been signed with the two lowest bidders.'
        : 'The mayor said on Wednesday that the first works would now begin in March, after the contracts were signed with the two lowest bidders.',
      'Residents of the old port district had asked for years for the sea wall to be repaired before the winter storms arrived again.',
    ];
    const site: Server = createServer((req, res) => {
      const host = `http://harbour.test:${(site.address() as AddressInfo).port}`;
      if (req.url === '/feed') {
        res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
        res.end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour News</title><link>${host}/</link>
          <item><guid>${host}/budget</guid><link>${host}/budget</link><title>Harbour budget approved${version === 2 ? ' (updated)' : ''}</title>
          <description>${paragraphs(version)[0]}</description></item></channel></rss>`);
        return;
      }
      if (req.url === '/budget') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html lang="en"><head><title>Harbour budget approved</title></head><body><nav><a href="/">Home</a></nav>
          <article><h1>Harbour budget approved</h1>${paragraphs(version).map((p) => `<p>${p}</p>`).join('')}</article><footer>Harbour News</footer></body></html>`);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const port = (site.address() as AddressInfo).port;
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const feed: FeedConfig = { id: 'harbour', url: `http://harbour.test:${port}/feed`, pollIntervalSeconds: 300 };
    const config = configFor(prefix, [feed], { 'harbour.test': '127.0.0.1' });
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      const first = await runOnce(rt.ctx, [feed], { runId: 'v1', timeoutMs: 60_000 });
      expect(first.failures).toEqual([]);
      expect(first.stats.stories).toBe(1);
      const [story] = await rt.ctx.queues.stories.getJobs(['waiting']);

      version = 2;
      const second = await runOnce(rt.ctx, [feed], { runId: 'v2', timeoutMs: 60_000 });
      expect(second.failures).toEqual([]);
      expect(second.stats['items.new']).toBe(1);
      expect(second.stats.updates).toBe(1);
      expect(second.stats.duplicates ?? 0).toBe(0);
      expect(second.stats.stories ?? 0).toBe(0);
      const updates = await rt.ctx.queues.updates.getJobs(['waiting']);
      expect(updates).toHaveLength(1);
      const update = updates[0]!.data as UpdateRecord;
      expect(update.kind).toBe('update');
      expect(update.id).toBe(story!.data.id);
      expect(update.storyId).toBe(story!.data.storyId);
      expect(update.text).toContain('would now begin in March');
      expect(update.previousTextHash).toMatch(/^[0-9a-f]+$/);

      // polling again without a change publishes nothing more
      const third = await runOnce(rt.ctx, [feed], { runId: 'v3', timeoutMs: 60_000 });
      expect(third.stats['items.new'] ?? 0).toBe(0);
      expect(await rt.ctx.queues.updates.count()).toBe(1);
    } finally {
      await rt.close();
      await new Promise((r) => site.close(r));
    }
  });

  it('takes at most FEEDSIFT_MAX_ITEMS_PER_FEED items from one poll of one feed', async () => {
    const big: Server = createServer((req, res) => {
      const origin = `http://big.test:${(big.address() as AddressInfo).port}`;
      const items = Array.from({ length: 7 }, (_, i) => `<item><guid>${origin}/a${i}</guid><link>${origin}/a${i}</link><title>Item ${i}</title></item>`).join('');
      if (req.url === '/feed') {
        res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(`<rss version="2.0"><channel><title>Big</title>${items}</channel></rss>`);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const feed: FeedConfig = { id: 'big', url: `http://big.test:${(big.address() as AddressInfo).port}/feed`, pollIntervalSeconds: 300 };
    const config = configFor(prefix, [feed], { 'big.test': '127.0.0.1' }, { maxItemsPerFeed: 3, jobAttempts: 1 });
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      const run = await runOnce(rt.ctx, [feed], { runId: 'cap', timeoutMs: 60_000 });
      expect(run.stats['items.new']).toBe(3);
      expect(await rt.ctx.queues.article.getJobCountByTypes('completed', 'failed')).toBe(3);
    } finally {
      await rt.close();
      await new Promise((r) => big.close(r));
    }
  });

  it('fails a malformed job permanently with INVALID_JOB instead of crashing the worker', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const config = configFor(prefix, [], {});
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      await rt.ctx.queues.article.add('article', { feed: { id: 'x' }, item: 42 }, { jobId: 'bad-1', attempts: 3 });
      await waitForDrain(rt.ctx, { timeoutMs: 30_000 });
      const job = await rt.ctx.queues.article.getJob('bad-1');
      expect(await job!.getState()).toBe('failed');
      expect(job!.attemptsMade).toBe(1);
      expect(job!.failedReason).toMatch(/^\[INVALID_JOB\] worker: malformed article job/);
      // the worker is still alive and takes the next job
      expect(rt.workers.every((w) => w.isRunning())).toBe(true);
    } finally {
      await rt.close();
    }
  });
});
