// The Redis the benchmark uses: REDIS_URL when it names this machine, else a private
// redis-server (workers/redis-server.ts, no persistence), stopped at the end. Never another host.
import path from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type RedisHandle } from '../../workers/redis-server.ts';
import { REPO_ROOT } from './processes.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface BenchRedis extends RedisHandle {
  /** What it is, for the report. */
  source: string;
}

export async function benchRedis(log: (s: string) => void): Promise<BenchRedis> {
  const url = process.env.REDIS_URL;
  if (url && LOOPBACK.has(new URL(url).hostname)) return { url, embedded: false, stop: async () => {}, source: `REDIS_URL (${url})` };
  if (url) log(`REDIS_URL names ${new URL(url).hostname}, not this machine: using a private redis-server instead`);
  const handle = await startEmbeddedRedis({ persist: false, dataDir: path.join(REPO_ROOT, '.feedsift', 'bench-redis') });
  const redis = new Redis(handle.url);
  const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  redis.disconnect();
  return { ...handle, source: `private redis-server ${version ?? ''} on ${handle.url}`.replace('  ', ' ') };
}

/** Redis's used_memory (INFO memory), bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Redis's CPU seconds so far (user + system, `INFO cpu`: the whole server, every client). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? Number.NaN);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? Number.NaN);
  return user + sys;
}

/** µs Redis has spent in each command so far (`INFO commandstats`), by command name. */
export async function redisCommandMicros(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** What each kind of key of the dedupe index holds (pipeline/dedupe-store.ts's layout), by its kind segment. */
export const DEDUPE_KEY_KINDS: Record<string, string> = {
  a: 'records',
  x: 'postings',
  s: 'stories',
  d: 'decisions',
  df: 'frequencies',
  log: 'commitLog',
};

export interface KeyKindMemory {
  keys: number;
  /** Estimated bytes of all keys of the kind (MEMORY USAGE of a sample, scaled to the count) ÷ articles. */
  bytesPerArticle: number;
}

/**
 * Redis memory of the dedupe index under `prefix`, by kind of key (records, postings, stories,
 * short-lived decision records, frequencies, commit log; `other` for the counters, the lock and
 * the epochs), per indexed article. One SCAN counts the keys of each kind; MEMORY USAGE (SAMPLES
 * 0: every element) is asked of about `sample` keys spread over the whole keyspace, of every key
 * of a kind with at most 100 keys, and of at least one key of each kind. The parts need not add
 * up to used_memory's growth: Redis's keyspace tables and the allocator's slack belong to no key
 * (at 30,000 articles the parts came to 2,354 bytes an article of the 2,613 grown).
 */
export async function dedupeMemoryByKind(redis: Redis, prefix: string, articles: number, sample = 3000): Promise<Record<string, KeyKindMemory>> {
  const kindOf = (key: string): string => DEDUPE_KEY_KINDS[key.slice(prefix.length).split(':')[2] ?? ''] ?? 'other';
  const count = new Map<string, number>();
  let total = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    cursor = next;
    for (const k of keys) count.set(kindOf(k), (count.get(kindOf(k)) ?? 0) + 1);
    total += keys.length;
  } while (cursor !== '0');
  const every = Math.max(1, Math.floor(total / sample));
  const bytes = new Map<string, number>();
  const sampled = new Map<string, number>();
  const first = new Set<string>();
  let seen = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    cursor = next;
    // every k-th key, every key of a rare kind, and the first of each kind (none goes unmeasured)
    const picked = keys.filter((k) => {
      const kind = kindOf(k);
      const take = seen++ % every === 0 || count.get(kind)! <= 100 || !first.has(kind);
      if (take) first.add(kind);
      return take;
    });
    const pipe = redis.pipeline();
    for (const k of picked) pipe.memory('USAGE', k, 'SAMPLES', 0);
    const replies = (await pipe.exec()) ?? [];
    picked.forEach((k, i) => {
      const [err, n] = replies[i] ?? [null, null];
      // a key that expired between the two scans has no usage: not counted as sampled
      if (err || n === null) return;
      bytes.set(kindOf(k), (bytes.get(kindOf(k)) ?? 0) + Number(n));
      sampled.set(kindOf(k), (sampled.get(kindOf(k)) ?? 0) + 1);
    });
  } while (cursor !== '0');
  const rows = [...count].map(([kind, keys]): [string, KeyKindMemory] => {
    const m = sampled.get(kind);
    return [kind, { keys, bytesPerArticle: m ? Math.round(((bytes.get(kind)! / m) * keys) / articles) : Number.NaN }];
  });
  // the largest first
  return Object.fromEntries(rows.sort((a, b) => (b[1].bytesPerArticle || 0) - (a[1].bytesPerArticle || 0)));
}
