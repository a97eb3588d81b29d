// Faults on real Redis: a page server that fails in each way the network fails (retried with
// backoff, then a failed job an operator lists and retries with `feedsift failed`), Redis itself
// restarted mid-run (AOF on: nothing lost), and the same article delivered twice or by two feeds.
// A worker process killed mid-run and graceful shutdown: test/e2e/kill.test.ts; two workers
// deciding two copies of one story at once: test/e2e/concurrency.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import type { FeedConfig } from '../../pipeline/records.ts';
import { INTERNAL_QUEUES } from '../../workers/jobs.ts';
import { createLogger } from '../../workers/log.ts';
import { findOnPath } from '../../workers/redis-server.ts';
import { runOnce, startRuntime, waitForDrain, type Runtime } from '../../workers/runtime.ts';
import { feedsift } from '../helpers/cli.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';
import { until } from '../helpers/wait.ts';

const log = createLogger('silent');
const TOPICS = ['harbour', 'railway', 'orchard', 'glacier', 'library', 'vineyard', 'bridge', 'festival', 'market', 'observatory', 'reservoir', 'tramline', 'museum', 'stadium'];

/** A distinct article per number: its own topic words in every sentence. */
function articleHtml(i: number): string {
  const t = (k: number): string => TOPICS[(i + k) % TOPICS.length]!;
  const p = [
    `Officials said on Monday that the ${t(0)} project number ${i} would go ahead after the ${t(1)} committee approved its budget for the coming year.`,
    `Residents near the ${t(2)} had asked for years for the ${t(0)} works to begin, and several of them attended the meeting to hear the decision in person.`,
    `The ${t(3)} contractor expects the first phase to take eighteen months, with the ${t(4)} section finished before the second winter of the works.`,
  ];
  return `<!doctype html><html lang="en"><head><title>The ${t(0)} plan ${i}</title></head><body><article><h1>The ${t(0)} plan ${i}</h1>${p.map((x) => `<p>${x}</p>`).join('')}</article></body></html>`;
}

type Fault = 'none' | '500' | '429' | 'slow' | 'reset' | 'truncated-gzip';

interface Site {
  server: Server;
  port: number;
  host: string;
  /** How /a/<i> answers. */
  fault: Fault;
  /** Hold page requests until `release()`. */
  held: Array<() => void>;
  gated: boolean;
  pageHits: Map<string, number>;
  feedItems: Map<string, number[]>;
  release(): void;
}

async function startSite(host: string): Promise<Site> {
  const answer = (site: Site, req: IncomingMessage, res: ServerResponse, i: number): void => {
    const html = Buffer.from(articleHtml(i));
    switch (site.fault) {
      case '500':
        return void res.writeHead(500).end('oops');
      case '429':
        return void res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      case 'slow':
        return void setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(html), 1500).unref();
      case 'reset':
        return void req.socket.destroy();
      case 'truncated-gzip': {
        const gz = gzipSync(html);
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': String(gz.length) });
        res.write(gz.subarray(0, gz.length >> 1));
        return void setTimeout(() => req.socket.destroy(), 20).unref();
      }
      default:
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    }
  };
  const site: Site = {
    server: createServer((req, res) => {
      const base = `http://${host}:${site.port}`;
      const feed = /^\/feed\/(\w+)$/.exec(req.url ?? '');
      const page = /^\/a\/(\d+)$/.exec(req.url ?? '');
      if (feed && site.feedItems.has(feed[1]!)) {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const items = site.feedItems.get(feed[1]!)!.map((i) => `<item><guid>${base}/a/${i}</guid><link>${base}/a/${i}</link><title>The plan ${i}</title></item>`);
        return void res.end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${feed[1]}</title><link>${base}/</link>${items.join('')}</channel></rss>`);
      }
      if (!page) return void res.writeHead(404).end();
      site.pageHits.set(req.url!, (site.pageHits.get(req.url!) ?? 0) + 1);
      const go = (): void => answer(site, req, res, Number(page[1]));
      if (site.gated) site.held.push(go);
      else go();
    }),
    port: 0,
    host,
    fault: 'none',
    held: [],
    gated: false,
    pageHits: new Map(),
    feedItems: new Map(),
    release() {
      site.gated = false;
      for (const go of site.held.splice(0)) go();
    },
  };
  await new Promise<void>((r) => site.server.listen(0, '127.0.0.1', r));
  site.port = (site.server.address() as AddressInfo).port;
  return site;
}

function configFor(prefix: string, site: Site, feeds: FeedConfig[], env: Record<string, string> = {}) {
  return loadConfig({
    env: {
      FEEDSIFT_PREFIX: prefix,
      FEEDSIFT_HOST_OVERRIDES: `${site.host}=127.0.0.1`,
      FEEDSIFT_ALLOW_HOSTS: '127.0.0.1',
      FEEDSIFT_BACKOFF_MS: '50',
      FEEDSIFT_JOB_ATTEMPTS: '3',
      FEEDSIFT_HTTP_HEADERS_TIMEOUT_MS: '400',
      FEEDSIFT_LOCK_DURATION_MS: '1500',
      // these tests hold several requests to one host in flight on purpose: no per-host limit here
      FEEDSIFT_HOST_CONCURRENCY: '8',
      FEEDSIFT_HOST_DELAY_MS: '0',
      ...env,
    },
    feeds,
  });
}

const feedOf = (site: Site, name: string, items: number[]): FeedConfig => {
  site.feedItems.set(name, items);
  return { id: `${site.host}-${name}`, url: `http://${site.host}:${site.port}/feed/${name}`, pollIntervalSeconds: 300 };
};

async function publishedUrls(rt: Runtime): Promise<string[]> {
  const urls: string[] = [];
  for (const name of ['stories', 'duplicates'] as const) for (const j of await rt.ctx.queues[name].getJobs(['waiting', 'active', 'completed'], 0, -1)) urls.push(j.data.url as string);
  return urls.sort();
}


describe('faults on real Redis', () => {
  const redis = newRedis();
  const prefixes: string[] = [];
  let site: Site;

  beforeAll(async () => {
    site = await startSite('faulty.test');
  });
  afterAll(async () => {
    site.server.closeAllConnections();
    await new Promise((r) => site.server.close(r));
    for (const p of prefixes) await deletePrefix(redis, p);
    redis.disconnect();
  });

  it.each<[Fault, RegExp]>([
    ['500', /^\[HTTP_RETRYABLE_STATUS\] fetch-page: HTTP 500/],
    ['429', /^\[HTTP_RETRYABLE_STATUS\] fetch-page: HTTP 429/],
    ['slow', /^\[TIMEOUT\] fetch-page: no response headers within 400 ms/],
    ['reset', /^\[CONNECT_FAILED\] fetch-page: /],
    ['truncated-gzip', /^\[CONNECT_FAILED\] fetch-page: /],
  ])('a page answering %s: retried with backoff, then failed; `feedsift failed` lists it and re-runs it', async (fault, reason) => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const n = 100 + site.feedItems.size;
    const feed = feedOf(site, `f${fault.replace(/\W/g, '')}`, [n]);
    const config = configFor(prefix, site, [feed]);
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      site.fault = fault;
      const run = await runOnce(rt.ctx, [feed], { runId: 'r', timeoutMs: 60_000 });
      expect(run.failures).toHaveLength(1);
      const failure = run.failures[0]!;
      expect(failure.reason).toMatch(reason);
      // a retryable failure is tried the configured 3 times, each attempt a new request
      const attempts = 3;
      expect(failure.attempts).toBe(attempts);
      expect(site.pageHits.get(`/a/${n}`)).toBe(attempts);

      const env = { REDIS_URL: testRedisUrl(), FEEDSIFT_PREFIX: prefix };
      const listed = await feedsift(['failed', 'list', '--json'], env);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject({ queue: 'article', jobId: failure.jobId, target: `http://faulty.test:${site.port}/a/${n}`, reason: failure.reason, attempts });

      site.fault = 'none';
      expect((await feedsift(['failed', 'retry', failure.jobId], env)).code).toBe(0);
      await waitForDrain(rt.ctx, { timeoutMs: 30_000 });
      expect(await rt.ctx.queues.article.getJobState(failure.jobId)).toBe('completed');
      expect(await publishedUrls(rt)).toEqual([`http://faulty.test:${site.port}/a/${n}`]);
    } finally {
      site.fault = 'none';
      await rt.close();
    }
  }, 90_000);

  it('the same article listed twice in a feed and by a second feed, and polled again: published once', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const a = feedOf(site, 'twiceA', [200, 201, 200]);
    const b = feedOf(site, 'twiceB', [201, 202]);
    const config = configFor(prefix, site, [a, b]);
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      const first = await runOnce(rt.ctx, [a, b], { runId: 'one', timeoutMs: 60_000 });
      expect(first.failures).toEqual([]);
      // a later poll of both under another run: nothing new
      await runOnce(rt.ctx, [a, b], { runId: 'two', timeoutMs: 60_000 });
      const base = `http://faulty.test:${site.port}/a/`;
      expect(await publishedUrls(rt)).toEqual([`${base}200`, `${base}201`, `${base}202`]);
      expect(await rt.ctx.queues.duplicates.count()).toBe(0);
    } finally {
      await rt.close();
    }
  }, 90_000);
});

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const redisBinary = findOnPath('redis-server');

describe.skipIf(!redisBinary)('Redis restarted mid-run (AOF on)', () => {
  it('workers reconnect and every article is published exactly once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-aof-'));
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const startRedis = async (): Promise<ChildProcess> => {
      const child = spawn(redisBinary!, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'], { stdio: 'ignore' });
      const probe = newRedisAt(url);
      await until(async () => (await probe.ping().catch(() => '')) === 'PONG', 10_000, 'private redis up');
      probe.disconnect();
      return child;
    };
    let server = await startRedis();
    const site = await startSite('restart.test');
    const items = Array.from({ length: 12 }, (_, i) => 300 + i);
    const feed = feedOf(site, 'restart', items);
    const config = configFor('fsaof', site, [feed], { FEEDSIFT_ARTICLE_CONCURRENCY: '3' });
    const rt = await startRuntime(config, { redisUrl: url, log });
    try {
      site.gated = true;
      await rt.ctx.queues.poll.add('poll', { feed: { ...feed } }, { jobId: 'poll-restart' });
      await until(() => site.held.length === 3, 30_000, 'article jobs in flight');
      // let those three finish, then stop Redis while the next three are in flight
      site.release();
      site.gated = true;
      await until(async () => (await publishedUrls(rt)).length === 3 && site.held.length === 3, 30_000, 'three published, three more in flight');
      await new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
      site.release();
      server = await startRedis();
      await until(async () => (await publishedUrls(rt).catch(() => [])).length >= items.length, 60_000, 'every article published');
      await waitForDrain(rt.ctx, { timeoutMs: 30_000 });
      const urls = await publishedUrls(rt);
      expect(urls).toEqual(items.map((i) => `http://restart.test:${site.port}/a/${i}`).sort());
      for (const name of INTERNAL_QUEUES) expect(await rt.ctx.queues[name].getJobCounts('failed', 'active')).toEqual({ failed: 0, active: 0 });
    } finally {
      await rt.close({ timeoutMs: 5000 });
      site.server.closeAllConnections();
      await new Promise((r) => site.server.close(r));
      server.kill('SIGKILL');
    }
  }, 120_000);
});

function newRedisAt(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  r.on('error', () => {}); // refused while the server is starting
  return r;
}
