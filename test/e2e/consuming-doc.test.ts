// docs/consuming.md's consumer is real: its code block, taken out of the document and run as a
// plain Node program against real Redis after a pipeline run on the fixture outlets, receives
// every record, handles a re-delivered record once, and refuses a schemaVersion it does not know.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import type { OutputRecord } from '../../pipeline/records.ts';
import { createLogger } from '../../workers/log.ts';
import { readOutput, runOnce, startRuntime } from '../../workers/runtime.ts';
import { REPO_ROOT } from '../helpers/eval.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';
import { until } from '../helpers/wait.ts';

const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'consuming.md'), 'utf8');
const code = /^```js\n([\s\S]*?)^```$/m.exec(doc)?.[1] ?? '';

describe('docs/consuming.md', () => {
  const redis = newRedis();
  const prefix = uniquePrefix();
  let server: FixtureServer;
  let records: OutputRecord[] = [];

  beforeAll(async () => {
    server = await startFixtureServer();
    const config = loadConfig({
      env: {},
      feeds: server.feeds,
      overrides: (s) => {
        s.prefix = prefix;
        s.http.hostOverrides = { ...server.hosts };
        s.http.allowHosts = Object.keys(server.hosts);
        s.politeness.hostDelayMs = 50;
      },
    });
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log: createLogger('silent') });
    try {
      const run = await runOnce(rt.ctx, config.feeds, { runId: 'doc', timeoutMs: 120_000 });
      expect(run.failures).toEqual([]);
      records = (await readOutput(rt.ctx)) as OutputRecord[];
    } finally {
      await rt.close();
    }
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('shows a consumer of the stories and duplicates queues in under 20 lines', () => {
    const lines = code.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.length).toBeLessThan(20);
    expect(code).toContain("new Worker(queue, handle, { connection, prefix })");
    for (const q of ['stories', 'duplicates']) expect(code).toContain(`'${q}'`);
  });

  it('runs: receives every record once, ignores a re-delivered one, refuses an unknown schemaVersion, stops on SIGTERM', async () => {
    expect(records.filter((r) => r.kind === 'duplicate')).toHaveLength(4);
    // a plain Node program beside a node_modules that has bullmq, as a consumer's project would be
    const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-consumer-'));
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    writeFileSync(path.join(dir, 'consumer.mjs'), code);
    const child = spawn(process.execPath, ['consumer.mjs'], { cwd: dir, env: { ...process.env, REDIS_URL: testRedisUrl(), FEEDSIFT_PREFIX: prefix }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    const printed = (): Array<Record<string, string>> => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    const stories = new Queue('stories', { connection: redis, prefix });
    try {
      await until(() => printed().length >= records.length, 60_000, `every record consumed (${stderr})`);
      const got = printed();
      expect(got.map((p) => `${p.kind}:${p.id}`).sort()).toEqual(records.map((r) => `${r.kind}:${r.id}`).sort());
      for (const d of got.filter((p) => p.kind === 'duplicate')) {
        const record = records.find((r) => r.id === d.id)!;
        expect(d).toMatchObject({ copyOf: record.storyId, level: (record as Extract<OutputRecord, { kind: 'duplicate' }>).evidence.level });
      }
      await until(async () => (await stories.getCompletedCount()) === records.filter((r) => r.kind === 'story').length, 10_000, 'stories completed');

      // at least once: a story delivered again is recognised by its job id and not handled twice
      const [again] = await stories.getJobs(['completed'], 0, 0);
      await again!.retry('completed');
      await until(async () => (await stories.getCompletedCount()) === records.filter((r) => r.kind === 'story').length, 10_000, 're-delivered story completed');
      expect(printed()).toHaveLength(records.length);

      // a record of a schema version it does not know is refused: it waits in the failed set
      const future = await stories.add('story', { ...records.find((r) => r.kind === 'story')!, schemaVersion: 2 }, { jobId: 'story-from-the-future' });
      await until(async () => (await future.getState()) === 'failed', 10_000, 'unknown schemaVersion failed');
      expect((await stories.getJob('story-from-the-future'))!.failedReason).toBe('schemaVersion 2 is not understood here');
      expect(printed()).toHaveLength(records.length);
    } finally {
      await stories.close();
      child.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
  }, 120_000);
});
