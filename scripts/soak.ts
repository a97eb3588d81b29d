// Soak: N synthetic articles through two `feedsift start` worker processes that are SIGKILLed
// and restarted at random, then: how many articles were lost, published twice, failed; and the
// workers' resident memory over time. Not part of `npm test`.
//
//   npx node scripts/soak.ts [--articles 10000] [--workers 2] [--kill-every 20s] [--per-feed 50]
//
// Texts: the Zyte benchmark's ground-truth bodies (../shared/eval) when present, else the fixture
// pages' paragraphs; each article has its own URL and a lightly varied text (its own opening
// sentence and a shuffled paragraph order), served by a loopback server in feeds of --per-feed
// items. Many articles share a body, so most are published as duplicate notices: "published"
// means a story or a duplicate notice; lost = served but neither, duplicated = published twice.
// Redis: REDIS_URL, else a private redis-server; a fresh prefix, deleted at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { outlets, fixturePath } from '../fixtures/manifest.ts';
import { deleteKeys } from '../workers/cleanup.ts';
import { INTERNAL_QUEUES } from '../workers/jobs.ts';
import { resolveRedis } from '../workers/redis-server.ts';
import { EVAL_DIR, REPO_ROOT } from './lib/zyte-eval.ts';

const { values: args } = parseArgs({
  options: {
    articles: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '2' },
    'kill-every': { type: 'string', default: '20s' },
    'per-feed': { type: 'string', default: '50' },
    timeout: { type: 'string', default: '3600' },
  },
});
const N = Number(args.articles);
const WORKERS = Number(args.workers);
const KILL_EVERY_MS = Number(/^(\d+)/.exec(args['kill-every'])![1]) * (args['kill-every'].endsWith('ms') ? 1 : 1000);
const PER_FEED = Number(args['per-feed']);
const HOST = 'soak.test';

function baseTexts(): string[] {
  const truth = path.join(EVAL_DIR, 'extraction-zyte', 'ground-truth.json');
  if (existsSync(truth)) {
    const gt = JSON.parse(readFileSync(truth, 'utf8')) as Record<string, { articleBody: string }>;
    return Object.values(gt).map((v) => v.articleBody).filter((t) => t.split(/\s+/).length >= 80);
  }
  return outlets.flatMap((o) => o.pages.map((p) => readFileSync(fixturePath(p.file), 'utf8').replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, '\n')));
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const texts = baseTexts();
const WORDS = ['harbour', 'council', 'orchard', 'railway', 'festival', 'glacier', 'library', 'vineyard', 'bridge', 'market'];

function article(i: number): { title: string; paragraphs: string[] } {
  const base = texts[i % texts.length]!;
  const paragraphs = base.split(/\n+/).map((p) => p.trim()).filter((p) => p.length > 40);
  // light variation: an opening sentence of its own and a rotated paragraph order
  const rot = Math.floor(i / texts.length) % Math.max(1, paragraphs.length);
  const opening = `Report ${i}: the ${WORDS[i % 10]} and the ${WORDS[Math.floor(i / 10) % 10]} were discussed again on day ${i % 365}.`;
  return { title: `${paragraphs[0]?.split(/[.!?]/)[0]?.slice(0, 80) ?? 'Report'} (${i})`, paragraphs: [opening, ...paragraphs.slice(rot), ...paragraphs.slice(0, rot)] };
}

function pageUrl(port: number, i: number): string {
  return `http://${HOST}:${port}/a/${i}`;
}

async function main(): Promise<void> {
  const server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    const feed = /^\/feed\/(\d+)$/.exec(req.url ?? '');
    const page = /^\/a\/(\d+)$/.exec(req.url ?? '');
    if (feed) {
      const k = Number(feed[1]);
      const items: string[] = [];
      for (let i = k * PER_FEED; i < Math.min(N, (k + 1) * PER_FEED); i++) {
        items.push(`<item><guid>${pageUrl(port, i)}</guid><link>${pageUrl(port, i)}</link><title>${escape(article(i).title)}</title><pubDate>${new Date(Date.UTC(2025, 0, 1) + i * 60_000).toUTCString()}</pubDate></item>`);
      }
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Soak ${k}</title><link>http://${HOST}:${port}/</link>${items.join('')}</channel></rss>`);
    } else if (page && Number(page[1]) < N) {
      const a = article(Number(page[1]));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><title>${escape(a.title)}</title></head><body><nav><a href="/">Home</a></nav><article><h1>${escape(a.title)}</h1>${a.paragraphs.map((p) => `<p>${escape(p)}</p>`).join('')}</article><footer>Soak News</footer></body></html>`);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const feedCount = Math.ceil(N / PER_FEED);

  const handle = await resolveRedis(process.env.REDIS_URL, { persist: false, dataDir: path.join(REPO_ROOT, '.feedsift', 'soak-redis') });
  const prefix = `soak-${Date.now().toString(36)}`;
  const redis = new Redis(handle.url, { maxRetriesPerRequest: null });
  const queue = (name: string): Queue => new Queue(name, { connection: redis, prefix });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    REDIS_URL: handle.url,
    FEEDSIFT_PREFIX: prefix,
    FEEDSIFT_FEEDS_FILE: '',
    FEEDSIFT_HOST_OVERRIDES: `${HOST}=127.0.0.1`,
    FEEDSIFT_ALLOW_HOSTS: '127.0.0.1',
    FEEDSIFT_LOCK_DURATION_MS: '5000',
    FEEDSIFT_BACKOFF_MS: '500',
    FEEDSIFT_MAX_ITEMS_PER_FEED: String(PER_FEED),
    FEEDSIFT_LOG_LEVEL: 'warn',
    // one loopback server stands for every outlet: the per-host politeness limits would turn
    // this into a test of the host delay (1 request/s), not of crash recovery
    FEEDSIFT_HOST_CONCURRENCY: '64',
    FEEDSIFT_HOST_DELAY_MS: '0',
    // several workers on one machine: each serves its HTTP endpoint on a free port
    FEEDSIFT_HTTP_PORT: '0',
  };
  const started = Date.now();
  const workers: Array<{ child: ChildProcess; since: number }> = [];
  const rss: Array<{ t: number; worker: number; pid: number; kb: number }> = [];
  let kills = 0;
  const launch = (slot: number): void => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'workers', 'cli', 'feedsift.js'), 'start', '--no-schedule'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
    workers[slot] = { child, since: Date.now() };
  };
  for (let w = 0; w < WORKERS; w++) launch(w);

  const poll = queue('poll');
  await poll.addBulk(
    Array.from({ length: feedCount }, (_, k) => ({
      name: 'poll',
      data: { feed: { id: `soak-${k}`, url: `http://${HOST}:${port}/feed/${k}`, pollIntervalSeconds: 3600 } },
      opts: { jobId: `poll-soak-${k}`, attempts: 4, backoff: { type: 'feedsift' }, removeOnFail: false },
    })),
  );

  const sampler = setInterval(() => {
    workers.forEach((w, i) => {
      try {
        const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${w.child.pid}/status`, 'utf8'));
        if (m) rss.push({ t: Math.round((Date.now() - started) / 1000), worker: i, pid: w.child.pid!, kb: Number(m[1]) });
      } catch {
        // the process just died
      }
    });
  }, 2000);
  let killer: NodeJS.Timeout;
  const scheduleKill = (): void => {
    killer = setTimeout(() => {
      const slot = Math.floor(Math.random() * WORKERS);
      workers[slot]!.child.kill('SIGKILL');
      kills++;
      setTimeout(() => launch(slot), 500);
      scheduleKill();
    }, KILL_EVERY_MS * (0.5 + Math.random()));
  };
  scheduleKill();

  const outputs = ['stories', 'duplicates', 'updates'].map(queue);
  const internal = INTERNAL_QUEUES.map(queue);
  const deadline = started + Number(args.timeout) * 1000;
  let idle = 0;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    let pending = 0;
    for (const q of internal) pending += Object.values(await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);
    const out = await Promise.all(outputs.map((q) => q.count()));
    process.stderr.write(`[soak] ${Math.round((Date.now() - started) / 1000)} s: pending ${pending}, published ${out[0]! + out[1]!}, kills ${kills}\n`);
    idle = pending === 0 ? idle + 1 : 0;
    if (idle >= 3) break;
  }
  clearTimeout(killer!);
  clearInterval(sampler);
  const elapsed = (Date.now() - started) / 1000;

  // compare what was served with what was published
  const seen = new Map<string, number>();
  for (const q of outputs.slice(0, 2)) for (const j of await q.getJobs(['waiting', 'active', 'completed'], 0, -1)) seen.set(j.data.url, (seen.get(j.data.url) ?? 0) + 1);
  const failedArticles = await internal[1]!.getJobs(['failed'], 0, -1);
  const failedPolls = await internal[0]!.getJobs(['failed'], 0, -1);
  const failedUrls = new Set(failedArticles.map((j) => j.data?.item?.link as string));
  const dropped = Number((await redis.hget(`${prefix}:stats`, 'articles.dropped.too-short')) ?? 0);
  let lost = 0;
  let duplicated = 0;
  for (let i = 0; i < N; i++) {
    const n = seen.get(pageUrl(port, i)) ?? 0;
    if (n > 1) duplicated++;
    if (n === 0 && !failedUrls.has(pageUrl(port, i))) lost++;
  }
  const [stories, duplicates] = await Promise.all(outputs.slice(0, 2).map((q) => q.count()));
  const report = {
    articles: N, feeds: feedCount, workers: WORKERS, kills, seconds: Math.round(elapsed),
    stories, duplicateNotices: duplicates, droppedTooShort: dropped,
    lost, duplicated, failed: failedArticles.length + failedPolls.length,
    failedReasons: [...new Set([...failedArticles, ...failedPolls].map((j) => j.failedReason))].slice(0, 5),
    rssMiB: summariseRss(rss),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);

  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.on('close', r)))));
  for (const q of [poll, ...outputs, ...internal]) await q.close();
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  await handle.stop();
  server.close();
  process.exitCode = lost || duplicated ? 1 : 0;
}

/** Resident memory per minute of the run: min / max over all worker processes alive then. */
function summariseRss(samples: Array<{ t: number; kb: number }>): Array<{ minute: number; minMiB: number; maxMiB: number }> {
  const byMinute = new Map<number, number[]>();
  for (const s of samples) {
    const m = Math.floor(s.t / 60);
    byMinute.set(m, [...(byMinute.get(m) ?? []), s.kb]);
  }
  return [...byMinute].map(([minute, kbs]) => ({ minute, minMiB: Math.round(Math.min(...kbs) / 1024), maxMiB: Math.round(Math.max(...kbs) / 1024) }));
}

await main();
