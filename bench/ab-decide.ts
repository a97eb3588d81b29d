// The dedupe decision's cost in two checkouts of feedsift, compared in one process: each
// checkout's own DedupeIndex on its own index (a fresh key prefix) filled alike in bulk
// (bench/lib/dedupe-bench.ts BulkLoader), then the same next articles of the synthetic stream
// through each one's decide(), in alternating batches, so that both see the same host. On this
// machine two runs of `npm run bench -- --only dedupe` minutes apart differ by up to a third;
// the alternation leaves the comparison to what the code changed.
// Run: npx node bench/ab-decide.ts --a ../other-checkout [--b .] [--indexed 10000] [--timed 1000] [--batch 50]
// (both checkouts need their node_modules). Redis: as `npm run bench` (REDIS_URL on this machine,
// else a private redis-server); the prefixes are deleted at the end. Redis's CPU per decision is
// its `INFO cpu` before and after each batch: keep other clients off that Redis meanwhile.
import path from 'node:path';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { deleteKeys } from '../workers/cleanup.ts';
import { benchRedis, redisCpuSeconds } from './lib/redis.ts';

interface Side {
  dir: string;
  decide: (i: number) => Promise<string>;
  prefix: string;
  cpuMs: number;
  wallMs: number;
  redisMs: number;
  kinds: Record<string, number>;
}

const o = new Command('bench-ab-decide')
  .requiredOption('--a <dir>', 'the checkout to compare against (the baseline)')
  .option('--b <dir>', 'the checkout compared', '.')
  .option('--indexed <n>', 'articles indexed before the timed decisions', '10000')
  .option('--timed <n>', 'decide() calls timed on each side', '1000')
  .option('--batch <n>', 'decisions per turn', '50')
  .option('--seed <n>', 'stream seed', '1')
  .parse()
  .opts<{ a: string; b: string; indexed: string; timed: string; batch: string; seed: string }>();
const [indexed, timed, batch, seed] = [o.indexed, o.timed, o.batch, o.seed].map(Number) as [number, number, number, number];

const handle = await benchRedis((s) => console.error(s));
const redis = new Redis(handle.url, { maxRetriesPerRequest: null });

/** Loads the checkout's own modules, fills its index and returns its decide() over the articles after the fill. */
async function side(dir: string, tag: string): Promise<Side> {
  const root = path.resolve(dir);
  const { DedupeIndex } = await import(path.join(root, 'pipeline', 'dedupe-index.ts'));
  const { RedisDedupeStore } = await import(path.join(root, 'pipeline', 'dedupe-store.ts'));
  const { BulkLoader } = await import(path.join(root, 'bench', 'lib', 'dedupe-bench.ts'));
  const { loadTexts, Stream } = await import(path.join(root, 'bench', 'lib', 'synthetic-stream.ts'));
  const prefix = `fsbench-ab-${tag}-${process.pid}-${Date.now().toString(36)}`;
  const index = new DedupeIndex(redis, { prefix, windowHours: 72 });
  const loader = new BulkLoader(redis, prefix, index, new RedisDedupeStore(redis, { prefix, windowHours: 72 }));
  const stream = new Stream(loadTexts(), indexed + timed, seed);
  for (let i = 1; i <= indexed; i++) {
    const item = stream.next(i);
    await loader.add(item.article, item.copyOf);
  }
  await loader.flush();
  const articles = Array.from({ length: timed }, (_, k) => stream.next(indexed + 1 + k).article);
  console.error(`${dir}: ${indexed.toLocaleString('en')} indexed under ${prefix}`);
  return { dir, prefix, cpuMs: 0, wallMs: 0, redisMs: 0, kinds: {}, decide: async (i) => (await index.decide(articles[i]!)).kind };
}

const sides: Side[] = [];
try {
  sides.push(await side(o.a, 'a'));
  sides.push(await side(o.b, 'b'));
  const [a, b] = sides as [Side, Side];
  for (let at = 0; at < timed; at += batch) {
    // who goes first alternates too
    for (const s of (at / batch) % 2 === 0 ? [a, b] : [b, a]) {
      const redis0 = await redisCpuSeconds(redis);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = at; i < Math.min(timed, at + batch); i++) {
        const kind = await s.decide(i);
        s.kinds[kind] = (s.kinds[kind] ?? 0) + 1;
      }
      const cpu = process.cpuUsage(cpu0);
      s.cpuMs += (cpu.user + cpu.system) / 1000;
      s.wallMs += performance.now() - t0;
      s.redisMs += ((await redisCpuSeconds(redis)) - redis0) * 1000;
    }
  }
  for (const [name, s] of [['a', a], ['b', b]] as const) {
    console.log(`${name} ${s.dir}: ${(s.wallMs / timed).toFixed(2)} ms per decide(), ${(s.cpuMs / timed).toFixed(2)} ms of this process's CPU, ${(s.redisMs / timed).toFixed(2)} ms of Redis's CPU; ${JSON.stringify(s.kinds)}`);
  }
  console.log(`b ÷ a: CPU ${(b.cpuMs / a.cpuMs).toFixed(3)}, Redis ${(b.redisMs / a.redisMs).toFixed(3)}, time ${(b.wallMs / a.wallMs).toFixed(3)}${JSON.stringify(a.kinds) === JSON.stringify(b.kinds) ? '' : ' (the two decided differently)'}`);
} finally {
  for (const s of sides) await deleteKeys(redis, `${s.prefix}:*`);
  redis.disconnect();
  // the private redis-server's process is unref'd: keep this one alive until it has exited
  const alive = setInterval(() => {}, 1000);
  await handle.stop();
  clearInterval(alive);
}
