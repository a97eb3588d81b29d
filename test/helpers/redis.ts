// Helpers for integration tests on real Redis: the run's server and a unique key prefix per test.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { deleteKeys } from '../../workers/cleanup.ts';

export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A prefix no other test uses, e.g. `fstest-1a2b3c4d`. */
export function uniquePrefix(label = 'fstest'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export function newRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
}

/** Delete every key under a prefix (after a test). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  await deleteKeys(redis, `${prefix}*`);
}
