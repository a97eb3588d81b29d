// The command line as a user runs it: a child process with its own environment.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExpectedSeeds, outlets, fixturePath } from '../../fixtures/manifest.ts';
import type { OutputRecord } from '../../pipeline/records.ts';
import { feedsift } from '../helpers/cli.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

function tmp(name: string): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'feedsift-cli-')), name);
}

function outcome(records: OutputRecord[]): { stories: number; duplicates: number; ftGroup: number } {
  const seedPaths = new Set(loadExpectedSeeds().map((e) => new URL(e.url.replace('{{PORT}}', '1')).pathname));
  const seeds = records.filter((r) => seedPaths.has(new URL(r.url).pathname));
  const storyIds = new Set(seeds.map((r) => r.storyId));
  return {
    stories: records.filter((r) => r.kind === 'story').length,
    duplicates: records.filter((r) => r.kind === 'duplicate').length,
    ftGroup: storyIds.size === 1 ? seeds.length : -storyIds.size,
  };
}

describe('feedsift demo', () => {
  const runs: Record<string, ReturnType<typeof outcome>> = {};

  it.each([
    ['the embedded redis-server (REDIS_URL unset)', () => ({ REDIS_URL: undefined })],
    ['REDIS_URL pointing at a running Redis', () => ({ REDIS_URL: testRedisUrl() })],
  ])('runs the whole pipeline on %s and writes the records', async (label, env) => {
    const out = tmp('out.jsonl');
    const dataDir = path.dirname(out);
    const run = await feedsift(['demo', '--out', out], { ...env(), FEEDSIFT_DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(label.startsWith('the embedded') ? /on an embedded redis-server/ : /on redis:\/\/127\.0\.0\.1/);
    expect(run.stdout).toMatch(/^stories: +\d+$/m);
    expect(run.stdout).toMatch(/^failures: +4$/m);
    const records = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OutputRecord);
    const o = outcome(records);
    expect(o.ftGroup).toBe(5);
    expect(o.duplicates).toBe(4);
    runs[label] = o;
  }, 180_000);

  it('shows the same outcome with either Redis', () => {
    const values = Object.values(runs);
    expect(values).toHaveLength(2);
    expect(values[0]).toEqual(values[1]);
  });
});

describe('feedsift extract', () => {
  it('reads JSON Lines from stdin and answers one line per input, in order, errors included', async () => {
    const seedOutlet = outlets.find((o) => o.pages.some((p) => p.seed?.startsWith('004')))!;
    const page = seedOutlet.pages.find((p) => p.seed?.startsWith('004'))!;
    const input = [
      { id: 'file-004', file: fixturePath(page.file), url: `http://${seedOutlet.host}${page.path}` },
      { id: 'inline', html: '<html lang="de"><head><title>Kurz</title></head><body><article><p>' + 'Der Bundestag hat am Donnerstag über den Haushalt beraten. '.repeat(8) + '</p></article></body></html>' },
      { id: 'no-input' },
    ];
    const stdin = `${input.map((l) => JSON.stringify(l)).join('\n')}\nthis is not json\n`;
    const run = await feedsift(['extract'], {}, stdin);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.id)).toEqual(['file-004', 'inline', 'no-input', '4']);
    expect(lines[0]).toMatchObject({ language: 'en' });
    expect(String(lines[0]!.text)).toContain('Kremlin reiterated its opposition');
    expect((lines[0]!.removed as Array<{ language?: string }>).some((r) => r.language === 'zh')).toBe(true);
    expect(lines[1]).toMatchObject({ language: 'de' });
    expect(lines[2]).toMatchObject({ error: { code: 'INVALID_JOB' } });
    expect(lines[3]).toMatchObject({ error: { code: 'INVALID_JOB' } });
  });

  it('takes HTML files as arguments', async () => {
    const zyte = outlets.find((o) => o.kind === 'unrelated')!.pages[0]!;
    const file = tmp('page.html');
    writeFileSync(file, readFileSync(fixturePath(zyte.file)));
    const run = await feedsift(['extract', file], {});
    expect(run.code, run.stderr).toBe(0);
    const [line] = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; wordCount: number });
    expect(line!.id).toBe(file);
    expect(line!.wordCount).toBeGreaterThan(100);
  });
});

describe('feedsift run --once, tail and configuration errors', () => {
  it('says how to install Redis when REDIS_URL is unset and no redis-server is on PATH', async () => {
    const emptyPath = path.dirname(tmp('x'));
    const run = await feedsift(['demo'], { REDIS_URL: undefined, PATH: emptyPath });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/REDIS_URL is not set and no redis-server is on PATH/);
    expect(run.stderr).toMatch(/apt-get install redis-server/);
  });

  it('exits non-zero listing every configuration problem at once', async () => {
    const file = tmp('feeds.yaml');
    writeFileSync(file, 'feeds:\n  - url: ftp://x.example/feed\n  - url: https://ok.example/rss\n    pollInterval: sometimes\n');
    const run = await feedsift(['run', '--once'], { FEEDSIFT_FEEDS_FILE: file, FEEDSIFT_JOB_ATTEMPTS: 'zero' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/3 problem\(s\)/);
    expect(run.stderr).toContain('feeds.0.url');
    expect(run.stderr).toContain('feeds.1.pollInterval');
    expect(run.stderr).toContain('FEEDSIFT_JOB_ATTEMPTS');
  });

  it('tail prints what the output queues hold as JSON Lines', async () => {
    const prefix = uniquePrefix();
    const redis = newRedis();
    try {
      const { Queue } = await import('bullmq');
      const q = new Queue('stories', { connection: redis, prefix });
      await q.add('story', { kind: 'story', storyId: 's1', title: 'one' });
      await q.add('story', { kind: 'story', storyId: 's2', title: 'two' });
      await q.close();
      const run = await feedsift(['tail', '--drain'], { REDIS_URL: testRedisUrl(), FEEDSIFT_PREFIX: prefix });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { storyId: string });
      expect(lines.map((l) => l.storyId).sort()).toEqual(['s1', 's2']);
    } finally {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
