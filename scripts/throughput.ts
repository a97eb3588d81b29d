// Throughput of the article and dedupe stages with 1, 2, … worker processes: how many articles
// per second `feedsift start --roles article,dedupe --no-schedule` processes get through, on this
// machine, against real Redis and a loopback page server. Not part of `npm test`.
//
//   npx node scripts/throughput.ts [--articles 600] [--workers 1,2] [--repeat 1] [--warmup 24] [--cpu-threads 1,2]
//
// --cpu-threads: FEEDSIFT_CPU_THREADS of the worker processes, one measurement per value (for
// each worker count); without it they take FEEDSIFT_CPU_THREADS from this environment.
//
// Pages: the 181 Zyte benchmark pages (../shared/eval) when present, else the fixture outlets'
// pages — real HTML, so the extraction costs what it costs on real sites. Article i is page
// i mod P served at its own URL (rel=canonical and og:url removed, so each URL is its own
// article); from the second round over the pages on, each copy gets a paragraph of its own, so
// its text differs and the dedupe stage decides it by content (most become near-copy duplicates
// of the first copy). The warm-up pages are the same pages with every word spelt backwards. One loopback server stands for every outlet, so the per-host politeness
// limits are lifted (as scripts/soak.ts does); robots.txt is requested once and answered 404.
//
// For each worker count: a fresh key prefix, N fresh worker processes (waited for until every
// one listens on both queues), a warm-up batch (not timed: CLD3 load, JIT), then the timed batch
// added at once to the article queue; the clock stops when the article and dedupe queues are
// empty. Prints one JSON report: articles/s per worker count and the ratio to one worker.
// Redis: REDIS_URL, else a private redis-server; each prefix is deleted at the end.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fixturePath, outlets } from '../fixtures/manifest.ts';
import { deleteKeys } from '../workers/cleanup.ts';
import type { ArticleJob } from '../workers/jobs.ts';
import { resolveRedis } from '../workers/redis-server.ts';
import { readStats } from '../workers/stats.ts';
import { loadZytePages, REPO_ROOT, ZYTE_DIR } from './lib/zyte-eval.ts';

const { values: args } = parseArgs({
  options: {
    articles: { type: 'string', default: '600' },
    workers: { type: 'string', default: '1,2' },
    repeat: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '24' },
    timeout: { type: 'string', default: '1800' },
    'cpu-threads': { type: 'string', default: '' },
  },
});
const ARTICLES = Number(args.articles);
const WORKER_COUNTS = args.workers.split(',').map(Number);
/** FEEDSIFT_CPU_THREADS values to measure; [undefined]: the environment's. */
const CPU_THREADS: Array<string | undefined> = args['cpu-threads'] ? args['cpu-threads'].split(',').map((t) => t.trim()) : [undefined];
const REPEAT = Number(args.repeat);
const WARMUP = Number(args.warmup);
const HOST = 'throughput.test';

interface Page {
  title: string;
  html: string;
}

function loadPages(): { source: string; pages: Page[] } {
  const strip = (html: string): string =>
    html.replace(/<link\b[^>]*\brel=["']?canonical\b[^>]*>/gi, '').replace(/<meta\b[^>]*\bproperty=["']og:url["'][^>]*>/gi, '');
  if (existsSync(path.join(ZYTE_DIR, 'ground-truth.json'))) {
    return { source: 'zyte (181 pages)', pages: loadZytePages().map((p) => ({ title: p.url, html: strip(p.html) })) };
  }
  const pages = outlets.flatMap((o) => o.pages.map((p) => ({ title: p.title, html: strip(readFileSync(fixturePath(p.file), 'latin1')) })));
  return { source: `fixture outlets (${pages.length} pages)`, pages };
}

const { source, pages } = loadPages();
const WORDS = ['harbour', 'council', 'orchard', 'railway', 'festival', 'glacier', 'library', 'vineyard', 'bridge', 'market'];

/** Article i: page i mod P; a copy after the first round gets a paragraph of its own before the first long paragraph. */
function articleHtml(i: number): string {
  const page = pages[i % pages.length]!;
  if (i < pages.length) return page.html;
  const own = `<p>Copy ${i}: the ${WORDS[i % 10]} and the ${WORDS[Math.floor(i / 10) % 10]} were discussed again on day ${i % 365}, said the ${WORDS[Math.floor(i / 100) % 10]} desk.</p>`;
  const at = page.html.search(/<p(\s[^>]*)?>(?=[^<]{200})/i);
  return at < 0 ? page.html.replace(/<body[^>]*>/i, (m) => `${m}${own}`) : `${page.html.slice(0, at)}${own}${page.html.slice(at)}`;
}

/** A warm-up page: page i with every word spelt backwards — the same work, but a text no timed article matches. */
function warmupHtml(i: number): string {
  return pages[i % pages.length]!.html.replace(/>([^<]+)</g, (_, t: string) => `>${t.replace(/\p{L}+/gu, (w) => [...w].reverse().join(''))}<`);
}

async function main(): Promise<void> {
  const server = createServer((req, res) => {
    const m = /^\/(w|a)\/(\d+)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(m[1] === 'w' ? warmupHtml(Number(m[2])) : articleHtml(Number(m[2])));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const handle = await resolveRedis(process.env.REDIS_URL, { persist: false, dataDir: path.join(REPO_ROOT, '.feedsift', 'throughput-redis') });
  const redis = new Redis(handle.url, { maxRetriesPerRequest: null });

  const results: Array<Record<string, unknown>> = [];
  for (let round = 0; round < REPEAT; round++) {
    for (const n of WORKER_COUNTS) for (const t of CPU_THREADS) results.push(await measure(n, port, handle.url, redis, t));
  }

  const perWorkers = WORKER_COUNTS.flatMap((n) =>
    CPU_THREADS.map((t) => {
      const rates = results.filter((r) => r.workers === n && r.cpuThreads === (t ?? null)).map((r) => r.articlesPerSecond as number).sort((a, b) => a - b);
      return { workers: n, ...(t === undefined ? {} : { cpuThreads: t }), articlesPerSecond: rates, median: rates[Math.floor(rates.length / 2)]! };
    }),
  );
  const base = perWorkers[0]!.median;
  process.stdout.write(
    `${JSON.stringify(
      {
        machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
        pages: source,
        articles: ARTICLES,
        runs: results,
        summary: perWorkers.map((p) => ({ ...p, ratioTo: `${(p.median / base).toFixed(2)} × ${WORKER_COUNTS[0]} worker(s)${CPU_THREADS[0] === undefined ? '' : ` with ${CPU_THREADS[0]} CPU thread(s)`}` })),
      },
      null,
      2,
    )}\n`,
  );
  redis.disconnect();
  await handle.stop();
  server.close();
}

/** CPU seconds a process has used (Linux /proc; clock ticks of 1/100 s). */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds the whole machine has been busy (all cores; Linux /proc/stat). */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  return (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle) / 100;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string): number => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return get('used_cpu_user') + get('used_cpu_sys');
}

/** Where the CPU went between two snapshots: the workers, this script (the page server), Redis, everything else on the machine. */
async function cpuSnapshot(workers: ChildProcess[], redis: Redis): Promise<Record<string, number>> {
  const own = process.cpuUsage();
  return {
    workers: workers.reduce((s, w) => s + processCpuSeconds(w.pid), 0),
    pageServer: (own.user + own.system) / 1e6,
    redis: await redisCpuSeconds(redis),
    machine: machineBusySeconds(),
  };
}

async function measure(n: number, port: number, redisUrl: string, redis: Redis, cpuThreads?: string): Promise<Record<string, unknown>> {
  const prefix = `tput-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}-${n}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    REDIS_URL: redisUrl,
    FEEDSIFT_PREFIX: prefix,
    FEEDSIFT_HOST_OVERRIDES: `${HOST}=127.0.0.1`,
    FEEDSIFT_ALLOW_HOSTS: HOST,
    FEEDSIFT_LOG_LEVEL: 'error',
    FEEDSIFT_KEEP_COMPLETED: '100',
    // one loopback server stands for every outlet (see the header)
    FEEDSIFT_HOST_CONCURRENCY: '64',
    FEEDSIFT_HOST_DELAY_MS: '0',
    ...(cpuThreads === undefined ? {} : { FEEDSIFT_CPU_THREADS: cpuThreads }),
  };
  const workers: ChildProcess[] = [];
  for (let w = 0; w < n; w++) {
    // --port 0: each process's metrics endpoint on a free port, so that N of them can run side by side
    workers.push(spawn(process.execPath, [path.join(REPO_ROOT, 'workers', 'cli', 'feedsift.js'), 'start', '--roles', 'article,dedupe', '--no-schedule', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] }));
  }
  const article = new Queue('article', { connection: redis, prefix });
  const dedupe = new Queue('dedupe', { connection: redis, prefix });
  const deadline = Date.now() + Number(args.timeout) * 1000;
  const waitFor = async (what: string, check: () => Promise<boolean>, everyMs = 100): Promise<void> => {
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  const idle = async (): Promise<boolean> => {
    for (const q of [article, dedupe]) {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(c).some((v) => v > 0)) return false;
    }
    return true;
  };
  const add = async (kind: 'w' | 'a', from: number, count: number, runId: string): Promise<void> => {
    const now = Date.now();
    const jobs = Array.from({ length: count }, (_, k) => {
      const i = from + k;
      const url = `http://${HOST}:${port}/${kind}/${i}`;
      const data: ArticleJob = {
        feed: { id: 'throughput', url: `http://${HOST}:${port}/feed`, name: 'Throughput' },
        item: { guid: url, link: url, title: pages[i % pages.length]!.title, publishedAt: new Date(now - (count - k) * 1000).toISOString() },
        runId,
      };
      return { name: 'article', data, opts: { jobId: `art-${kind}-${i}`, attempts: 4, backoff: { type: 'feedsift' }, removeOnComplete: { count: 100 }, removeOnFail: false } };
    });
    await article.addBulk(jobs);
  };

  try {
    await waitFor(`${n} workers`, async () => (await article.getWorkersCount()) >= n && (await dedupe.getWorkersCount()) >= n);
    // warm-up (not timed): the same kind of work on texts no timed article can match
    await add('w', 0, WARMUP, 'warmup');
    await waitFor('the warm-up', idle);
    await new Promise((r) => setTimeout(r, 300));

    const cpuBefore = await cpuSnapshot(workers, redis);
    const started = Date.now();
    await add('a', 0, ARTICLES, 'timed');
    await waitFor('the timed batch', idle, 50);
    const seconds = (Date.now() - started) / 1000;
    const cpuAfter = await cpuSnapshot(workers, redis);
    const used = Object.fromEntries(Object.keys(cpuBefore).map((k) => [k, cpuAfter[k]! - cpuBefore[k]!]));
    const cores = (v: number): number => Math.round((v / seconds) * 100) / 100;
    const stats = await readStats(redis, prefix, 'timed');
    const dupQueue = new Queue('duplicates', { connection: redis, prefix });
    const levels: Record<string, number> = {};
    for (const j of await dupQueue.getJobs(['waiting'], 0, -1)) if (j.data.url.includes('/a/')) levels[j.data.evidence.level] = (levels[j.data.evidence.level] ?? 0) + 1;
    await dupQueue.close();
    const failed = (await article.getFailedCount()) + (await dedupe.getFailedCount());
    const result = {
      workers: n,
      cpuThreads: cpuThreads ?? null,
      articles: ARTICLES,
      seconds: Math.round(seconds * 10) / 10,
      articlesPerSecond: Math.round((ARTICLES / seconds) * 100) / 100,
      stories: stats.stories ?? 0,
      duplicates: stats.duplicates ?? 0,
      duplicateLevels: levels,
      filtered: Object.entries(stats).filter(([k]) => k.startsWith('articles.filtered.')).reduce((s, [, v]) => s + v, 0),
      failed,
      // average cores busy during the timed batch; "other" is the rest of the machine (other programs)
      coresBusy: {
        workers: cores(used.workers!),
        pageServer: cores(used.pageServer!),
        redis: cores(used.redis!),
        other: cores(used.machine! - used.workers! - used.pageServer! - used.redis!),
        machine: cores(used.machine!),
      },
      workerCpuMsPerArticle: Math.round((used.workers! / ARTICLES) * 1000),
    };
    process.stderr.write(`[throughput] ${JSON.stringify(result)}\n`);
    return result;
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.on('close', r)))));
    await article.close();
    await dedupe.close();
    await deleteKeys(redis, `${prefix}:*`);
  }
}

await main();
