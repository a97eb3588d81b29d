// The dedupe section: µs per decide() when the index holds 10k, 100k and 1M articles, and Redis
// memory per indexed article.
//
// Filling an index to 1M through decide() one at a time would take hours (each decision is a
// dozen Redis round trips under the lock), so the index is filled in bulk: each article of the
// synthetic stream (bench/lib/synthetic-stream.ts) is decided as a new story, or — when the
// stream made it as a copy — as a duplicate of the article it copies if the content levels
// match that article (StoryIndex.writesFor), and exactly the writes decide() would commit for
// that outcome are applied, pipelined (RedisDedupeStore.bulkWrite). The document frequencies the
// decisions read are kept here as the writes add them (and re-read from Redis after each timed
// window). The one difference from deciding one by one: a copy is judged against the article it
// copies only, not against every candidate the index would retrieve. Then the next articles of the
// stream go through the real decide(), timed one by one.
import { Redis } from 'ioredis';
import { articleTime } from '../../pipeline/dedupe.ts';
import { DedupeIndex, MapDocumentFrequencies } from '../../pipeline/dedupe-index.ts';
import { decodeArticle, type StoredArticle } from '../../pipeline/dedupe-record.ts';
import { DOCS_FIELD, RedisDedupeStore, type IndexWrites } from '../../pipeline/dedupe-store.ts';
import type { CleanArticle, StorySummary } from '../../pipeline/records.ts';
import { availableMemory } from './processes.ts';
import { dedupeMemoryByKind, redisCommandMicros, redisCpuSeconds, usedMemory } from './redis.ts';
import type { DedupeSection, DedupeSize, Skipped } from './report.ts';
import { loadTexts, Stream } from './synthetic-stream.ts';

const WINDOW_HOURS = 72;
/** Articles per pipelined bulk write. */
const BATCH = 250;
/** Recent story openers and stories kept here; older ones are read back from Redis when a copy needs them. */
const KEEP = 5000;
/** A size is skipped when filling up to it would take more than this share of the memory the machine has free. */
const MEMORY_SHARE = 0.5;

/** Document frequencies as the Redis store holds them (stories counted per term key), counted here as the writes add them. */
class CountingFrequencies extends MapDocumentFrequencies {
  /** What a commit's HINCRBYs add: each distinct term key once, and one story. */
  count(terms: number[]): void {
    if (!terms.length) return;
    for (const t of new Set(terms)) this.addToKey(t, 1);
    this.addDocs(1);
  }
}

/**
 * Fills a Redis dedupe index in bulk: `add` decides each article as a new story, or as a copy of
 * the given article when the content levels match it, and the writes go to Redis in pipelined
 * batches (call `flush` before reading the index; `resync` after anything else wrote to it).
 */
export class BulkLoader {
  private dfs = new CountingFrequencies();
  private readonly openers = new Map<string, StoredArticle>();
  private readonly stories = new Map<string, StorySummary>();
  private pending: IndexWrites[] = [];
  private inFlight: Promise<void> | null = null;
  private readonly index: DedupeIndex;
  private readonly store: RedisDedupeStore;
  private readonly redis: Redis;
  private readonly prefix: string;

  private readonly batch: number;
  private readonly keep: number;

  /** `batch`: articles per bulk write; `keep`: recent story openers kept here (the rest are read back from Redis). */
  constructor(redis: Redis, prefix: string, index: DedupeIndex, store: RedisDedupeStore, opts: { batch?: number; keep?: number } = {}) {
    this.batch = opts.batch ?? BATCH;
    this.keep = opts.keep ?? KEEP;
    this.redis = redis;
    this.prefix = prefix;
    this.index = index;
    this.store = store;
  }

  /** `copyOf`: the id of an indexed article this one copies (null: a new story). */
  async add(article: CleanArticle, copyOf: string | null): Promise<IndexWrites> {
    const w = this.index.writesFor(article, this.dfs, copyOf ? await this.candidate(copyOf, articleTime(article)) : undefined);
    this.dfs.count(w.countTerms);
    if (w.decision.kind === 'story') this.openers.set(w.articleId, decodeArticle(w.record));
    this.stories.set(w.story.storyId, w.story);
    this.pending.push(w);
    if (this.pending.length >= this.batch) await this.send();
    if (this.openers.size > this.keep || this.stories.size > 2 * this.keep) {
      // only what is written may be forgotten: it can be read back
      await this.flush();
      drop(this.openers, this.openers.size - Math.floor(this.keep / 2));
      drop(this.stories, this.stories.size - this.keep);
    }
    return w;
  }

  /** The story opener `id` (indexed before `time`, within the window) and its story. */
  private async candidate(id: string, time: number): Promise<{ candidate: StoredArticle; story: StorySummary } | undefined> {
    let candidate = this.openers.get(id);
    if (!candidate) {
      await this.flush();
      candidate = (await this.index.storedArticle(id, time)) ?? undefined;
    }
    if (!candidate) return undefined;
    let story = this.stories.get(candidate.storyId);
    if (!story) {
      await this.flush();
      story = await this.index.storySummary(candidate);
    }
    return story ? { candidate, story } : undefined;
  }

  /** Starts writing the pending batch once the one before it is written (one write in flight, the next batch built meanwhile). */
  private async send(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    const writes = this.pending;
    this.pending = [];
    this.inFlight = writes.length ? this.store.bulkWrite(writes) : null;
    // awaited by the next send or flush; this only keeps a failure from counting as unhandled meanwhile
    this.inFlight?.catch(() => {});
  }

  /** Everything added so far is in Redis. */
  async flush(): Promise<void> {
    await this.send();
    if (this.inFlight) await this.inFlight;
    this.inFlight = null;
  }

  /** After decide() has written: forget the stories (their summaries moved on) and re-read the frequencies. */
  async resync(): Promise<void> {
    await this.flush();
    this.stories.clear();
    const dfs = new CountingFrequencies();
    let cursor = '0';
    const hashes: string[] = [];
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:{dedupe}:df:*`, 'COUNT', 1000);
      cursor = next;
      hashes.push(...keys);
    } while (cursor !== '0');
    for (const key of hashes) {
      let c = '0';
      do {
        const [next, flat] = await this.redis.hscan(key, c, 'COUNT', 10_000);
        c = next;
        for (let i = 0; i < flat.length; i += 2) {
          if (flat[i] === DOCS_FIELD) dfs.addDocs(Number(flat[i + 1]));
          else dfs.addToKey(parseInt(flat[i]!, 36), Number(flat[i + 1]));
        }
      } while (c !== '0');
    }
    this.dfs = dfs;
  }
}

function drop<K, V>(map: Map<K, V>, n: number): void {
  let left = n;
  for (const k of map.keys()) {
    if (left-- <= 0) break;
    map.delete(k);
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export interface DedupeBenchOptions {
  sizes: number[];
  timed: number;
  seed: number;
  maxFillSeconds: number;
  redisUrl: string;
  redisSource: string;
  log: (s: string) => void;
}

export async function benchDedupe(o: DedupeBenchOptions): Promise<DedupeSection> {
  const sizes = [...new Set(o.sizes)].sort((a, b) => a - b);
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const prefix = `fsbench-dedupe-${process.pid}-${Date.now().toString(36)}`;
  const index = new DedupeIndex(redis, { prefix, windowHours: WINDOW_HOURS });
  const store = new RedisDedupeStore(redis, { prefix, windowHours: WINDOW_HOURS });
  const loader = new BulkLoader(redis, prefix, index, store);
  const stream = new Stream(loadTexts(), sizes.at(-1)! + o.timed, o.seed);
  const section: DedupeSection = {
    microsPerArticle: Object.fromEntries(sizes.map((n) => [String(n), null])),
    redisBytesPerArticle: null,
    redisBytesPerArticleBySize: Object.fromEntries(sizes.map((n) => [String(n), null])),
    sizes: Object.fromEntries(sizes.map((n) => [String(n), null])),
    skipped: [],
    bulkArticlesPerSecond: null,
    redis: o.redisSource,
    note:
      'index filled in bulk with the writes decide() commits (a copy judged against the article it copies), then the next ' +
      `${o.timed} articles of the stream through the real decide(), one client, timed one by one; Redis bytes: used_memory growth ÷ articles indexed`,
  };
  const skip = (from: number, reason: string): void => {
    o.log(`dedupe: ${reason}`);
    for (const n of sizes.filter((s) => s >= from)) section.skipped.push({ key: `dedupe.microsPerArticle.${n}`, reason });
  };
  try {
    const baseMemory = await usedMemory(redis);
    let i = 0; // articles of the stream taken so far = articles indexed
    let fillRate: number | null = null;
    let bytesPerArticle: number | null = null;
    for (const size of sizes) {
      const toFill = size - i;
      if (fillRate && bytesPerArticle) {
        const seconds = toFill / fillRate;
        const bytes = toFill * bytesPerArticle;
        const free = availableMemory();
        const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
        const projection = `${toFill.toLocaleString('en')} more articles at ${Math.round(fillRate)} articles/s ≈ ${Math.round(seconds)} s and ${Math.round(bytesPerArticle)} bytes each ≈ ${gib(bytes)} more Redis memory (${gib(free)} available)`;
        if (bytes > MEMORY_SHARE * free) {
          skip(size, `not measured: filling the index to ${size.toLocaleString('en')} needs ${projection}: more than ${MEMORY_SHARE * 100} % of the free memory`);
          break;
        }
        if (seconds > o.maxFillSeconds) {
          skip(size, `not measured: filling the index to ${size.toLocaleString('en')} needs ${projection}: over the ${o.maxFillSeconds} s allowed (--dedupe-max-fill-seconds)`);
          break;
        }
      }
      o.log(`dedupe: filling the index to ${size.toLocaleString('en')} articles …`);
      const started = performance.now();
      // the timed decisions wrote to the index: the loader's frequencies and stories are behind
      if (i > 0) await loader.resync();
      let aborted = false;
      while (i < size) {
        const item = stream.next(++i);
        await loader.add(item.article, item.copyOf);
        if (i % 10_000 === 0) o.log(`dedupe: ${i.toLocaleString('en')} indexed (${Math.round((i - (size - toFill)) / ((performance.now() - started) / 1000))} articles/s)`);
        if (i % 1000 === 0 && (performance.now() - started) / 1000 > o.maxFillSeconds) {
          aborted = true;
          break;
        }
      }
      await loader.flush();
      const fillSeconds = (performance.now() - started) / 1000;
      if (aborted) {
        skip(size, `not measured: filling the index stopped at ${i.toLocaleString('en')} articles after ${Math.round(fillSeconds)} s (--dedupe-max-fill-seconds ${o.maxFillSeconds})`);
        break;
      }
      if (toFill > 0) {
        fillRate = toFill / fillSeconds;
        section.bulkArticlesPerSecond = Math.round(fillRate);
      }
      // sizes closer together than the timed decisions: the index already holds more than `size`
      const indexed = i;
      bytesPerArticle = ((await usedMemory(redis)) - baseMemory) / indexed;

      // what the bytes are, read before the timed decisions write to the index
      const byKind = await dedupeMemoryByKind(redis, prefix, indexed);
      o.log(`dedupe: ${indexed.toLocaleString('en')} indexed in ${fillSeconds.toFixed(0)} s, ${Math.round(bytesPerArticle)} Redis bytes/article (${Object.entries(byKind).map(([k, m]) => `${k} ${m.bytesPerArticle}`).join(', ')}); timing ${o.timed} decide() …`);
      const times: number[] = [];
      const kinds = { story: 0, duplicate: 0, update: 0 };
      // where a decision's time goes: this process's CPU and Redis's, read around the timed loop
      const cpu0 = process.cpuUsage();
      const redisCpu0 = await redisCpuSeconds(redis);
      const commands0 = await redisCommandMicros(redis);
      for (let k = 0; k < o.timed; k++) {
        const { article } = stream.next(++i);
        const t0 = process.hrtime.bigint();
        const d = await index.decide(article);
        times.push(Number(process.hrtime.bigint() - t0) / 1000);
        kinds[d.kind]++;
      }
      const cpu = process.cpuUsage(cpu0);
      const redisCpu = (await redisCpuSeconds(redis)) - redisCpu0;
      const commands: Record<string, number> = {};
      for (const [name, us] of [...(await redisCommandMicros(redis))].map(([c, us]): [string, number] => [c, (us - (commands0.get(c) ?? 0)) / Math.max(1, o.timed)]).sort((a, b) => b[1] - a[1])) {
        if (us >= 50) commands[name] = Math.round(us);
      }
      times.sort((a, b) => a - b);
      const mean = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
      const row: DedupeSize = {
        indexed,
        timed: times.length,
        meanMicros: Math.round(mean),
        p50Micros: Math.round(quantile(times, 0.5)),
        p95Micros: Math.round(quantile(times, 0.95)),
        stories: kinds.story,
        duplicates: kinds.duplicate,
        redisBytesPerArticle: Math.round(bytesPerArticle),
        redisBytesByKind: byKind,
        fillSeconds: Math.round(fillSeconds),
        workerCpuMicros: Math.round((cpu.user + cpu.system) / Math.max(1, o.timed)),
        redisCpuMicros: Math.round((redisCpu * 1e6) / Math.max(1, o.timed)),
        redisCommandMicros: commands,
      };
      section.sizes[size] = row;
      section.microsPerArticle[size] = row.meanMicros;
      section.redisBytesPerArticleBySize[size] = row.redisBytesPerArticle;
      section.redisBytesPerArticle = row.redisBytesPerArticle;
      o.log(`dedupe: at ${size.toLocaleString('en')}: ${row.meanMicros} µs/decide (p50 ${row.p50Micros}, p95 ${row.p95Micros}; ${kinds.story} stories, ${kinds.duplicate} duplicates); CPU per decide: this process ${row.workerCpuMicros} µs, Redis ${row.redisCpuMicros} µs (${Object.entries(commands).map(([c, us]) => `${c} ${us}`).join(', ')})`);
    }
    if (section.redisBytesPerArticle === null) section.skipped.push({ key: 'dedupe.redisBytesPerArticle', reason: 'no index size was measured' });
    return section;
  } finally {
    o.log(`dedupe: deleting ${prefix} …`);
    await deletePrefixFast(redis, prefix);
    redis.disconnect();
  }
}

/** Every key under the prefix, unlinked in large pipelined batches (an index of 100k articles has millions of keys). */
async function deletePrefixFast(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 20_000);
    cursor = next;
    if (keys.length) {
      const pipe = redis.pipeline();
      for (let k = 0; k < keys.length; k += 1000) pipe.unlink(...keys.slice(k, k + 1000));
      await pipe.exec();
    }
  } while (cursor !== '0');
}
