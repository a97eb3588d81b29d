// `feedsift failed list|retry` as an operator runs it (a child process, REDIS_URL + prefix from
// the environment), over article jobs that really failed in the pipeline on real Redis.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import type { FeedConfig } from '../../pipeline/records.ts';
import { createLogger } from '../../workers/log.ts';
import { runOnce, startRuntime, waitForDrain, type Runtime } from '../../workers/runtime.ts';
import { feedsift } from '../helpers/cli.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

const PARAGRAPH = 'The regional water board approved a plan on Monday to replace the oldest pipes in the valley over the next six years, after a winter of leaks that left several villages without supply for days at a time.';

describe('feedsift failed', () => {
  const redis = newRedis();
  const prefix = uniquePrefix();
  let server: Server;
  let port = 0;
  let healthy = false;
  let rt: Runtime;
  const env = (): Record<string, string> => ({ REDIS_URL: testRedisUrl(), FEEDSIFT_PREFIX: prefix });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const host = `http://water.test:${port}`;
      if (req.url === '/feed') {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Water</title><link>${host}/</link>
          <item><guid>${host}/gone</guid><link>${host}/gone</link><title>Gone</title></item>
          <item><guid>${host}/pipes</guid><link>${host}/pipes</link><title>Pipes</title></item></channel></rss>`);
      } else if (req.url === '/pipes' && healthy) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<html lang="en"><head><title>Pipes to be replaced</title></head><body><article><h1>Pipes to be replaced</h1><p>${PARAGRAPH}</p><p>${PARAGRAPH}</p></article></body></html>`);
      } else {
        res.writeHead(req.url === '/gone' ? 410 : 404).end('no');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    const feed: FeedConfig = { id: 'water', url: `http://water.test:${port}/feed`, pollIntervalSeconds: 300 };
    const config = loadConfig({ env: { FEEDSIFT_ALLOW_HOSTS: '127.0.0.1' }, feeds: [feed], overrides: (s) => { s.prefix = prefix; s.http.hostOverrides = { 'water.test': '127.0.0.1' }; s.backoffMs = 20; } });
    rt = await startRuntime(config, { redisUrl: testRedisUrl(), log: createLogger('silent') });
    const run = await runOnce(rt.ctx, [feed], { runId: 'r1', timeoutMs: 60_000 });
    expect(run.failures, JSON.stringify(run.failures)).toHaveLength(2);
  }, 90_000);
  afterAll(async () => {
    await rt?.close();
    await new Promise((r) => server.close(r));
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('lists each failed job with queue, id, target, reason, attempts and time (--json)', async () => {
    const r = await feedsift(['failed', 'list', '--json'], env());
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.target).sort()).toEqual([`http://water.test:${port}/gone`, `http://water.test:${port}/pipes`]);
    for (const l of lines) {
      expect(l.queue).toBe('article');
      expect(l.jobId).toEqual(expect.any(String));
      expect(l.reason).toMatch(/^\[HTTP_STATUS\] fetch-page: HTTP 4(04|10)/);
      // a permanent status fails at once: one attempt
      expect(l.attempts).toBe(1);
      expect(Date.parse(l.failedAt as string)).toBeGreaterThan(Date.now() - 5 * 60_000);
    }
  });

  it.each([
    [['failed', 'list', '--queue', 'poll'], 0, ''],
    [['failed', 'list', '--queue', 'dedupe', '--json'], 0, ''],
  ])('%j prints nothing when that queue has no failure', async (args, code, out) => {
    const r = await feedsift(args, env());
    expect(r.code).toBe(code);
    expect(r.stdout).toBe(out);
  });

  it('prints a readable listing by default and rejects an unknown queue', async () => {
    const r = await feedsift(['failed', 'list'], env());
    expect(r.stdout).toMatch(/^article\t\S+\t\S+\tattempts 1\thttp:\/\/water\.test:\d+\/gone\n {2}\[HTTP_STATUS\] fetch-page: HTTP 410/m);
    expect(r.stderr).toMatch(/2 failed job\(s\)/);
    const bad = await feedsift(['failed', 'list', '--queue', 'stories'], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown queue "stories"/);
  });

  it('retries the chosen job: it runs again and now succeeds; an unknown id is an error', async () => {
    const listed = (await feedsift(['failed', 'list', '--json'], env())).stdout.trim().split('\n').map((l) => JSON.parse(l) as { jobId: string; target: string });
    const pipes = listed.find((l) => l.target.endsWith('/pipes'))!;
    healthy = true;
    const r = await feedsift(['failed', 'retry', pipes.jobId, 'no-such-job'], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`retried article ${pipes.jobId}\n`);
    expect(r.stderr).toMatch(/not a failed job of poll, article, dedupe: no-such-job/);
    await waitForDrain(rt.ctx, { timeoutMs: 60_000 });
    expect(await (await rt.ctx.queues.article.getJob(pipes.jobId))!.getState()).toBe('completed');
    const stories = await rt.ctx.queues.stories.getJobs(['waiting']);
    expect(stories.map((s) => s.data.url)).toEqual([pipes.target]);

    // --all: the 410 page is retried and fails again (still gone)
    const all = await feedsift(['failed', 'retry', '--all', '--json'], env());
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ queue: 'article', jobId: expect.any(String), retried: true }]);
    await waitForDrain(rt.ctx, { timeoutMs: 60_000 });
    const after = (await feedsift(['failed', 'list', '--json'], env())).stdout.trim().split('\n');
    expect(after).toHaveLength(1);
    expect(JSON.parse(after[0]!).target).toMatch(/\/gone$/);
    const none = await feedsift(['failed', 'retry'], env());
    expect(none.code).toBe(2);
  }, 90_000);
});
