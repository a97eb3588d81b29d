// The benchmark's bulk path into the dedupe index (StoryIndex.writesFor + RedisDedupeStore.bulkWrite,
// driven by bench/lib/dedupe-bench.ts's BulkLoader) leaves in Redis exactly what decide() leaves,
// key by key and value by value, when it is given decide()'s outcomes: the benchmark's timings at
// 100k indexed articles are timings on the index the pipeline would have built.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { DedupeIndex } from '../../pipeline/dedupe-index.ts';
import { RedisDedupeStore } from '../../pipeline/dedupe-store.ts';
import { BulkLoader } from '../../bench/lib/dedupe-bench.ts';
import { loadTexts, Stream } from '../../bench/lib/synthetic-stream.ts';
import { hasEval } from '../helpers/eval.ts';
import { deletePrefix, newRedis, uniquePrefix } from '../helpers/redis.ts';

const ARTICLES = 160;

/** Every key under the prefix (the prefix itself cut off) with its type and full value. */
async function dump(redis: Redis, prefix: string): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const name = key.slice(prefix.length);
      const type = await redis.type(key);
      const ttl = await redis.pttl(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      // the epochs zset is scored by the wall-clock time of each epoch's last write: two runs differ there, in its members not
      else if (type === 'zset' && name.endsWith(':epochs')) value = await redis.zrange(key, '0', '-1');
      else if (type === 'zset') value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else value = `unexpected type ${type}`;
      // every key expires (the window plus its margin); the exact milliseconds differ between two runs
      out.set(name, { type, value, expires: ttl > 0 });
    }
  } while (cursor !== '0');
  return out;
}

/** Asserts that two prefixes hold the same keys with the same values (the lock aside); returns how many keys. */
async function sameIndex(redis: Redis, expected: string, actual: string): Promise<number> {
  const [a, b] = [await dump(redis, expected), await dump(redis, actual)];
  a.delete(':{dedupe}:lock');
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [key, value] of a) expect(b.get(key), key).toEqual(value);
  return a.size;
}

describe.skipIf(!hasEval)('bulk loading of the dedupe index (benchmark)', () => {
  let redis: Redis;
  let decided: string;
  let bulk: string;

  beforeEach(() => {
    redis = newRedis();
    decided = uniquePrefix('fstest-bulk-a');
    bulk = uniquePrefix('fstest-bulk-b');
  });

  afterEach(async () => {
    await deletePrefix(redis, decided);
    await deletePrefix(redis, bulk);
    redis.disconnect();
  });

  it('writes what decide() writes, given its outcomes (stories and content-level duplicates)', async () => {
    const stream = new Stream(loadTexts(), ARTICLES, 7);
    const items = Array.from({ length: ARTICLES }, (_, k) => stream.next(k + 1));

    const index = new DedupeIndex(redis, { prefix: decided, windowHours: 72 });
    const outcomes: Array<string | null> = [];
    const kinds = new Set<string>();
    for (const { article } of items) {
      const d = await index.decide(article);
      kinds.add(d.kind === 'duplicate' ? `duplicate:${d.evidence.level}` : d.kind);
      outcomes.push(d.kind === 'duplicate' ? d.evidence.matchedArticleId : null);
    }
    // the stream exercises both outcomes and both content levels
    expect(kinds).toContain('story');
    expect([...kinds].some((k) => k.startsWith('duplicate:'))).toBe(true);

    const bulkIndex = new DedupeIndex(redis, { prefix: bulk, windowHours: 72 });
    // small batches and a short memory: several bulk writes, and candidates read back from Redis
    const loader = new BulkLoader(redis, bulk, bulkIndex, new RedisDedupeStore(redis, { prefix: bulk, windowHours: 72 }), { batch: 16, keep: 20 });
    for (const [k, { article }] of items.entries()) {
      const w = await loader.add(article, outcomes[k]!);
      // the bulk path reached decide()'s verdict for each article
      expect(w.decision.kind === 'duplicate' ? w.decision.evidence.matchedArticleId : null).toBe(outcomes[k]);
    }
    await loader.flush();

    expect(await sameIndex(redis, decided, bulk)).toBeGreaterThan(ARTICLES * 5);
  });

  it('decide() on the bulk-loaded index decides as on the decided one; bulk loading goes on exactly after a resync', async () => {
    const stream = new Stream(loadTexts(), 150, 11);
    const items = Array.from({ length: 150 }, (_, k) => stream.next(k + 1));
    const index = new DedupeIndex(redis, { prefix: decided, windowHours: 72 });
    const bulkIndex = new DedupeIndex(redis, { prefix: bulk, windowHours: 72 });
    const loader = new BulkLoader(redis, bulk, bulkIndex, new RedisDedupeStore(redis, { prefix: bulk, windowHours: 72 }), { batch: 16, keep: 20 });
    const load = async (from: number, to: number): Promise<void> => {
      for (const { article } of items.slice(from, to)) {
        const d = await index.decide(article);
        await loader.add(article, d.kind === 'duplicate' ? d.evidence.matchedArticleId : null);
      }
      await loader.flush();
    };
    await load(0, 80);
    // the benchmark's timed window: real decisions on both indexes
    for (const { article } of items.slice(80, 110)) expect(await bulkIndex.decide(article)).toEqual(await index.decide(article));
    await loader.resync();
    await load(110, 150);
    await sameIndex(redis, decided, bulk);
  });
});
