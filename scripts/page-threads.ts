// The article stage's CPU half (decode, DOM, extraction, language, strip) on page threads
// (workers/page-pool.ts), without Redis or HTTP: pages/s, cores busy and resident memory of one
// process for each FEEDSIFT_CPU_THREADS value (0: the main thread), each in a fresh process.
// Not part of `npm test`.
//
//   npx node scripts/page-threads.ts [--threads 0,1,2] [--pages 1000] [--max-pages-per-thread 0] [--max-heap-mb 256]
//
// Pages: the 181 Zyte benchmark pages (../shared/eval) when present, else the fixture outlets'
// pages, in a loop. Each process first cleans a warm-up batch (threads started, CLD3 loaded,
// JIT) and then `--pages` pages with twice as many pages in flight as threads, so no thread waits.
// Resident memory is sampled every 50 pages; `rssMiB.last` is the last sample.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixturePath, outlets } from '../fixtures/manifest.ts';
import type { PageTask } from '../pipeline/article.ts';
import { createPageCleaner } from '../workers/page-pool.ts';
import { loadZytePages, ZYTE_DIR } from './lib/zyte-eval.ts';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '0,1,2' },
    pages: { type: 'string', default: '1000' },
    'max-pages-per-thread': { type: 'string', default: '0' },
    'max-heap-mb': { type: 'string', default: '256' },
    child: { type: 'string' },
  },
});

function loadTasks(): { source: string; tasks: PageTask[] } {
  const task = (url: string, html: string): PageTask => ({
    page: { finalUrl: url, status: 200, body: Buffer.from(html), contentType: 'text/html; charset=utf-8' },
    item: { guid: url, link: url },
    feed: { id: 'bench', url: 'http://bench.test/feed' },
    fetchedAt: new Date(0).toISOString(),
    minWords: 0,
    maxPageChars: 5_000_000,
    maxElements: 50_000,
  });
  if (existsSync(path.join(ZYTE_DIR, 'ground-truth.json'))) {
    return { source: 'zyte (181 pages)', tasks: loadZytePages().map((p) => task(p.url, p.html)) };
  }
  const pages = outlets.flatMap((o) => o.pages.map((p) => task(`http://${o.host}${p.path}`, readFileSync(fixturePath(p.file), 'latin1'))));
  return { source: `fixture outlets (${pages.length} pages)`, tasks: pages };
}

/** One measurement, in this process. */
async function measure(threads: number): Promise<Record<string, unknown>> {
  const { source, tasks } = loadTasks();
  const total = Number(args.pages);
  const cleaner = createPageCleaner({ threads, pageTimeoutMs: 600_000, maxPagesPerThread: Number(args['max-pages-per-thread']), maxHeapMb: Number(args['max-heap-mb']) });
  const inFlight = Math.max(1, threads * 2);
  const run = async (count: number, onDone?: (n: number) => void): Promise<number> => {
    let next = 0;
    let done = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) {
          const i = next++;
          await cleaner.clean(tasks[i % tasks.length]!).catch(() => failed++);
          onDone?.(++done);
        }
      }),
    );
    return failed;
  };
  await run(Math.max(8, threads * 8));
  const rss: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const failed = await run(total, (n) => {
    if (n % 50 === 0) rss.push(process.memoryUsage.rss());
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await cleaner.close();
  const mib = (b: number): number => Math.round(b / 2 ** 20);
  return {
    threads,
    maxPagesPerThread: Number(args['max-pages-per-thread']),
    maxHeapMb: Number(args['max-heap-mb']),
    pages: total,
    source,
    failed,
    seconds: Math.round(seconds * 10) / 10,
    pagesPerSecond: Math.round((total / seconds) * 10) / 10,
    coresBusy: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) / 100,
    rssMiB: { max: mib(Math.max(...rss)), last: mib(rss.at(-1)!), samples: rss.filter((_, i) => i % 4 === 3).map(mib) },
  };
}

if (args.child !== undefined) {
  process.stdout.write(`${JSON.stringify(await measure(Number(args.child)))}\n`);
} else {
  const results = [];
  for (const threads of args.threads.split(',').map(Number)) {
    const self = fileURLToPath(import.meta.url);
    const out = spawnSync(process.execPath, [self, '--child', String(threads), '--pages', args.pages, '--max-pages-per-thread', args['max-pages-per-thread'], '--max-heap-mb', args['max-heap-mb']], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (out.status !== 0) throw new Error(`measurement with ${threads} thread(s) failed (exit ${out.status})`);
    const result = JSON.parse(out.stdout) as Record<string, unknown>;
    process.stderr.write(`[page-threads] ${JSON.stringify(result)}\n`);
    results.push(result);
  }
  const cpus = os.cpus();
  process.stdout.write(`${JSON.stringify({ machine: { cpus: cpus.length, availableParallelism: os.availableParallelism(), cpu: cpus[0]?.model, node: process.version }, results }, null, 2)}\n`);
}
