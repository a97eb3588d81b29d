// One Redis for the whole run, found the same way the CLI finds it:
// REDIS_URL if set, otherwise a private redis-server from PATH (stopped at the end).
import type { TestProject } from 'vitest/node';
import { resolveRedis, type RedisHandle } from '../../workers/redis-server.ts';

let handle: RedisHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  handle = await resolveRedis(process.env.REDIS_URL, { persist: false, dataDir: '.feedsift/test-redis' });
  project.provide('redisUrl', handle.url);
}

export async function teardown(): Promise<void> {
  await handle?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
