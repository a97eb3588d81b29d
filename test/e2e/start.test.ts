// `feedsift start` as docker compose runs it: the scheduler and worker services' own commands
// (read from docker-compose.yml), started natively against real Redis and the fixture outlets,
// then stopped with SIGTERM.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { outlets } from '../../fixtures/manifest.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import { REPO_ROOT } from '../helpers/eval.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';
import { launchFeedsift, type Running } from '../helpers/running.ts';
import { until } from '../helpers/wait.ts';

const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { command: string[]; environment: Record<string, string> }>;
};

describe('feedsift start, as the compose services run it', () => {
  let server: FixtureServer;
  const redis = newRedis();
  const prefix = uniquePrefix();
  const procs: Running[] = [];

  beforeAll(async () => {
    server = await startFixtureServer();
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await server.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('schedules one poll per feed, processes every feed, and stops gracefully on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-start-'));
    const feedsFile = path.join(dir, 'feeds.yaml');
    writeFileSync(feedsFile, `feeds:\n${server.feeds.map((f) => `  - url: ${f.url}\n    id: ${f.id}\n    name: ${JSON.stringify(f.name)}\n    pollInterval: 1h\n`).join('')}`);
    const env = {
      REDIS_URL: testRedisUrl(),
      FEEDSIFT_PREFIX: prefix,
      FEEDSIFT_FEEDS_FILE: feedsFile,
      FEEDSIFT_HOST_OVERRIDES: Object.entries(server.hosts).map(([h, ip]) => `${h}=${ip}`).join(','),
      FEEDSIFT_ALLOW_HOSTS: Object.keys(server.hosts).join(','),
      // the fixture server is one process on loopback: a short per-host delay keeps the test quick
      FEEDSIFT_HOST_DELAY_MS: '50',
      FEEDSIFT_LOG_LEVEL: 'info',
    };
    for (const service of ['scheduler', 'worker']) {
      const { command, environment } = compose.services[service]!;
      // the service's own command; its REDIS_URL and paths are the container's, so ours replace them
      expect(environment.REDIS_URL).toBeDefined();
      procs.push(launchFeedsift(command, env));
    }

    const stories = new Queue('stories', { connection: redis, prefix });
    const duplicates = new Queue('duplicates', { connection: redis, prefix });
    const poll = new Queue('poll', { connection: redis, prefix });
    try {
      // every page of every good fixture feed comes out as a story or a duplicate notice
      const expectedArticles = outlets.reduce((n, o) => n + o.pages.length, 0);
      await until(async () => (await stories.count()) + (await duplicates.count()) >= expectedArticles, 90_000);
      expect(await duplicates.count()).toBe(4);
      const schedulers = await poll.getJobSchedulers(0, -1);
      expect(schedulers.map((s) => s.key).sort()).toEqual(server.feeds.map((f) => `feed-${f.id}`).sort());
      // each scheduler ticks at the feed's lowest adaptive interval, min(FEEDSIFT_POLL_MIN_INTERVAL_S
      // (default 300 s), pollInterval 1h); ticks before a feed is due are skipped (workers/feed-health.ts)
      expect(schedulers.every((s) => s.every === 300_000)).toBe(true);
    } finally {
      await stories.close();
      await duplicates.close();
      await poll.close();
    }

    for (const p of procs) p.child.kill('SIGTERM');
    const codes = await Promise.all(procs.map((p) => p.exit));
    expect(codes).toEqual([0, 0]);
    for (const p of procs) {
      expect(p.stderr).toMatch(/"msg":"stopping: waiting for in-flight jobs"/);
      expect(p.stderr).toMatch(/"msg":"stopped"/);
    }
    expect(procs[0]!.stderr).toMatch(/job schedulers in place/);
  }, 150_000);
});
