// Per-article decision time and Redis memory of the dedupe index at 10k and 100k indexed articles.
// Run: npx node bench/dedupe-index.ts [--articles 100000] [--checkpoints 10000,100000] [--seed 1]
//
// Redis: REDIS_URL when it names this machine (127.0.0.1, localhost, ::1), else 127.0.0.1:6379;
// never another host. Everything is written under a fresh prefix, deleted at the end.
//
// The stream is synthetic but made of real text: sentences of the Zyte benchmark's article
// bodies and of the news-pairs texts (../shared/eval). A new story is 8–15 sentences drawn from
// anywhere in the pool, every number replaced (fresh figures for the idf); a copy (one article
// in four) is a recent article lightly edited: a sentence dropped, a credit line added, a new
// headline, under another outlet's URL. All articles fall within 48
// hours, so the whole stream stays inside the 72-hour window: the index holds every article.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { DedupeIndex, type DedupeDecision } from '../pipeline/dedupe-index.ts';
import type { CleanArticle } from '../pipeline/records.ts';
import { urlId } from '../pipeline/url.ts';
import { deleteKeys } from '../workers/cleanup.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EVAL_DIR = process.env.FEEDSIFT_EVAL_DIR ?? path.resolve(REPO, '..', 'shared', 'eval');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const SPAN_MS = 48 * 3_600_000;
const COPY_SHARE = 0.25;
const OUTLETS = 400;
/** Decisions timed before each checkpoint. */
const WINDOW = 1000;

// ---------------------------------------------------------------- the stream

/** mulberry32: a small seeded generator, so two runs see the same stream. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function loadTexts(): string[][] {
  const texts: string[] = [];
  const gt = JSON.parse(readFileSync(path.join(EVAL_DIR, 'extraction-zyte', 'ground-truth.json'), 'utf8')) as Record<string, { articleBody: string }>;
  for (const v of Object.values(gt)) texts.push(v.articleBody);
  for (const line of readFileSync(path.join(EVAL_DIR, 'news-pairs', 'pairs.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const p = JSON.parse(line) as { a: { text: string }; b: { text: string } };
    texts.push(p.a.text, p.b.text);
  }
  return texts
    .map((t) => t.split(/\n+|(?<=[.!?。])\s+/).map((s) => s.trim()).filter((s) => s.length > 20))
    .filter((s) => s.length >= 4);
}

interface Draft {
  title: string;
  sentences: string[];
}

class Stream {
  private readonly texts: string[][];
  private readonly random: () => number;
  private readonly recent: Draft[] = [];
  private readonly total: number;
  private readonly start = Date.parse('2026-01-05T00:00:00Z');

  constructor(texts: string[][], total: number, seed: number) {
    this.texts = texts;
    this.total = total;
    this.random = rng(seed);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  private newStory(): Draft {
    // single sentences from anywhere in the pool: two stories rarely share more than a word list
    const sentences = Array.from({ length: 8 + Math.floor(this.random() * 8) }, () => this.pick(this.pick(this.texts)));
    // fresh figures: every story carries numbers no other story has
    const fresh = sentences.map((s) => s.replace(/\d+/g, (m) => String(Math.floor(this.random() * 10 ** m.length))));
    return { title: fresh[0]!.slice(0, 90), sentences: fresh };
  }

  private copyOf(d: Draft): Draft {
    const sentences = [...d.sentences];
    if (sentences.length > 4) sentences.splice(1 + Math.floor(this.random() * (sentences.length - 2)), 1);
    sentences.push(`(Reporting by staff ${Math.floor(this.random() * 1000)}; editing by the desk.)`);
    return { title: `Update: ${d.title}`, sentences };
  }

  article(i: number): CleanArticle {
    const copy = this.recent.length > 0 && this.random() < COPY_SHARE;
    const draft = copy ? this.copyOf(this.pick(this.recent)) : this.newStory();
    if (!copy) {
      this.recent.push(draft);
      if (this.recent.length > 1000) this.recent.shift();
    }
    const outlet = Math.floor(this.random() * OUTLETS);
    const url = `https://outlet-${outlet}.example/news/${i}`;
    const at = new Date(this.start + Math.floor((i / this.total) * SPAN_MS)).toISOString();
    const text = draft.sentences.join('\n\n');
    return {
      id: urlId(url),
      url,
      canonicalUrl: url,
      guid: url,
      feedId: `outlet-${outlet}`,
      feedUrl: `https://outlet-${outlet}.example/feed`,
      source: `outlet-${outlet}.example`,
      title: draft.title,
      byline: null,
      publishedAt: at,
      fetchedAt: at,
      // the language only picks stopwords; most of the pool is English
      language: 'en',
      languageConfidence: 1,
      text,
      wordCount: text.split(/\s+/).length,
      removed: [],
      siteName: null,
      leadImage: null,
      extractedFrom: 'page',
    };
  }
}

// ---------------------------------------------------------------- measurement

function redisUrl(): string {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`bench: REDIS_URL must name this machine (127.0.0.1, localhost, ::1), not ${host}`);
  return url;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Mean MEMORY USAGE of the per-article keys (stored features, decision, pointers) of a sample. */
async function perArticleKeys(redis: Redis, prefix: string, ids: string[]): Promise<number> {
  let total = 0;
  for (const id of ids) {
    for (const pattern of [`${prefix}:{dedupe}:art:${id}`, `${prefix}:{dedupe}:decision:${id}:*`]) {
      const keys = pattern.includes('*') ? (await redis.scan('0', 'MATCH', pattern, 'COUNT', 10))[1] : [pattern];
      for (const k of keys) total += Number(await redis.memory('USAGE', k)) || 0;
    }
  }
  return total / ids.length;
}

/**
 * Bytes per indexed article by kind of key (art, decision, lsh, post, …), estimated from
 * MEMORY USAGE of a sample of the prefix's keys (SCAN from random cursors) scaled to their count.
 */
async function breakdown(redis: Redis, prefix: string, articles: number, sample = 3000): Promise<Record<string, number>> {
  const keyCount = new Map<string, number>();
  const bytes = new Map<string, number>();
  let seen = 0;
  let cursor = '0';
  let total = 0;
  // one full SCAN counts the keys of each kind; MEMORY USAGE is asked of every k-th key only
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    for (const k of keys) {
      const kind = k.slice(prefix.length).split(':')[2] ?? '?';
      keyCount.set(kind, (keyCount.get(kind) ?? 0) + 1);
      total++;
    }
  } while (cursor !== '0');
  const every = Math.max(1, Math.floor(total / sample));
  const sampled = new Map<string, number>();
  cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    for (const k of keys) {
      const kind = k.slice(prefix.length).split(':')[2] ?? '?';
      // every k-th key, and every key of the rare kinds (the term statistics are one or two keys)
      if (seen++ % every !== 0 && (keyCount.get(kind) ?? 0) > 100) continue;
      bytes.set(kind, (bytes.get(kind) ?? 0) + (Number(await redis.memory('USAGE', k, 'SAMPLES', 0)) || 0));
      sampled.set(kind, (sampled.get(kind) ?? 0) + 1);
    }
  } while (cursor !== '0');
  const out: Record<string, number> = {};
  for (const [kind, n] of keyCount) {
    const m = sampled.get(kind);
    out[`${kind} (${n} keys)`] = m ? Math.round(((bytes.get(kind)! / m) * n) / articles) : Number.NaN;
  }
  return out;
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
    const recentIds: string[] = [];
    const rows: Array<Record<string, number>> = [];
    const byKind: Array<{ indexed: number; bytesPerArticle: Record<string, number> }> = [];
    for (let i = 1; i <= total; i++) {
      const article = stream.article(i);
      const t0 = process.hrtime.bigint();
      const d = await index.decide(article);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
      kinds[d.kind]++;
      if (d.kind === 'duplicate') levels[d.evidence.level] = (levels[d.evidence.level] ?? 0) + 1;
      recentIds.push(article.id);
      if (recentIds.length > 200) recentIds.shift();
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
          perArticleKeysBytes: Math.round(await perArticleKeys(redis, prefix, recentIds)),
          stories: kinds.story,
          duplicates: kinds.duplicate,
        });
        byKind.push({ indexed: i, bytesPerArticle: await breakdown(redis, prefix, i) });
      }
    }
    console.log(JSON.stringify({ articles: total, levels, checkpoints: rows, memoryByKeyKind: byKind }, null, 2));
    console.log('\n| indexed | µs/decide (mean, last 1000) | p50 | p95 | Redis bytes/article (used_memory Δ) | of which article + decision keys |');
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
