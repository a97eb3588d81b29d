// Feed health and adaptive polling on real Redis, with real BullMQ job schedulers ticking against a
// loopback feed server, and an injected clock (WorkerContext.now) standing in for hours and days:
// Retry-After on a 503, a feed answering 304 (then with Cache-Control), a busy feed, a dead feed
// flagged after FEEDSIFT_FEED_DEAD_AFTER_HOURS and still polled, ticks skipped before a feed is due
// and taken when it is, and polls outside the scheduler taken regardless.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import type { FeedConfig } from '../../pipeline/records.ts';
import { internalJobOptions } from '../../workers/context.ts';
import { feedHealth } from '../../workers/feed-health.ts';
import { FeedStore, type FeedState } from '../../workers/feed-state.ts';
import { createLogger } from '../../workers/log.ts';
import { startRuntime, syncSchedulers, type Runtime } from '../../workers/runtime.ts';
import { readStats } from '../../workers/stats.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';
import { until } from '../helpers/wait.ts';

const log = createLogger('silent');
const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const S = 1000;
const H = 3600 * S;
const iso = (t: number): string => new Date(t).toISOString();

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const requests: Array<{ path: string; headers: IncomingMessage['headers'] }> = [];
const hits = (path: string): number => requests.filter((r) => r.path === path).length;

function rss(origin: string, title: string, items: number[], channelExtra = ''): string {
  const xml = items.map((i) => `<item><guid>${origin}/a/${i}</guid><link>${origin}/a/${i}</link><title>${title} story ${i}</title></item>`).join('');
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><link>${origin}/</link>${channelExtra}${xml}</channel></rss>`;
}
const sendRss = (res: ServerResponse, body: string, headers: Record<string, string> = {}): void =>
  void res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', ...headers }).end(body);

describe('feed health and adaptive polling', () => {
  let server: Server;
  let port = 0;
  const redis = newRedis();
  const prefixes: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      requests.push({ path, headers: req.headers });
      const route = routes.get(path);
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    for (const p of prefixes) await deletePrefix(redis, p);
    redis.disconnect();
  });

  /** One feed, its own prefix and host, a poll worker whose clock the test moves. */
  async function harness(name: string, path: string, pollIntervalSeconds = 900) {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const host = `${name}.test`;
    const feed: FeedConfig = { id: name, url: `http://${host}:${port}${path}`, pollIntervalSeconds };
    let clock = T0;
    const config = loadConfig({
      env: {
        FEEDSIFT_PREFIX: prefix,
        FEEDSIFT_HOST_OVERRIDES: `${host}=127.0.0.1`,
        FEEDSIFT_ALLOW_HOSTS: host,
        FEEDSIFT_HOST_DELAY_MS: '0',
        // one attempt per poll: each scheduled poll is one request
        FEEDSIFT_JOB_ATTEMPTS: '1',
      },
      feeds: [feed],
    });
    // only the poll role: article jobs wait in their queue, nothing else touches the feed
    const rt: Runtime = await startRuntime(config, { redisUrl: testRedisUrl(), log, roles: ['poll'], now: () => new Date(clock) });
    const store = new FeedStore(rt.ctx.redis, prefix);
    const skipped = async (): Promise<number> => (await readStats(rt.ctx.redis, prefix))['feeds.skipped'] ?? 0;
    return {
      feed,
      rt,
      store,
      prefix,
      /** A real job scheduler for the feed, ticking every 200 ms of real time. */
      async tick(): Promise<void> {
        await rt.ctx.queues.poll.upsertJobScheduler(`feed-${feed.id}`, { every: 200 }, { name: 'poll', data: { feed }, opts: internalJobOptions(rt.ctx.settings) });
      },
      /** Moves the clock to t and waits until a tick has polled the feed at t. */
      async pollAt(t: number): Promise<FeedState> {
        clock = t;
        await until(async () => (await store.get(feed.id)).lastPollAt === iso(t), 30_000, `${name} polled at ${iso(t)}`);
        return store.get(feed.id);
      },
      /** Moves the clock to t and waits for three ticks to be skipped: no request, schedule unchanged. */
      async skippedAt(t: number): Promise<void> {
        const before = await store.get(feed.id);
        const requestsBefore = hits(path);
        clock = t;
        const mark = await skipped();
        await until(async () => (await skipped()) >= mark + 3, 30_000, `${name}: ticks skipped at ${iso(t)}`);
        expect(hits(path)).toBe(requestsBefore);
        const after = await store.get(feed.id);
        expect(after.nextPollAt).toBe(before.nextPollAt);
        expect(after.lastPollAt).toBe(before.lastPollAt);
      },
      async close(): Promise<void> {
        await rt.ctx.queues.poll.removeJobScheduler(`feed-${feed.id}`);
        await rt.close();
      },
    };
  }

  it('a 503 with Retry-After: the feed is not polled again before the server asked', async () => {
    let healthy = false;
    routes.set('/limited', (_req, res) => {
      if (!healthy) return void res.writeHead(503, { 'retry-after': '7200' }).end('maintenance');
      sendRss(res, rss(`http://limited.test:${port}`, 'Limited', [1]));
    });
    const h = await harness('limited', '/limited');
    try {
      await h.tick();
      let s = await h.pollAt(T0);
      expect(s).toMatchObject({ consecutiveFailures: 1, failedPolls: 1, failingSince: iso(T0), intervalS: 7200, pollReason: 'retry-after', nextPollAt: iso(T0 + 2 * H) });
      expect(s.lastError).toMatch(/^\[HTTP_RETRYABLE_STATUS\] fetch-feed: HTTP 503/);
      expect(s.flaggedSince).toBeUndefined();

      await h.skippedAt(T0 + H);
      // 200 s early is more than half a tick (300 s / 2) early: still skipped
      await h.skippedAt(T0 + 2 * H - 200 * S);

      healthy = true;
      // the host's own Retry-After deferral runs on real time (workers/politeness.ts); the test
      // has moved two hours on its own clock, so that deferral is lifted by hand
      for (const key of await redis.keys(`${h.prefix}:polite:*`)) await redis.del(key);
      s = await h.pollAt(T0 + 2 * H);
      expect(s).toMatchObject({ lastSuccessAt: iso(T0 + 2 * H), consecutiveFailures: 0, failedPolls: 0, intervalS: 900, pollReason: 'base', nextPollAt: iso(T0 + 2 * H + 900 * S) });
      expect(s.failingSince).toBeUndefined();
      expect(hits('/limited')).toBe(2);
    } finally {
      await h.close();
    }
  }, 90_000);

  it('a feed answering 304 is polled less and less often; Cache-Control max-age is honoured; a poll outside the scheduler is taken regardless', async () => {
    let cacheControl: string | undefined;
    routes.set('/quiet', (req, res) => {
      if (req.headers['if-none-match'] === '"q1"') return void res.writeHead(304, { etag: '"q1"', ...(cacheControl ? { 'cache-control': cacheControl } : {}) }).end();
      sendRss(res, rss(`http://quiet.test:${port}`, 'Quiet', [1, 2, 3]), { etag: '"q1"' });
    });
    const h = await harness('quiet', '/quiet');
    try {
      await h.tick();
      let s = await h.pollAt(T0);
      expect(s).toMatchObject({ unchangedPolls: 0, intervalS: 900, pollReason: 'base', firstFetchAt: iso(T0) });

      const t1 = T0 + 900 * S;
      s = await h.pollAt(t1);
      expect(s).toMatchObject({ unchangedPolls: 1, intervalS: 1350, pollReason: 'unchanged', nextPollAt: iso(t1 + 1350 * S) });
      await h.skippedAt(t1 + 1000 * S);

      const t2 = t1 + 1350 * S;
      s = await h.pollAt(t2);
      expect(s).toMatchObject({ unchangedPolls: 2, intervalS: 2025, nextPollAt: iso(t2 + 2025 * S) });

      // the server now says its answer stays fresh for 3 h: longer than the 304 streak's 3038 s
      cacheControl = 'max-age=10800';
      const t3 = t2 + 2025 * S;
      s = await h.pollAt(t3);
      expect(s).toMatchObject({ unchangedPolls: 3, intervalS: 10_800, pollReason: 'http-cache', nextPollAt: iso(t3 + 3 * H) });
      await h.skippedAt(t3 + H);

      // `run --once`, `demo` or a job added by hand polls now, due or not, and updates the schedule
      const requestsBefore = hits('/quiet');
      const job = await h.rt.ctx.queues.poll.add('poll', { feed: h.feed, runId: 'forced' }, { ...internalJobOptions(h.rt.ctx.settings), jobId: 'forced-quiet' });
      await until(async () => (await job.getState()) === 'completed', 30_000, 'forced poll');
      const done = await h.rt.ctx.queues.poll.getJob('forced-quiet');
      expect(done!.returnvalue).toMatchObject({ status: 'not-modified' });
      expect(hits('/quiet')).toBe(requestsBefore + 1);
      s = await h.store.get(h.feed.id);
      expect(s).toMatchObject({ lastPollAt: iso(t3 + H), unchangedPolls: 4, nextPollAt: iso(t3 + 4 * H) });

      // every poll after the first was conditional
      const conditional = requests.filter((r) => r.path === '/quiet').slice(1);
      expect(conditional.length).toBe(4);
      expect(conditional.every((r) => r.headers['if-none-match'] === '"q1"')).toBe(true);
    } finally {
      await h.close();
    }
  }, 90_000);

  it('a busy feed is polled more often, down to the minimum interval', async () => {
    let published = 30;
    routes.set('/busy', (_req, res) => {
      // the newest 30 items, newest first
      const items = Array.from({ length: Math.min(30, published) }, (_, i) => published - i);
      sendRss(res, rss(`http://busy.test:${port}`, 'Busy', items));
    });
    const h = await harness('busy', '/busy');
    try {
      await h.tick();
      // the first fetch lists 30 items: the backlog, not news
      let s = await h.pollAt(T0);
      expect(s).toMatchObject({ intervalS: 900, pollReason: 'base' });
      expect(s.itemsPerDay).toBeUndefined();
      // ten new items every 15 min; items per day is known once an hour has been observed
      for (let k = 1; k <= 3; k++) {
        published += 10;
        s = await h.pollAt(T0 + k * 900 * S);
        expect(s).toMatchObject({ intervalS: 900, pollReason: 'base' });
        expect(s.itemsPerDay).toBeUndefined();
      }
      published += 10;
      s = await h.pollAt(T0 + H);
      // 40 new items in one hour = 960 a day: 3 items per poll → 270 s, held at the 300 s minimum
      expect(s).toMatchObject({ itemsPerDay: 960, intervalS: 300, pollReason: 'busy', nextPollAt: iso(T0 + H + 300 * S) });
      await h.skippedAt(T0 + H + 100 * S);

      published += 10;
      s = await h.pollAt(T0 + H + 300 * S);
      expect(s).toMatchObject({ intervalS: 300, pollReason: 'busy' });
      expect(s.itemsPerDay).toBeCloseTo((50 * 86_400) / 3900, 1);

      // every listed item is new: some may have scrolled off unseen
      published += 30;
      s = await h.pollAt(T0 + H + 600 * S);
      expect(s).toMatchObject({ intervalS: 300, pollReason: 'overflow' });
      expect(await h.rt.ctx.queues.article.count()).toBe(published);
    } finally {
      await h.close();
    }
  }, 90_000);

  it('a feed failing for FEEDSIFT_FEED_DEAD_AFTER_HOURS (24) is flagged, keeps being polled at the max interval, and recovers', async () => {
    let healthy = false;
    routes.set('/dead', (_req, res) => {
      if (!healthy) return void res.writeHead(500).end('gone wrong');
      sendRss(res, rss(`http://dead.test:${port}`, 'Back', [1]));
    });
    const h = await harness('dead', '/dead');
    try {
      await h.tick();
      let s = await h.pollAt(T0);
      const seen: Array<[number, number, boolean]> = [];
      for (;;) {
        seen.push([(Date.parse(s.lastPollAt!) - T0) / S, s.intervalS!, s.flaggedSince !== undefined]);
        if (s.flaggedSince) break;
        expect(seen.length).toBeLessThan(20);
        s = await h.pollAt(Date.parse(s.nextPollAt!));
      }
      // exponential backoff from the 15 min base, capped at 6 h; flagged at the first poll 24 h or more after the first failure
      expect(seen).toEqual([
        [0, 900, false],
        [900, 1800, false],
        [2700, 3600, false],
        [6300, 7200, false],
        [13_500, 14_400, false],
        [27_900, 21_600, false],
        [49_500, 21_600, false],
        [71_100, 21_600, false],
        [92_700, 21_600, true],
      ]);
      const flaggedAt = T0 + 92_700 * S;
      expect(s).toMatchObject({ failingSince: iso(T0), flaggedSince: iso(flaggedAt), pollReason: 'dead', failedPolls: 9, consecutiveFailures: 9 });

      const [row] = await feedHealth(h.rt.ctx.redis, h.prefix, [h.feed]);
      expect(row).toEqual({
        id: 'dead',
        url: h.feed.url,
        lastPollAt: iso(flaggedAt),
        lastSuccessAt: null,
        lastErrorAt: iso(flaggedAt),
        lastError: expect.stringMatching(/^\[HTTP_RETRYABLE_STATUS\] fetch-feed: HTTP 500/),
        consecutiveFailures: 9,
        failedPolls: 9,
        itemsPerDay: null,
        nextPollAt: iso(flaggedAt + 6 * H),
        intervalS: 21_600,
        pollReason: 'dead',
        failingSince: iso(T0),
        flagged: true,
        flaggedSince: iso(flaggedAt),
      });

      // never dropped: skipped until due, then polled at the max interval, the flag kept
      await h.skippedAt(flaggedAt + 5 * H);
      s = await h.pollAt(flaggedAt + 6 * H);
      expect(s).toMatchObject({ flaggedSince: iso(flaggedAt), intervalS: 21_600, consecutiveFailures: 10 });
      expect(hits('/dead')).toBe(10);

      healthy = true;
      s = await h.pollAt(flaggedAt + 12 * H);
      expect(s).toMatchObject({ lastSuccessAt: iso(flaggedAt + 12 * H), consecutiveFailures: 0, failedPolls: 0, intervalS: 900, pollReason: 'base' });
      const [recovered] = await feedHealth(h.rt.ctx.redis, h.prefix, [h.feed]);
      expect(recovered).toMatchObject({ flagged: false, flaggedSince: null, failingSince: null, consecutiveFailures: 0, lastError: expect.stringMatching(/HTTP 500/) });
    } finally {
      await h.close();
    }
  }, 120_000);

  it('syncSchedulers installs one scheduler per feed ticking at its lower bound; the first tick polls a new feed at once', async () => {
    routes.set('/hourly', (_req, res) => sendRss(res, rss(`http://hourly.test:${port}`, 'Hourly', [1, 2]), { 'cache-control': 'max-age=60' }));
    const h = await harness('hourly', '/hourly', 3600);
    try {
      expect(await syncSchedulers(h.rt.ctx, [h.feed])).toEqual({ upserted: 1, removed: 0 });
      const schedulers = await h.rt.ctx.queues.poll.getJobSchedulers(0, -1);
      expect(schedulers.map((x) => [x.key, x.every])).toEqual([['feed-hourly', 300_000]]);
      const s = await h.pollAt(T0);
      expect(s).toMatchObject({ intervalS: 3600, pollReason: 'base', nextPollAt: iso(T0 + H) });
      expect(hits('/hourly')).toBe(1);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('feedHealth answers for feeds never polled', async () => {
    const prefix = uniquePrefix();
    const rows = await feedHealth(redis, prefix, [{ id: 'never', url: 'https://never.example/feed' }]);
    expect(rows).toEqual([
      {
        id: 'never',
        url: 'https://never.example/feed',
        lastPollAt: null,
        lastSuccessAt: null,
        lastErrorAt: null,
        lastError: null,
        consecutiveFailures: 0,
        failedPolls: 0,
        itemsPerDay: null,
        nextPollAt: null,
        intervalS: null,
        pollReason: null,
        failingSince: null,
        flagged: false,
        flaggedSince: null,
      },
    ]);
  });
});
