// `npm run bench`: every benchmark of feedsift in one run, each figure beside a baseline measured
// in the same run; writes a JSON report and prints a table. Issue 7 lists the report's keys, so
// that runs can be compared over time.
//
//   npm run bench                                   everything (about 15 minutes on 2 cores)
//   npm run bench -- --only extraction,language     a subset (sections: extraction, language, dedupe, pipeline, memory)
//   npm run bench -- --json FILE                    where the report goes (default bench/last-report.json)
//   npm run bench -- --pages 20                     the first 20 Zyte pages for extraction and language
//   npm run bench -- --dedupe-sizes 10000,100000    index sizes the dedupe decision is timed at
//   npm run bench -- --dedupe-timed 1000            decide() calls timed at each size
//   npm run bench -- --dedupe-max-fill-seconds 900  longest filling the index up to one size may take
//   npm run bench -- --pipeline-articles 1000       articles per pipeline configuration
//   npm run bench -- --pipeline-rounds 2            rounds of the three configurations (fastest kept)
//   npm run bench -- --memory-pages 500,5000        pages after which the worker's RSS is read
//
// Sections (see each module for how it measures):
//   extraction  bench/lib/cpu-sections.ts   feedsift's page stages vs Readability on jsdom: pages/s, F1
//   language    bench/lib/cpu-sections.ts   the language stage vs raw CLD3: µs per article and per block
//   dedupe      bench/lib/dedupe-bench.ts   µs per decide() at 10k/100k/1M indexed, Redis bytes per article
//   pipeline    bench/lib/pipeline-bench.ts feed → output queue articles/s: one core, both cores, two processes
//   memory      bench/lib/pipeline-bench.ts worker RSS after 500 and 5,000 pages
// Host probe (bench/lib/host-probe.ts): the same fixed JS work timed at the start and the end, in the
// report as `host`, so that absolute figures of runs on different days can be read against the host.
// Redis: REDIS_URL when it names this machine, else a private redis-server; fresh key prefixes,
// deleted at the end. Never a request off this machine.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchExtraction, benchLanguage } from './lib/cpu-sections.ts';
import { benchDedupe } from './lib/dedupe-bench.ts';
import { hostProbe, type HostProbe } from './lib/host-probe.ts';
import { benchMemory, benchPipeline } from './lib/pipeline-bench.ts';
import { REPO_ROOT } from './lib/processes.ts';
import { benchRedis, type BenchRedis } from './lib/redis.ts';
import {
  acceptance,
  DEFAULT_OPTIONS,
  missingKeys,
  notRun,
  renderTable,
  SECTIONS,
  type BenchOptions,
  type BenchReport,
  type Section,
} from './lib/report.ts';
import { EVAL_DIR } from './lib/synthetic-stream.ts';

const USAGE = `usage: npm run bench -- [--only ${SECTIONS.join(',')}] [--json FILE] [--pages N]
                       [--dedupe-sizes N,N,…] [--dedupe-timed N] [--dedupe-max-fill-seconds S]
                       [--pipeline-articles N] [--pipeline-rounds N] [--memory-pages N,N] [--seed N]`;

function positiveList(name: string, v: string, problems: string[]): number[] {
  const list = v.split(',').map((x) => Number(x.trim()));
  if (!list.length || list.some((n) => !Number.isInteger(n) || n <= 0)) problems.push(`${name} must be positive integers separated by commas, not ${v}`);
  return list;
}

function positive(name: string, v: string, problems: string[]): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) problems.push(`${name} must be a positive integer, not ${v}`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const d = DEFAULT_OPTIONS;
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', default: d.only.join(',') },
      json: { type: 'string', default: d.json },
      pages: { type: 'string' },
      'dedupe-sizes': { type: 'string', default: d.dedupeSizes.join(',') },
      'dedupe-timed': { type: 'string', default: String(d.dedupeTimed) },
      'dedupe-max-fill-seconds': { type: 'string', default: String(d.dedupeMaxFillSeconds) },
      'pipeline-articles': { type: 'string', default: String(d.pipelineArticles) },
      'pipeline-rounds': { type: 'string', default: String(d.pipelineRounds) },
      'memory-pages': { type: 'string', default: d.memoryPages.join(',') },
      seed: { type: 'string', default: String(d.seed) },
    },
    strict: true,
  });
  const problems: string[] = [];
  const only = values.only.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of only) if (!SECTIONS.includes(s as Section)) problems.push(`--only: unknown section ${s} (sections: ${SECTIONS.join(', ')})`);
  const opts: BenchOptions = {
    only: SECTIONS.filter((s) => only.includes(s)),
    json: values.json,
    pages: values.pages === undefined ? undefined : positive('--pages', values.pages, problems),
    dedupeSizes: positiveList('--dedupe-sizes', values['dedupe-sizes'], problems),
    dedupeTimed: positive('--dedupe-timed', values['dedupe-timed'], problems),
    dedupeMaxFillSeconds: positive('--dedupe-max-fill-seconds', values['dedupe-max-fill-seconds'], problems),
    pipelineArticles: positive('--pipeline-articles', values['pipeline-articles'], problems),
    pipelineRounds: positive('--pipeline-rounds', values['pipeline-rounds'], problems),
    memoryPages: positiveList('--memory-pages', values['memory-pages'], problems),
    seed: positive('--seed', values.seed, problems),
  };
  if (problems.length) {
    console.error(`bench: ${problems.join('; ')}\n${USAGE}`);
    process.exit(2);
  }
  return opts;
}

function gitCommit(): string | undefined {
  try {
    const run = (args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${run(['rev-parse', '--short', 'HEAD'])}${run(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const log = (s: string): void => {
    const t = Math.round((Date.now() - started) / 1000);
    process.stderr.write(`[bench ${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}] ${s}\n`);
  };
  const report: BenchReport = {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    commit: gitCommit(),
    options: opts,
    host: { start: hostProbe() },
  };
  const on = (s: Section): boolean => opts.only.includes(s);
  const hasEval = existsSync(EVAL_DIR);
  const noEval = `the evaluation sets (${EVAL_DIR}) are absent`;
  let redis: BenchRedis | undefined;
  let failed = false;
  const attempt = async <T>(section: Section, fn: () => Promise<T>): Promise<void> => {
    try {
      (report as unknown as Record<string, unknown>)[section] = await fn();
    } catch (err) {
      failed = true;
      log(`${section}: FAILED: ${(err as Error).stack ?? err}`);
      report[section] = notRun(section, opts, `failed: ${(err as Error).message}`);
    }
  };
  try {
    if (on('dedupe') || on('pipeline') || on('memory')) {
      redis = await benchRedis(log);
      log(`Redis: ${redis.source}`);
    }
    if (on('extraction')) await attempt('extraction', async () => (hasEval ? benchExtraction(opts.pages, log) : notRun('extraction', opts, noEval)));
    if (on('language')) await attempt('language', async () => (hasEval ? benchLanguage(opts.pages, log) : notRun('language', opts, noEval)));
    if (on('dedupe')) {
      await attempt('dedupe', async () =>
        hasEval
          ? benchDedupe({ sizes: opts.dedupeSizes, timed: opts.dedupeTimed, seed: opts.seed, maxFillSeconds: opts.dedupeMaxFillSeconds, redisUrl: redis!.url, redisSource: redis!.source, log })
          : notRun('dedupe', opts, noEval),
      );
    }
    if (on('pipeline')) await attempt('pipeline', () => benchPipeline({ redisUrl: redis!.url, articles: opts.pipelineArticles, rounds: opts.pipelineRounds, log }));
    if (on('memory')) await attempt('memory', () => benchMemory({ redisUrl: redis!.url, checkpoints: opts.memoryPages, log }));
  } finally {
    // the private redis-server's process is unref'd: keep the loop alive until it has stopped
    const keepAlive = setInterval(() => {}, 1000);
    await redis?.stop();
    clearInterval(keepAlive);
  }
  report.host!.end = hostProbe();
  report.acceptance = acceptance(report);
  report.seconds = Math.round((Date.now() - started) / 1000);
  const file = path.resolve(opts.json);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nfeedsift bench — ${report.date}, ${report.cores} cores (${report.cpu ?? 'cpu unknown'}), Node ${report.node}, ${report.commit ?? ''}`);
  console.log(renderTable(report));
  const probe = (p: HostProbe | undefined): string => (p ? `loop ${p.loopMs} ms, alloc ${p.allocMs} ms` : 'not run');
  console.log(`host probe (bench/lib/host-probe.ts, the same JS work at the start and the end): ${probe(report.host?.start)}; ${probe(report.host?.end)}`);
  console.log(`\nreport: ${path.relative(process.cwd(), file)} (${report.seconds} s)`);
  const missing = missingKeys(report, opts);
  if (missing.length) {
    console.error(`bench: the report lacks ${missing.join(', ')}`);
    failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}

if (import.meta.main) await main();
