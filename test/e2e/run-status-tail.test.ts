// `run --once` (progress as plain lines when stderr is not a terminal), then `status` and `tail`
// on what it left in Redis — child processes on real Redis with a unique prefix and the loopback
// fixture outlets, as an operator runs them.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outlets } from '../../fixtures/manifest.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import type { FeedConfig, OutputRecord } from '../../pipeline/records.ts';
import type { Status } from '../../workers/cli/status.ts';
import { OUTPUT_QUEUES } from '../../workers/jobs.ts';
import { feedsift } from '../helpers/cli.ts';
import { fixtureEnv, writeFeedsFile } from '../helpers/fixture-env.ts';
import { deletePrefix, newRedis, uniquePrefix } from '../helpers/redis.ts';
import { launchFeedsift, type Running } from '../helpers/running.ts';
import { until } from '../helpers/wait.ts';

const lines = (text: string): Array<Record<string, unknown>> => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('run --once, then status and tail on what it left', () => {
  let server: FixtureServer;
  let broken: FeedConfig;
  const redis = newRedis();
  const prefix = uniquePrefix();
  const running: Running[] = [];
  let env: Record<string, string>;
  /** Every record of the output queues, oldest first, as the queues hold them after the run. */
  let published: Array<{ queue: string; id: string; timestamp: number; data: OutputRecord }> = [];

  beforeAll(async () => {
    server = await startFixtureServer();
    broken = server.brokenFeeds.find((f) => f.id === 'broken-500')!;
    // the good fixture feeds and one that answers HTTP 500; failed attempts retried quickly
    env = fixtureEnv(server, prefix, {
      FEEDSIFT_FEEDS_FILE: writeFeedsFile([...server.feeds, broken]),
      FEEDSIFT_BACKOFF_MS: '50',
      FEEDSIFT_JOB_ATTEMPTS: '2',
    });
  });
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await server.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('run --once polls every feed, summarises, and shows progress as plain lines when stderr is not a terminal', async () => {
    const r = await feedsift(['run', '--once'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^feeds: +${server.feeds.length + 1} configured, ${server.feeds.length} polled, 0 not modified, 1 failed$`, 'm'));
    expect(r.stdout).toMatch(/^duplicates: 4$/m);
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    // the last line is the final state: every feed done, nothing pending
    expect(progress.at(-1)).toMatch(new RegExp(`feeds ${server.feeds.length + 1}/${server.feeds.length + 1} done, .* pending poll 0 · article 0 · dedupe 0$`));
    // no bar: no carriage return, no terminal escape
    expect(r.stderr).not.toMatch(/[\r\x1b]/);

    for (const name of OUTPUT_QUEUES) {
      const q = new Queue(name, { connection: redis, prefix });
      for (const j of await q.getJobs(['waiting'], 0, -1)) published.push({ queue: name, id: j.id!, timestamp: j.timestamp, data: j.data as OutputRecord });
      await q.close();
    }
    published = published.sort((a, b) => a.timestamp - b.timestamp || a.id.localeCompare(b.id));
    expect(published.length).toBe(outlets.reduce((n, o) => n + o.pages.length, 0));
  }, 180_000);

  it('status --json: every queue\'s counts, the counters, and each feed\'s health', async () => {
    const r = await feedsift(['status', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as Status;
    expect(status.prefix).toBe(prefix);
    expect(Object.keys(status.queues)).toEqual(['poll', 'article', 'dedupe', 'stories', 'duplicates', 'updates']);
    const stories = published.filter((p) => p.queue === 'stories').length;
    expect(status.queues.stories).toMatchObject({ waiting: stories, active: 0, failed: 0 });
    expect(status.queues.duplicates).toMatchObject({ waiting: 4 });
    expect(status.queues.updates).toMatchObject({ waiting: 0 });
    for (const q of ['poll', 'article', 'dedupe']) expect(status.queues[q]).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    expect(status.queues.poll!.failed).toBe(1);
    expect(status.queues.poll!.completed).toBe(server.feeds.length);
    expect(status.stats).toMatchObject({ stories, duplicates: 4, 'feeds.polled': server.feeds.length, 'feeds.failed': 1 });
    expect(status.feeds.map((f) => f.id)).toEqual([...server.feeds.map((f) => f.id), broken.id]);
    for (const f of status.feeds.slice(0, -1)) {
      expect(f.health).toBe('ok');
      expect(f.consecutiveFailures).toBe(0);
      expect(Date.parse(f.lastSuccessAt!)).toBeGreaterThan(Date.now() - 10 * 60_000);
      // the poll schedule (adaptive polling) as the feed's health reports it
      expect(f).toMatchObject({ intervalS: 3600, pollReason: 'base', flagged: false, failedPolls: 0 });
      expect(Date.parse(f.nextPollAt!)).toBeGreaterThan(Date.now());
    }
    const failing = status.feeds.at(-1)!;
    expect(failing).toMatchObject({ id: broken.id, url: broken.url, health: 'failing' });
    expect(failing.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(failing.lastError).toMatch(/^\[HTTP_RETRYABLE_STATUS\] /);
    expect(failing.lastSuccessAt).toBeNull();
    expect(failing).toMatchObject({ failedPolls: 1, flagged: false });
    expect(failing.failingSince).not.toBeNull();
  });

  it('status without --json: the same as tables', async () => {
    const r = await feedsift(['status'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^  queue +waiting +active +delayed +prioritized +waiting-children +completed +failed$/m);
    expect(r.stdout).toMatch(/^  duplicates +4 +0 /m);
    expect(r.stdout).toMatch(new RegExp(`^  ${broken.id} +failing +[1-9]\\d* +- +\\d+s ago`, 'm'));
    expect(r.stdout).toMatch(/^      last error: \[HTTP_RETRYABLE_STATUS\] /m);
    expect(r.stdout).toMatch(/^      every 1h \(failing\) · last poll \d+s ago · 1 failed poll\(s\) in a row · failing since \d+s ago$/m);
    for (const f of server.feeds) expect(r.stdout).toMatch(new RegExp(`^  ${f.id} +ok +0 +\\d+[smh] ago +-`, 'm'));
  });

  it('tail --drain prints every record the queues hold, oldest first, and takes none of them', async () => {
    const r = await feedsift(['tail', '--drain'], env);
    expect(r.code, r.stderr).toBe(0);
    const printed = lines(r.stdout);
    expect(printed).toEqual(published.map((p) => p.data));
    const stories = new Queue('stories', { connection: redis, prefix });
    expect(await stories.getWaitingCount()).toBe(published.filter((p) => p.queue === 'stories').length);
    await stories.close();
  });

  it('tail follows only records published after it starts; --from-start replays the held ones first, then follows', async () => {
    const follow = launchFeedsift(['tail'], { ...env, FEEDSIFT_LOG_LEVEL: 'info' });
    const fromStart = launchFeedsift(['tail', '--from-start'], { ...env, FEEDSIFT_LOG_LEVEL: 'info' });
    running.push(follow, fromStart);
    await until(() => follow.stderr.includes('following the output queues') && fromStart.stderr.includes('following the output queues'), 30_000, 'both tails following');
    expect(follow.stdout).toBe('');
    expect(lines(fromStart.stdout)).toEqual(published.map((p) => p.data));

    const stories = new Queue('stories', { connection: redis, prefix });
    const duplicates = new Queue('duplicates', { connection: redis, prefix });
    await stories.add('story', { kind: 'story', storyId: 'late-1', title: 'published while tailing' });
    await duplicates.add('duplicate', { kind: 'duplicate', storyId: 'late-1', id: 'late-2' });
    await stories.close();
    await duplicates.close();
    await until(() => lines(follow.stdout).length === 2 && lines(fromStart.stdout).length === published.length + 2, 30_000, 'the new records printed');
    expect(lines(follow.stdout).map((l) => l.storyId)).toEqual(['late-1', 'late-1']);
    expect(lines(fromStart.stdout).slice(published.length).map((l) => l.id ?? l.storyId).sort()).toEqual(['late-1', 'late-2']);

    follow.child.kill('SIGTERM');
    fromStart.child.kill('SIGTERM');
    expect(await follow.exit).toBe(0);
    expect(await fromStart.exit).toBe(0);
    // nothing printed twice
    expect(lines(fromStart.stdout)).toHaveLength(published.length + 2);
  }, 60_000);
});
