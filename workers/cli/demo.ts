// `feedsift demo`: the whole pipeline, once, on the bundled fixture outlets served on loopback.
import { writeFileSync } from 'node:fs';
import { startFixtureServer } from '../../fixtures/server.ts';
import type { OutputRecord } from '../../pipeline/records.ts';
import type { ProgressState } from './progress.ts';
import { loadOrExit, loggerFor, newRunId, runOnceWithRedis, stderrProgress, summaryLines, type OnceResult } from './run.ts';

export interface DemoOptions {
  out?: string | undefined;
  keep?: boolean;
  timeoutMs?: number;
  /** Redis to use instead of the configured one (tests). */
  redisUrl?: string;
  /** Where the summary goes; default stdout. */
  print?: (line: string) => void;
  /** runDemo: show progress on stderr (a bar on a terminal, plain lines otherwise). Default false. */
  progress?: boolean;
  /** demoRun: called while the queues drain. */
  onProgress?: (p: ProgressState) => void;
}

/** Runs the demo and returns its result (the end-to-end test calls this too). */
export async function demoRun(opts: DemoOptions = {}): Promise<OnceResult> {
  const server = await startFixtureServer();
  try {
    const runId = newRunId();
    const config = loadOrExit({
      feeds: [...server.feeds, ...server.brokenFeeds],
      overrides: (s) => {
        // the fixture outlets' hostnames all point at the loopback fixture server
        s.http.hostOverrides = { ...s.http.hostOverrides, ...server.hosts };
        // …and the outbound guard refuses loopback unless allowlisted: exactly those hostnames are
        s.http.allowHosts = [...s.http.allowHosts, ...Object.keys(server.hosts)];
        // a fresh prefix per demo run: nothing seen before, nothing left behind
        s.prefix = `${s.prefix}-demo-${runId}`;
        // the broken fixture feeds fail fast instead of backing off for seconds
        s.backoffMs = Math.min(s.backoffMs, 200);
        // all fixture outlets are one loopback server: a short per-host delay between request starts
        // (the default 1 s is for real outlets) keeps the demo quick; concurrency and robots.txt stay as configured
        s.politeness.hostDelayMs = Math.min(s.politeness.hostDelayMs, 50);
      },
    });
    const log = loggerFor(config, { cmd: 'demo' });
    return await runOnceWithRedis({
      config,
      log,
      ...(opts.redisUrl ? { redisUrl: opts.redisUrl } : {}),
      timeoutMs: opts.timeoutMs ?? 300_000,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      collectOutput: true,
      cleanup: !opts.keep,
    });
  } finally {
    await server.close();
  }
}

export function storyLines(records: OutputRecord[]): string[] {
  const stories = records.filter((r) => r.kind === 'story');
  const lines: string[] = [];
  for (const s of stories) {
    const dups = records.filter((r) => r.kind === 'duplicate' && r.storyId === s.storyId);
    lines.push(`  • ${s.title.slice(0, 90)} — ${s.source} [${s.language}]${dups.length ? ` + ${dups.length} duplicate(s): ${dups.map((d) => d.source).join(', ')}` : ''}`);
  }
  return lines;
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const progress = stderrProgress(opts.progress ?? false);
  let result: OnceResult;
  try {
    result = await demoRun({ ...opts, ...(progress ? { onProgress: (p: ProgressState) => progress.update(p) } : {}) });
  } finally {
    progress?.finish();
  }
  if (opts.out) writeFileSync(opts.out, result.records.map((r) => JSON.stringify(r)).join('\n') + (result.records.length ? '\n' : ''));
  print(`feedsift demo — run ${result.summary.runId} on ${result.redis.embedded ? 'an embedded redis-server' : result.redis.url}`);
  for (const l of summaryLines(result.summary)) print(l);
  print('published:');
  for (const l of storyLines(result.records)) print(l);
  if (opts.out) print(`wrote ${result.records.length} records to ${opts.out}`);
  return 0;
}
