// The cost of one decision's posting look-up (RedisDedupeStore.postings: 54 hashes over the
// window's epochs) when the posting buckets are as full as an index of 10k, 100k and 1M articles
// makes them — 54 postings an article, spread over 3 day-epochs as the benchmark's 48-hour stream
// spreads them. The buckets hold random postings (filling 1M real articles takes most of an hour):
// this measures the look-up alone, to project `npm run bench`'s decision time to sizes it cannot fill.
// Run: npx node bench/dedupe-postings.ts [--sizes 10000,100000,1000000] [--lookups 300]
// Redis: REDIS_URL when it names this machine, else 127.0.0.1:6379; a fresh prefix, deleted at the end
// (the 1M size takes about 330 MB of Redis while it runs).
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { BUCKET_BITS, EPOCH_MS, POSTING_BYTES, RedisDedupeStore } from '../pipeline/dedupe-store.ts';
import { deleteKeys } from '../workers/cleanup.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const POSTED_PER_ARTICLE = 54;
const EPOCHS = 3;

const o = new Command('bench-dedupe-postings')
  .option('--sizes <list>', 'index sizes whose bucket fill is simulated', '10000,100000,1000000')
  .option('--lookups <n>', 'look-ups timed per size', '300')
  .parse()
  .opts<{ sizes: string; lookups: string }>();
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
if (!LOOPBACK.has(new URL(url).hostname)) throw new Error('bench: REDIS_URL must name this machine');
const redis = new Redis(url);
const prefix = `fsbench-postings-${process.pid}-${Date.now().toString(36)}`;
const store = new RedisDedupeStore(redis, { prefix, windowHours: 72 });
const first = Math.floor(Date.parse('2026-01-05T00:00:00Z') / EPOCH_MS);
const buckets = 2 ** BUCKET_BITS;
try {
  console.log('| index size | postings per bucket | look-up p50 (ms) | mean (ms) |\n|---|---|---|---|');
  for (const size of o.sizes.split(',').map(Number)) {
    const perBucket = Math.round((size * POSTED_PER_ARTICLE) / EPOCHS / buckets);
    for (let e = 0; e < EPOCHS; e++) {
      await redis.zadd(`${prefix}:{dedupe}:epochs`, Date.now(), String(first + e));
      for (let b = 0; b < buckets; b += 2000) {
        const pipe = redis.pipeline();
        for (let k = b; k < Math.min(buckets, b + 2000); k++) pipe.set(`${prefix}:{dedupe}:x:${first + e}:${k.toString(36)}`, randomBytes(perBucket * POSTING_BYTES));
        await pipe.exec();
      }
    }
    const times: number[] = [];
    for (let k = 0; k < Number(o.lookups); k++) {
      const queries = Array.from({ length: POSTED_PER_ARTICLE }, () => ({ hash: randomBytes(4).readUInt32BE(0), fromEpoch: first - 3, toEpoch: first + 5 }));
      const t0 = performance.now();
      await store.postings(queries, 200);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(`| ${size} | ${perBucket} | ${times[Math.floor(times.length / 2)]!.toFixed(2)} | ${mean.toFixed(2)} |`);
  }
} finally {
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
}
