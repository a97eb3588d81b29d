// What every queue adapter needs: settings, Redis, the queues, a logger.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Settings } from '../config/load.ts';
import type { Logger } from './log.ts';
import type { QUEUES } from './jobs.ts';

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface WorkerContext {
  settings: Settings;
  redis: Redis;
  queues: Record<QueueName, Queue>;
  log: Logger;
  now: () => Date;
}

/** Options of every job feedsift adds to its internal queues. */
export function internalJobOptions(settings: Settings) {
  return {
    attempts: settings.jobAttempts,
    backoff: { type: 'feedsift' },
    removeOnComplete: { count: settings.keepCompleted },
    // failed jobs stay until an operator retries or removes them
    removeOnFail: false,
  };
}
