// Per-article decision time and Redis memory of the dedupe index at 10k and 100k indexed articles.
// Run: npx node bench/dedupe-index.ts [--articles 100000] [--checkpoints 10000,100000] [--seed 1]
//
// Redis: REDIS_URL when it names this machine (127.0.0.1, localhost, ::1), else 127.0.0.1:6379;
// never another host. Everything is written under a fresh prefix, deleted at the end.
//
// The stream (bench/lib/synthetic-stream.ts) is synthetic but made of real text: sentences of
// the Zyte bodies and the news-pairs texts, shuffled and lightly edited, within 48 hours.
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { textHash } from '../pipeline/dedupe.ts';
import { DedupeIndex, type DedupeDecision } from '../pipeline/dedupe-index.ts';
import { decisionDigest } from '../pipeline/dedupe-store.ts';
import { deleteKeys } from '../workers/cleanup.ts';
import { dedupeMemoryByKind, usedMemory } from './lib/redis.ts';
import { loadTexts, Stream } from './lib/synthetic-stream.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
/** Decisions timed before each checkpoint. */
const WINDOW = 1000;

// ---------------------------------------------------------------- measurement

function redisUrl(): string {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`bench: REDIS_URL must name this machine (127.0.0.1, localhost, ::1), not ${host}`);
  return url;
}


/** Mean MEMORY USAGE of the per-article keys (the record, the short-lived decision) of the most recent articles. */
async function perArticleKeys(redis: Redis, prefix: string, recent: Array<[string, string]>): Promise<number> {
  const seq = Number(await redis.get(`${prefix}:{dedupe}:seq`));
  let total = 0;
  for (let n = seq; n > seq - recent.length && n > 0; n--) total += Number(await redis.memory('USAGE', `${prefix}:{dedupe}:a:${n.toString(36)}`)) || 0;
  for (const [id, hash] of recent) total += Number(await redis.memory('USAGE', `${prefix}:{dedupe}:d:${decisionDigest(id, hash)}`)) || 0;
  return total / recent.length;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const o = new Command('bench-dedupe-index')
    .option('--articles <n>', 'articles in the stream', '100000')
    .option('--checkpoints <list>', 'indexed-article counts to report at', '10000,100000')
    .option('--seed <n>', 'stream seed', '1')
    .parse()
    .opts<{ articles: string; checkpoints: string; seed: string }>();
  const total = Number(o.articles);
  const checkpoints = o.checkpoints.split(',').map(Number).filter((n) => n > 0 && n <= total);
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const prefix = `fsbench-${process.pid}-${Date.now().toString(36)}`;
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    const n = await deleteKeys(redis, `${prefix}:*`);
    console.error(`deleted ${n} keys under ${prefix}`);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const texts = loadTexts();
    console.error(`pool: ${texts.length} texts, ${texts.reduce((n, t) => n + t.length, 0)} sentences; prefix ${prefix}`);
    const stream = new Stream(texts, total, Number(o.seed));
    const index = new DedupeIndex(redis, { prefix, windowHours: 72 });
    const baseMemory = await usedMemory(redis);
    const times: number[] = [];
    const kinds: Record<DedupeDecision['kind'], number> = { story: 0, duplicate: 0, update: 0 };
    const levels: Record<string, number> = {};
    const recent: Array<[string, string]> = [];
    const rows: Array<Record<string, number>> = [];
    const byKind: Array<{ indexed: number; bytesPerArticle: Record<string, number> }> = [];
    for (let i = 1; i <= total; i++) {
      const article = stream.article(i);
      const t0 = process.hrtime.bigint();
      const d = await index.decide(article);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
      kinds[d.kind]++;
      if (d.kind === 'duplicate') levels[d.evidence.level] = (levels[d.evidence.level] ?? 0) + 1;
      recent.push([article.id, textHash(article.text)]);
      if (recent.length > 200) recent.shift();
      if (i % 10_000 === 0) console.error(`${i} decided, last ${WINDOW}: ${mean(times.slice(-WINDOW)).toFixed(0)} µs/decide`);
      if (checkpoints.includes(i)) {
        const last = times.slice(-WINDOW).sort((a, b) => a - b);
        const memory = await usedMemory(redis);
        rows.push({
          indexed: i,
          meanMicros: Math.round(mean(last)),
          p50Micros: Math.round(quantile(last, 0.5)),
          p95Micros: Math.round(quantile(last, 0.95)),
          meanMicrosAll: Math.round(mean(times)),
          bytesPerArticle: Math.round((memory - baseMemory) / i),
          perArticleKeysBytes: Math.round(await perArticleKeys(redis, prefix, recent)),
          stories: kinds.story,
          duplicates: kinds.duplicate,
        });
        byKind.push({ indexed: i, bytesPerArticle: Object.fromEntries(Object.entries(await dedupeMemoryByKind(redis, prefix, i)).map(([k, m]) => [`${k} (${m.keys} keys)`, m.bytesPerArticle])) });
      }
    }
    console.log(JSON.stringify({ articles: total, levels, checkpoints: rows, memoryByKeyKind: byKind }, null, 2));
    console.log('\n| indexed | µs/decide (mean, last 1000) | p50 | p95 | Redis bytes/article (used_memory Δ) | of which record + decision keys |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.indexed} | ${r.meanMicros} | ${r.p50Micros} | ${r.p95Micros} | ${r.bytesPerArticle} | ${r.perArticleKeysBytes} |`);
  } finally {
    await cleanup();
    redis.disconnect();
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

await main();
