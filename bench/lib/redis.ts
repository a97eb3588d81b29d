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
