// `npm run bench` on a tiny configuration: every section runs for real (child processes, the
// test Redis, `feedsift start` workers, the loopback page server) and the JSON report holds every
// key issue 7 asks for, as numbers (or null with the reason, where the evaluation sets are
// absent). No figure is judged: speed belongs to the benchmark's own run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/run.ts';
import { missingKeys, requiredKeys, valueAt, type BenchReport } from '../../bench/lib/report.ts';
import { hasEval, REPO_ROOT } from '../helpers/eval.ts';
import { testRedisUrl } from '../helpers/redis.ts';

describe('npm run bench', () => {
  it('asks by default for every key issue 7 lists', () => {
    expect(requiredKeys(parseOptions([]))).toEqual([
      'cores',
      'node',
      'date',
      'extraction.pagesPerSecond',
      'extraction.baselinePagesPerSecond',
      'extraction.f1',
      'extraction.baselineF1',
      'language.microsPerArticle',
      'language.microsPerBlock',
      'dedupe.microsPerArticle.10000',
      'dedupe.microsPerArticle.100000',
      'dedupe.microsPerArticle.1000000',
      'dedupe.redisBytesPerArticle',
      'pipeline.oneCoreArticlesPerSecond',
      'pipeline.bothCoresArticlesPerSecond',
      'pipeline.twoProcessesArticlesPerSecond',
      'memory.rssAfter500',
      'memory.rssAfter5000',
    ]);
    expect(parseOptions(['--only', 'language,extraction']).only).toEqual(['extraction', 'language']);
  });

  it('runs every section on a tiny configuration and writes a report with every key', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-bench-'));
    const file = path.join(dir, 'report.json');
    const args = ['--json', file, '--pages', '3', '--dedupe-sizes', '150,300', '--dedupe-timed', '10', '--pipeline-articles', '12', '--pipeline-rounds', '2', '--memory-pages', '8,24'];
    try {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bench', 'run.ts'), ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, REDIS_URL: testRedisUrl() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, output).toBe(0);
      // the readable table is printed beside the JSON
      expect(output).toMatch(/pages\/s \(feedsift@\w+ vs Readability@jsdom|skipped extraction\.pagesPerSecond/);
      expect(output).toContain('articles/s, two processes, one core each');

      const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
      const opts = parseOptions(args);
      expect(missingKeys(report, opts)).toEqual([]);
      const keys = requiredKeys(opts);
      expect(keys).toContain('dedupe.microsPerArticle.300');
      expect(keys).toContain('memory.rssAfter24');
      for (const key of keys.filter((k) => !['node', 'date'].includes(k))) {
        const value = valueAt(report, key);
        // the pipeline and memory sections fall back to the fixture pages; the others need ../shared/eval
        if (hasEval || key.startsWith('pipeline.') || key.startsWith('memory.') || key === 'cores') {
          expect(typeof value, key).toBe('number');
          expect(value as number, key).toBeGreaterThan(0);
        } else expect(value ?? null, key).toBeNull();
      }
      expect(report.node).toBe(process.version);
      expect(Number.isNaN(Date.parse(report.date))).toBe(false);
      // the host probe ran at the start and at the end, and the table says so
      for (const p of [report.host?.start, report.host?.end]) {
        expect(p?.loopMs).toBeGreaterThan(0);
        expect(p?.allocMs).toBeGreaterThan(0);
      }
      expect(output).toMatch(/host probe .*: loop \d+ ms, alloc \d+ ms; loop \d+ ms, alloc \d+ ms/);

      const pipeline = report.pipeline as unknown as {
        runs: Record<string, { articles: number; published: number; filtered: number; failed: number; articlesPerSecond: number; stages: Record<string, { jobs: number }> }>;
        rounds: Record<string, number[]>;
      } & Record<string, unknown>;
      for (const [name, figure] of [['oneCore', 'oneCoreArticlesPerSecond'], ['bothCores', 'bothCoresArticlesPerSecond'], ['twoProcesses', 'twoProcessesArticlesPerSecond']] as const) {
        const run = pipeline.runs[name]!;
        // two rounds; the figure is the faster run, whose details are kept
        expect(pipeline.rounds[name], name).toHaveLength(2);
        expect(pipeline[figure]).toBe(Math.max(...pipeline.rounds[name]!));
        expect(run.articlesPerSecond).toBe(pipeline[figure]);
        // every article of the feeds went through (published, filtered or failed) and the split covers the three stages
        expect(run.published + run.filtered + run.failed, name).toBe(12);
        expect(run.stages.article!.jobs, name).toBe(12);
        expect(run.stages.poll!.jobs, name).toBeGreaterThan(0);
        expect(run.stages.dedupe!.jobs, name).toBe(run.published);
      }
      if (hasEval) {
        // the Redis bytes by kind of key, read at each size before its timed decisions
        for (const n of [150, 300]) {
          const kinds = report.dedupe && 'sizes' in report.dedupe ? report.dedupe.sizes[n]?.redisBytesByKind : undefined;
          expect(kinds, `dedupe at ${n}`).toBeDefined();
          // one record per article taken from the stream (the 10 timed at 150 included at 300), ~0.8 KB each
          expect(kinds!.records!.keys).toBe(n);
          expect(kinds!.records!.bytesPerArticle).toBeGreaterThan(300);
          expect(kinds!.records!.bytesPerArticle).toBeLessThan(3000);
          expect(kinds!.postings!.keys).toBeGreaterThan(0);
          expect(kinds!.postings!.bytesPerArticle).toBeGreaterThan(0);
          expect(kinds!.frequencies!.keys).toBeGreaterThan(0);
        }
        expect(output).toMatch(/dedupe at 300 indexed: Redis bytes per article by key \(MEMORY USAGE of a sample\): \w+ \d+/);
      }
      expect(report.acceptance?.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
