// The pipeline and memory sections: real `feedsift start` worker processes against the bench's
// Redis and the loopback page server (bench/lib/page-server.ts).
//
// pipeline: articles per second from feed to output queue — poll jobs for feeds listing
// `articles` pages are added at once; the clock runs from then to the last job of the run
// finishing (every article published, filtered or failed). Three configurations:
//   oneCore       one process held to one core: FEEDSIFT_CPU_THREADS=1 (one page thread) and the
//                 whole process (main thread, page thread, V8's helper threads) pinned to core 0
//                 with `taskset -c 0`
//   bothCores     one process, FEEDSIFT_CPU_THREADS=2, not pinned
//   twoProcesses  two processes, each as oneCore, on cores 0 and 1
// Each configuration: a fresh key prefix, fresh processes, a warm-up batch of article jobs (not
// timed: CLD3's WebAssembly, JIT), then the timed run. The per-stage split is read from the
// completed jobs (BullMQ's processedOn → finishedOn) of the run.
//
// memory: one worker process (`--roles article,dedupe`, default settings), the pages cycled as
// article jobs; its resident memory (VmRSS) read when the article queue has completed 500 and
// 5,000 jobs.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { envOptions } from '../../config/schema.ts';
import { deleteKeys } from '../../workers/cleanup.ts';
import { INTERNAL_QUEUES, OUTPUT_QUEUES, QUEUES, type ArticleJob, type PollJob } from '../../workers/jobs.ts';
import { readStats } from '../../workers/stats.ts';
import { BENCH_HOST, startPageServer, type PageServer } from './page-server.ts';
import { cpuSecondsOf, hasTaskset, REPO_ROOT, rssBytes, spawnNode, stop } from './processes.ts';
import type { MemorySection, PipelineRun, PipelineSection, Skipped, StageSplit } from './report.ts';

const CLI = path.join(REPO_ROOT, 'workers', 'cli', 'feedsift.js');
const PER_FEED = 25;
const WARMUP_PER_PROCESS = 12;
const TIMEOUT_MS = 20 * 60_000;

/** Whether this checkout has the page-thread option (FEEDSIFT_CPU_THREADS). */
export const hasCpuThreads = 'FEEDSIFT_CPU_THREADS' in envOptions;

interface Fleet {
  prefix: string;
  children: ChildProcess[];
  pinned: string[] | null;
  queues: Record<string, Queue>;
  close(): Promise<void>;
}

/** `processes` × `feedsift start` under a fresh prefix; `cores[i]`: the core process i is pinned to (none: unpinned). */
async function startFleet(o: {
  redis: Redis;
  redisUrl: string;
  roles: string;
  processes: number;
  cores?: number[];
  cpuThreads?: number;
  label: string;
}): Promise<Fleet> {
  const prefix = `fsbench-${o.label}-${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    REDIS_URL: o.redisUrl,
    FEEDSIFT_PREFIX: prefix,
    FEEDSIFT_FEEDS_FILE: '',
    FEEDSIFT_HOST_OVERRIDES: `${BENCH_HOST}=127.0.0.1`,
    FEEDSIFT_ALLOW_HOSTS: BENCH_HOST,
    FEEDSIFT_LOG_LEVEL: 'error',
    // every completed job is kept: the stage split is read from them
    FEEDSIFT_KEEP_COMPLETED: '1000000',
    FEEDSIFT_MAX_ITEMS_PER_FEED: String(PER_FEED),
    // one loopback server stands for every outlet: the per-host limits would measure the host delay
    FEEDSIFT_HOST_CONCURRENCY: '64',
    FEEDSIFT_HOST_DELAY_MS: '0',
    FEEDSIFT_HTTP_PORT: '0',
  };
  if (o.cpuThreads !== undefined && hasCpuThreads) env.FEEDSIFT_CPU_THREADS = String(o.cpuThreads);
  const children: ChildProcess[] = [];
  const pins: string[] = [];
  for (let p = 0; p < o.processes; p++) {
    const core = o.cores?.[p];
    const { child, pinned } = spawnNode([CLI, 'start', '--roles', o.roles, '--no-schedule'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
      ...(core !== undefined ? { core } : {}),
    });
    children.push(child);
    if (pinned) pins.push(pinned);
  }
  const queues = Object.fromEntries([...INTERNAL_QUEUES, ...OUTPUT_QUEUES].map((q) => [q, new Queue(q, { connection: o.redis, prefix })]));
  const fleet: Fleet = {
    prefix,
    children,
    pinned: pins.length ? pins : null,
    queues,
    async close() {
      await Promise.all(children.map((c) => stop(c)));
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await deleteKeys(o.redis, `${prefix}:*`);
    },
  };
  try {
    const roles = o.roles.split(',');
    await until(`${o.processes} worker process(es) listening`, async () => {
      for (const c of children) if (c.exitCode !== null) throw new Error(`a feedsift start process exited with ${c.exitCode}`);
      for (const r of roles) if ((await queues[r]!.getWorkersCount()) < o.processes) return false;
      return true;
    });
  } catch (err) {
    await fleet.close();
    throw err;
  }
  return fleet;
}

async function until(what: string, check: () => Promise<boolean>, everyMs = 100, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** No job waiting, active or delayed in the internal queues (read in pipeline order, so a job handed on is seen). */
async function idle(fleet: Fleet): Promise<boolean> {
  for (const c of fleet.children) if (c.exitCode !== null) throw new Error(`a worker process exited with ${c.exitCode} during the run`);
  for (const q of INTERNAL_QUEUES) {
    const counts = await fleet.queues[q]!.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(counts).some((n) => n > 0)) return false;
  }
  return true;
}

function articleJob(server: PageServer, url: string, i: number, runId: string): { name: string; data: ArticleJob; opts: Record<string, unknown> } {
  return {
    name: 'article',
    data: {
      feed: { id: 'bench', url: `http://${BENCH_HOST}:${server.port}/feed`, name: 'Bench' },
      item: { guid: url, link: url, title: server.title(i), publishedAt: new Date(Date.now() - 60_000).toISOString() },
      runId,
    },
    opts: { jobId: `bench-${runId}-${i}`, attempts: 4, backoff: { type: 'feedsift' }, removeOnComplete: false, removeOnFail: false },
  };
}

async function warmUp(fleet: Fleet, server: PageServer): Promise<void> {
  const n = WARMUP_PER_PROCESS * fleet.children.length;
  await fleet.queues[QUEUES.article]!.addBulk(Array.from({ length: n }, (_, i) => articleJob(server, server.warmupUrl(i), i, 'warmup')));
  await until('the warm-up', () => idle(fleet));
}

/** Jobs of one run (data.runId) that completed, per internal queue. */
async function completedOfRun(fleet: Fleet, runId: string): Promise<Record<string, Job[]>> {
  const out: Record<string, Job[]> = {};
  for (const q of INTERNAL_QUEUES) {
    const jobs = await fleet.queues[q]!.getJobs(['completed'], 0, -1);
    out[q] = jobs.filter((j) => (j.data as { runId?: string }).runId === runId && j.processedOn && j.finishedOn);
  }
  return out;
}

function stageSplit(byQueue: Record<string, Job[]>): Record<string, StageSplit> {
  const totals = Object.fromEntries(Object.entries(byQueue).map(([q, jobs]) => [q, jobs.reduce((s, j) => s + (j.finishedOn! - j.processedOn!), 0)]));
  const all = Object.values(totals).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(byQueue).map(([q, jobs]) => [
      q,
      {
        jobs: jobs.length,
        meanMs: jobs.length ? Math.round((totals[q]! / jobs.length) * 10) / 10 : 0,
        totalSeconds: Math.round(totals[q]! / 100) / 10,
        share: all ? Math.round((totals[q]! / all) * 1000) / 1000 : 0,
      },
    ]),
  );
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string): number => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return get('used_cpu_user') + get('used_cpu_sys');
}

export async function pipelineRun(o: {
  redis: Redis;
  redisUrl: string;
  server: PageServer;
  articles: number;
  processes: number;
  cores?: number[];
  cpuThreads: number;
  label: string;
  log: (s: string) => void;
}): Promise<PipelineRun> {
  const fleet = await startFleet({ ...o, roles: 'poll,article,dedupe' });
  try {
    await warmUp(fleet, o.server);
    const run = `timed-${o.label}`;
    const feeds = Math.ceil(o.articles / PER_FEED);
    const cpu0 = { workers: fleet.children.reduce((s, c) => s + cpuSecondsOf(c.pid), 0), redis: await redisCpuSeconds(o.redis), harness: process.cpuUsage() };
    const started = Date.now();
    await fleet.queues[QUEUES.poll]!.addBulk(
      Array.from({ length: feeds }, (_, k) => {
        const data: PollJob = { feed: { id: `bench-${k}`, url: o.server.feedUrl(o.label, k), pollIntervalSeconds: 3600 }, runId: run };
        return { name: 'poll', data, opts: { jobId: `bench-poll-${o.label}-${k}`, attempts: 4, backoff: { type: 'feedsift' }, removeOnComplete: false, removeOnFail: false } };
      }),
    );
    let shown = Date.now();
    await until(`the ${o.label} run`, async () => {
      if (Date.now() - shown > 10_000) {
        shown = Date.now();
        const s = await readStats(o.redis, fleet.prefix, run);
        o.log(`pipeline ${o.label}: ${(s.stories ?? 0) + (s.duplicates ?? 0) + (s.updates ?? 0)} of ${o.articles} published`);
      }
      return idle(fleet);
      // the run ends at its last job's finishedOn, so how often this looks only sets how soon the
      // harness notices; looking every 50 ms cost ~0.03 cores here and ~0.01 in Redis (measured),
      // taken from the cores the workers under test share
    }, 250);
    const byQueue = await completedOfRun(fleet, run);
    const finished = Math.max(started, ...Object.values(byQueue).flat().map((j) => j.finishedOn!));
    const seconds = (finished - started) / 1000;
    const harness = process.cpuUsage(cpu0.harness);
    const used = {
      workers: fleet.children.reduce((s, c) => s + cpuSecondsOf(c.pid), 0) - cpu0.workers,
      redis: (await redisCpuSeconds(o.redis)) - cpu0.redis,
      harness: (harness.user + harness.system) / 1e6,
    };
    const stats = await readStats(o.redis, fleet.prefix, run);
    const published = (stats.stories ?? 0) + (stats.duplicates ?? 0) + (stats.updates ?? 0);
    const filtered = Object.entries(stats).filter(([k]) => k.startsWith('articles.filtered.')).reduce((s, [, v]) => s + v, 0);
    const failed = (stats['articles.failed'] ?? 0) + Object.entries(stats).filter(([k]) => k.startsWith('dedupe.failed.')).reduce((s, [, v]) => s + v, 0);
    const cores = (v: number): number => Math.round((v / seconds) * 100) / 100;
    const result: PipelineRun = {
      processes: o.processes,
      cpuThreads: hasCpuThreads ? o.cpuThreads : null,
      pinnedTo: fleet.pinned,
      articles: o.articles,
      published,
      filtered,
      failed,
      seconds: Math.round(seconds * 10) / 10,
      articlesPerSecond: Math.round((published / seconds) * 100) / 100,
      coresBusy: { workers: cores(used.workers), redis: cores(used.redis), harness: cores(used.harness) },
      stages: stageSplit(byQueue),
      retaken: stats['dedupe.retaken'] ?? 0,
      confirmed: stats['dedupe.confirmed'] ?? 0,
    };
    o.log(`pipeline ${o.label}: ${result.articlesPerSecond} articles/s (${published} published, ${filtered} filtered, ${failed} failed in ${result.seconds} s; workers ${result.coresBusy.workers} cores busy)`);
    return result;
  } finally {
    await fleet.close();
  }
}

export async function benchPipeline(o: { redisUrl: string; articles: number; rounds: number; log: (s: string) => void }): Promise<PipelineSection> {
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const server = await startPageServer({ perFeed: PER_FEED, articlesPerRun: o.articles, preencode: true });
  const pin = hasTaskset();
  const threads = hasCpuThreads ? 1 : 0;
  const section: PipelineSection = {
    oneCoreArticlesPerSecond: null,
    bothCoresArticlesPerSecond: null,
    twoProcessesArticlesPerSecond: null,
    runs: { oneCore: null, bothCores: null, twoProcesses: null },
    rounds: { oneCore: [], bothCores: [], twoProcesses: [] },
    skipped: [],
    heldToOneCore:
      `${hasCpuThreads ? 'FEEDSIFT_CPU_THREADS=1 (one page thread beside the main thread)' : 'no page threads (this checkout has no FEEDSIFT_CPU_THREADS: pages are cleaned on the main thread)'}` +
      `${pin ? ', and the whole process pinned to one core with taskset -c <core>' : '; taskset is not available here, so the process is NOT pinned: the other core stays usable by its helper threads'}`,
    pages: server.source,
  };
  const configs: Array<{ key: 'oneCore' | 'bothCores' | 'twoProcesses'; figure: keyof PipelineSection; processes: number; cores?: number[]; cpuThreads: number }> = [
    { key: 'oneCore', figure: 'oneCoreArticlesPerSecond', processes: 1, cores: [0], cpuThreads: threads },
    { key: 'bothCores', figure: 'bothCoresArticlesPerSecond', processes: 1, cpuThreads: hasCpuThreads ? 2 : 0 },
    { key: 'twoProcesses', figure: 'twoProcessesArticlesPerSecond', processes: 2, cores: [0, 1], cpuThreads: threads },
  ];
  // The configurations alternate, round after round, and the faster run of each is kept: on a
  // shared 2-core machine one run of a configuration varied by up to a third from the next.
  try {
    for (let round = 1; round <= o.rounds; round++) {
      for (const c of configs) {
        o.log(`pipeline ${c.key} (round ${round} of ${o.rounds}): ${c.processes} process(es), ${o.articles} articles …`);
        try {
          const run = await pipelineRun({ redis, redisUrl: o.redisUrl, server, articles: o.articles, processes: c.processes, ...(c.cores ? { cores: c.cores } : {}), cpuThreads: c.cpuThreads, label: `${c.key}-${round}`, log: o.log });
          section.rounds[c.key]!.push(run.articlesPerSecond);
          if (!section.runs[c.key] || run.articlesPerSecond > section.runs[c.key]!.articlesPerSecond) {
            section.runs[c.key] = run;
            (section[c.figure] as number | null) = run.articlesPerSecond;
          }
        } catch (err) {
          o.log(`pipeline ${c.key}: the run failed: ${(err as Error).message}`);
          if (round === o.rounds && !section.runs[c.key]) section.skipped.push({ key: `pipeline.${c.figure}`, reason: `the run failed: ${(err as Error).message}` });
        }
      }
    }
    return section;
  } finally {
    await server.close();
    redis.disconnect();
  }
}

export async function benchMemory(o: { redisUrl: string; checkpoints: number[]; log: (s: string) => void }): Promise<MemorySection> {
  const checkpoints = [...new Set(o.checkpoints)].sort((a, b) => a - b);
  const total = checkpoints.at(-1)!;
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const server = await startPageServer({ perFeed: PER_FEED, articlesPerRun: total });
  const section: MemorySection = {
    samples: [],
    cpuThreads: hasCpuThreads ? 'default (FEEDSIFT_CPU_THREADS unset: one page thread per core)' : 'no page threads (option absent)',
    pages: server.source,
    note: 'VmRSS of one `feedsift start --roles article,dedupe --no-schedule` process (default settings, not pinned), read when its article queue has completed that many jobs; pages are article jobs, not feeds',
  };
  for (const n of checkpoints) section[`rssAfter${n}`] = null;
  const fleet = await startFleet({ redis, redisUrl: o.redisUrl, roles: 'article,dedupe', processes: 1, label: 'memory' });
  try {
    const pid = fleet.children[0]!.pid;
    const article = fleet.queues[QUEUES.article]!;
    // added in slices, so the queue never holds thousands of waiting jobs at once
    let added = 0;
    const every = Math.max(1, Math.floor(total / 20));
    let nextSample = every;
    let done = 0;
    const pending = [...checkpoints];
    const deadline = Date.now() + TIMEOUT_MS;
    while (pending.length) {
      if (Date.now() > deadline) throw new Error(`bench: ${done} of ${total} pages after ${TIMEOUT_MS / 60_000} minutes`);
      if (added - done < 200 && added < total) {
        const n = Math.min(400, total - added);
        await article.addBulk(Array.from({ length: n }, (_, k) => articleJob(server, server.articleUrl('memory', added + k), added + k, 'memory')));
        added += n;
      }
      const counts = await article.getJobCounts('completed', 'failed');
      done = (counts.completed ?? 0) + (counts.failed ?? 0);
      while (pending.length && done >= pending[0]!) {
        const at = pending.shift()!;
        const rss = rssBytes(pid);
        section[`rssAfter${at}`] = Number.isFinite(rss) ? rss : null;
        o.log(`memory: RSS ${(rss / 2 ** 20).toFixed(0)} MiB after ${done} pages`);
      }
      if (done >= nextSample) {
        const rss = rssBytes(pid);
        section.samples.push({ pages: done, rss });
        o.log(`memory: ${done} of ${total} pages, RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
        nextSample = done + every;
      }
      if (fleet.children[0]!.exitCode !== null) throw new Error(`the worker exited with ${fleet.children[0]!.exitCode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return section;
  } finally {
    await fleet.close();
    await server.close();
    redis.disconnect();
  }
}
