// The HTTP endpoint of `feedsift start` on real Redis, after the fixture outlets (the demo's
// feeds, broken ones included) went through every stage: /metrics against what Redis and the
// queues hold, /healthz, /readyz (also with Redis gone), and the Bull Board dashboard's token.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../config/load.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import { FeedStore } from '../../workers/feed-state.ts';
import { startHttpServer, UI_COOKIE, uiSessionValue, type HttpServer } from '../../workers/http-server.ts';
import { INTERNAL_QUEUES, OUTPUT_QUEUES } from '../../workers/jobs.ts';
import { createLogger } from '../../workers/log.ts';
import { QUEUE_STATES } from '../../workers/metrics.ts';
import { startEmbeddedRedis } from '../../workers/redis-server.ts';
import { runOnce, startRuntime, type RunSummary, type Runtime } from '../../workers/runtime.ts';
import { readStats } from '../../workers/stats.ts';
import { loopbackConfig } from '../helpers/config.ts';
import { REPO_ROOT } from '../helpers/eval.ts';
import { parseExposition, samplesOf, valueOf, type PromSample } from '../helpers/prometheus.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';
import { until } from '../helpers/wait.ts';

const log = createLogger('silent');
const TOKEN = 'integration-test-token-0123456789';

async function scrape(server: HttpServer): Promise<PromSample[]> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** `[CODE] stage: …` → CODE */
const codeOf = (reason: string): string => /^\[([A-Z_]+)\]/.exec(reason)?.[1] ?? '?';

function tally(codes: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of codes) out[c] = (out[c] ?? 0) + 1;
  return out;
}

describe('the HTTP endpoint after the demo feeds went through', () => {
  let fixtures: FixtureServer;
  let config: Config;
  let runtime: Runtime;
  let http: HttpServer;
  let summary: RunSummary;
  let runStartedAt: number;
  const redis = newRedis();
  const prefix = uniquePrefix();

  beforeAll(async () => {
    fixtures = await startFixtureServer();
    config = loopbackConfig({ prefix, feeds: [...fixtures.feeds, ...fixtures.brokenFeeds], hosts: fixtures.hosts });
    runtime = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    http = await startHttpServer({ runtime, feeds: config.feeds, port: 0, host: '127.0.0.1', uiToken: TOKEN });
    runStartedAt = Date.now();
    summary = await runOnce(runtime.ctx, config.feeds, { runId: 'http', timeoutMs: 120_000 });
  }, 150_000);

  afterAll(async () => {
    await http?.close();
    await runtime?.close();
    await fixtures?.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('counts articles by outcome as the stats hash and the output queues hold them', async () => {
    const m = await scrape(http);
    const stats = await readStats(redis, prefix);
    const { stories, duplicates } = runtime.ctx.queues;
    const published = { story: await stories.count(), duplicate: await duplicates.count() };
    expect(published.story).toBeGreaterThan(10);
    expect(published.duplicate).toBe(4);
    expect(valueOf(m, 'feedsift_articles_total', { outcome: 'story' })).toBe(published.story);
    expect(valueOf(m, 'feedsift_articles_total', { outcome: 'duplicate' })).toBe(4);
    expect(valueOf(m, 'feedsift_articles_total', { outcome: 'update' })).toBe(0);
    expect(valueOf(m, 'feedsift_articles_processed_total')).toBe(stats['articles.processed']);
    expect(valueOf(m, 'feedsift_removed_blocks_total')).toBe(stats['removed.blocks']);
    expect(valueOf(m, 'feedsift_feed_items_total', { state: 'new' })).toBe(stats['items.new']);

    // every job that failed for good, by its error code (the demo's 404 article, the three broken feeds)
    const failedCodes = (queue: string): Record<string, number> => tally(summary.failures.filter((f) => f.queue === queue).map((f) => codeOf(f.reason)));
    expect(failedCodes('article')).toEqual({ HTTP_STATUS: 1 });
    expect(failedCodes('poll')).toEqual({ HTTP_RETRYABLE_STATUS: 1, NOT_A_FEED: 1, DNS_NOT_FOUND: 1 });
    const exported = (name: string): Record<string, number> =>
      Object.fromEntries(samplesOf(m, name, { outcome: 'failed' }).map((s) => [s.labels.reason!, s.value]));
    expect(exported('feedsift_articles_total')).toEqual(failedCodes('article'));
    expect(exported('feedsift_feed_polls_total')).toEqual(failedCodes('poll'));
    expect(valueOf(m, 'feedsift_feed_polls_total', { outcome: 'fetched' })).toBe(fixtures.feeds.length + 1);
    expect(valueOf(m, 'feedsift_redis_up')).toBe(1);
  });

  it('times every job of this process by stage and outcome', async () => {
    const m = await scrape(http);
    for (const stage of INTERNAL_QUEUES) {
      const queue = runtime.ctx.queues[stage];
      const { completed } = await queue.getJobCounts('completed');
      const failedAttempts = (await queue.getJobs(['failed'], 0, -1)).reduce((n, j) => n + j.attemptsMade, 0);
      expect(completed).toBeGreaterThan(0);
      expect(valueOf(m, 'feedsift_job_duration_seconds_count', { stage, outcome: 'completed' }), stage).toBe(completed);
      expect(valueOf(m, 'feedsift_job_duration_seconds_sum', { stage, outcome: 'completed' })).toBeGreaterThan(0);
      expect(valueOf(m, 'feedsift_job_duration_seconds_bucket', { stage, outcome: 'completed', le: '+Inf' })).toBe(completed);
      if (failedAttempts) expect(valueOf(m, 'feedsift_job_duration_seconds_count', { stage, outcome: 'failed' }), stage).toBe(failedAttempts);
    }
    // the 500 feed's four attempts, the two permanent poll failures, the 404 article's one
    expect(valueOf(m, 'feedsift_job_duration_seconds_count', { stage: 'poll', outcome: 'failed' })).toBe(config.settings.jobAttempts + 2);
    expect(valueOf(m, 'feedsift_job_duration_seconds_count', { stage: 'article', outcome: 'failed' })).toBe(1);
  });

  it('reports the depth of every queue, internal and output', async () => {
    const m = await scrape(http);
    for (const queue of [...INTERNAL_QUEUES, ...OUTPUT_QUEUES]) {
      const counts = await runtime.ctx.queues[queue].getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) expect(valueOf(m, 'feedsift_queue_jobs', { queue, state }), `${queue} ${state}`).toBe(counts[state]);
    }
    // nobody consumed the output: every record still waits
    expect(valueOf(m, 'feedsift_queue_jobs', { queue: 'stories', state: 'waiting' })).toBe(valueOf(m, 'feedsift_articles_total', { outcome: 'story' }));
    expect(valueOf(m, 'feedsift_queue_jobs', { queue: 'duplicates', state: 'waiting' })).toBe(4);
    expect(valueOf(m, 'feedsift_queue_jobs', { queue: 'poll', state: 'failed' })).toBe(3);
    expect(valueOf(m, 'feedsift_queue_jobs', { queue: 'article', state: 'active' })).toBe(0);
  });

  it('reports each configured feed\'s last success and failures in a row', async () => {
    const m = await scrape(http);
    const store = new FeedStore(redis, prefix);
    const broken = new Set(['broken-500', 'broken-not-a-feed', 'broken-unresolvable']);
    for (const feed of config.feeds) {
      const state = await store.get(feed.id);
      const last = valueOf(m, 'feedsift_feed_last_success_timestamp_seconds', { feed: feed.id });
      const failures = valueOf(m, 'feedsift_feed_consecutive_failures', { feed: feed.id });
      expect(failures, feed.id).toBe(state.consecutiveFailures);
      if (broken.has(feed.id)) {
        expect(last, feed.id).toBe(0);
        expect(failures, feed.id).toBeGreaterThan(0);
      } else {
        expect(last! * 1000, feed.id).toBe(Date.parse(state.lastSuccessAt!));
        expect(last! * 1000).toBeGreaterThanOrEqual(runStartedAt - 1000);
        expect(failures, feed.id).toBe(0);
      }
    }
  });

  it('documents every feedsift metric in the README', async () => {
    const text = await (await fetch(`${http.url}/metrics`)).text();
    const names = [...text.matchAll(/^# TYPE (feedsift_\w+) /gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThanOrEqual(10);
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    for (const name of names) expect(readme.split('\n').some((l) => l.startsWith(`| \`${name}\``)), name).toBe(true);
  });

  it('serves the process metrics of prom-client', async () => {
    const m = await scrape(http);
    expect(valueOf(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samplesOf(m, 'nodejs_heap_size_used_bytes').length).toBe(1);
  });

  it('answers /healthz and /readyz while Redis answers and the workers run', async () => {
    const health = await fetch(`${http.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'alive' });
    const ready = await fetch(`${http.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', ready: true, redis: 'ready', workers: { poll: 'running', article: 'running', dedupe: 'running' } });
    expect((await fetch(`${http.url}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${http.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('keeps the dashboard behind the token: 401 without it, 200 with it', async () => {
    const none = await fetch(`${http.url}/ui`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${http.url}/ui/api/queues`)).status).toBe(401);
    expect((await fetch(`${http.url}/ui`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    expect((await fetch(`${http.url}/ui?token=not-the-token-at-all`, { redirect: 'manual' })).status).toBe(401);

    const page = await fetch(`${http.url}/ui`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<base href="/ui/"');
    // the page's own scripts come through the same gate
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)![1]!;
    expect((await fetch(`${http.url}/ui/${script}`)).status).toBe(401);
    const js = await fetch(`${http.url}/ui/${script}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);

    const api = await fetch(`${http.url}/ui/api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number> }> };
    expect(body.queues.map((q) => q.name).sort()).toEqual([...INTERNAL_QUEUES, ...OUTPUT_QUEUES].sort());
    const byName = Object.fromEntries(body.queues.map((q) => [q.name, q]));
    expect(byName.duplicates!.counts.waiting).toBe(4);
    expect(byName.stories!.counts.waiting).toBe(await runtime.ctx.queues.stories.count());
    expect(byName.poll!.counts.failed).toBe(3);
    // with a token, an operator may act on jobs (retry, remove)
    expect(body.queues.every((q) => q.readOnlyMode === false)).toBe(true);
  });

  it('turns a ?token= visit into a cookie and sends the browser on without the token', async () => {
    const login = await fetch(`${http.url}/ui/queue/poll?status=failed&token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/ui/queue/poll?status=failed');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toContain(`${UI_COOKIE}=${uiSessionValue(TOKEN)}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/ui/);
    expect(cookie).not.toContain(TOKEN);
    const pair = cookie.split(';')[0]!;
    expect((await fetch(`${http.url}/ui`, { headers: { cookie: pair } })).status).toBe(200);
    expect((await fetch(`${http.url}/ui/api/queues`, { headers: { cookie: pair } })).status).toBe(200);
    expect((await fetch(`${http.url}/ui`, { headers: { cookie: `${UI_COOKIE}=forged` } })).status).toBe(401);
  });

  it('refuses to start a second endpoint on a port in use', async () => {
    await expect(startHttpServer({ runtime, feeds: config.feeds, port: http.port, host: '127.0.0.1' })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  });

  it('without a token: an open, read-only dashboard; /readyz 503 once stopping', async () => {
    const open = await startHttpServer({ runtime, feeds: config.feeds, port: 0, host: '127.0.0.1', uiToken: undefined });
    try {
      expect((await fetch(`${open.url}/ui`)).status).toBe(200);
      const api = (await (await fetch(`${open.url}/ui/api/queues`)).json()) as { queues: Array<{ readOnlyMode: boolean }> };
      expect(api.queues).toHaveLength(6);
      expect(api.queues.every((q) => q.readOnlyMode)).toBe(true);
      open.markStopping();
      const ready = await fetch(`${open.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready', reason: 'shutting down' });
      expect((await fetch(`${open.url}/healthz`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('the HTTP endpoint when Redis is gone', () => {
  it('answers /readyz 503 saying why, keeps /healthz 200, and reports feedsift_redis_up 0', async () => {
    const redisServer = await startEmbeddedRedis({ persist: false, dataDir: mkdtempSync(path.join(tmpdir(), 'feedsift-http-redis-')) });
    let stopped = false;
    const config = loopbackConfig({ prefix: uniquePrefix(), feeds: [], hosts: {} });
    const runtime = await startRuntime(config, { redisUrl: redisServer.url, log, roles: ['dedupe'] });
    const http = await startHttpServer({ runtime, feeds: [], port: 0, host: '127.0.0.1', uiToken: undefined });
    try {
      expect((await fetch(`${http.url}/readyz`)).status).toBe(200);
      expect(valueOf(await scrape(http), 'feedsift_redis_up')).toBe(1);

      await redisServer.stop();
      stopped = true;
      let last: { status: number; body: { reason?: string } } | undefined;
      await until(async () => {
        const res = await fetch(`${http.url}/readyz`);
        last = { status: res.status, body: (await res.json()) as { reason?: string } };
        return res.status !== 200;
      }, 30_000, '/readyz notices Redis is gone');
      expect(last!.status).toBe(503);
      expect(last!.body.reason).toMatch(/redis/);
      expect((await fetch(`${http.url}/healthz`)).status).toBe(200);
      const m = await scrape(http);
      expect(valueOf(m, 'feedsift_redis_up')).toBe(0);
      expect(samplesOf(m, 'feedsift_queue_jobs')).toEqual([]);
      expect(samplesOf(m, 'feedsift_articles_total')).toEqual([]);
    } finally {
      await http.close();
      await runtime.close({ timeoutMs: 2000 });
      if (!stopped) await redisServer.stop();
    }
  });
});
