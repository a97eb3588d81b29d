// Maps stage outcomes to BullMQ semantics, once for every queue:
// a permanent FeedsiftError fails the job at once (UnrecoverableError), a retryable one
// is retried with backoff (the server's Retry-After wins), anything unknown is retried
// a bounded number of times. The error code leads the failed reason: `[TIMEOUT] fetch-page: …`.
import { UnrecoverableError, type Job } from 'bullmq';
import { isFeedsiftError } from '../pipeline/errors.ts';

export interface RetryHint extends Error {
  retryAfterMs?: number;
}

export function adapt<T>(handler: (job: Job) => Promise<T>): (job: Job) => Promise<T> {
  return async (job) => {
    try {
      return await handler(job);
    } catch (err) {
      if (!isFeedsiftError(err)) throw err;
      const message = `[${err.code}] ${err.message}`;
      if (!err.retryable) throw new UnrecoverableError(message);
      const retry: RetryHint = new Error(message);
      if (err.details.retryAfterMs !== undefined) retry.retryAfterMs = err.details.retryAfterMs;
      throw retry;
    }
  };
}

/** Spread of the retry delay around its exponential value: ±20 %, so that jobs failing together do not retry together. */
export const BACKOFF_JITTER = 0.2;

/**
 * Exponential backoff from `baseMs` with ±20 % jitter, or the server's Retry-After when it gave
 * one (capped at 1 h, never shortened: its jitter only adds up to 20 %). `random` returns [0, 1).
 */
export function backoffStrategy(baseMs: number, random: () => number = Math.random) {
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const hinted = (err as RetryHint | undefined)?.retryAfterMs;
    if (hinted !== undefined && Number.isFinite(hinted)) {
      const floor = Math.min(Math.max(hinted, 0), 3_600_000);
      return Math.round(floor * (1 + BACKOFF_JITTER * random()));
    }
    const nominal = baseMs * 2 ** Math.max(0, attemptsMade - 1);
    return Math.round(nominal * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random()));
  };
}

/** True when this failure is the job's last: no retry will follow. */
export function isFinalAttempt(job: Job, err: unknown): boolean {
  if (isFeedsiftError(err) && !err.retryable) return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
