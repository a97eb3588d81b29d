// Outcome counters in Redis: global (for metrics and `status`) and per run (for the
// summary of `run --once` and `demo`). Field names are documented in README.md.
import type { Redis } from 'ioredis';

export type Outcome =
  | 'feeds.polled'
  | 'feeds.not-modified'
  /** Scheduler ticks that found their feed not yet due (adaptive polling): no request made. */
  | 'feeds.skipped'
  | 'feeds.failed'
  | 'items.new'
  | 'items.seen'
  | 'articles.processed'
  | 'articles.dropped.too-short'
  | 'articles.failed'
  /** Final failures of article jobs by error code (`articles.failed.HTTP_STATUS`). */
  | `articles.failed.${string}`
  /** Articles a filter kept from publication, by reason (`articles.filtered.language`). */
  | `articles.filtered.${string}`
  /** Final failures of dedupe jobs (the decision) by error code. */
  | `dedupe.failed.${string}`
  /** Final failures of poll jobs by error code. */
  | `feeds.failed.${string}`
  | 'stories'
  | 'duplicates'
  | 'updates'
  | 'removed.blocks'
  /** Dedupe decisions taken again under the index lock (a commit made meanwhile touched what they read). */
  | 'dedupe.retaken'
  /** Dedupe decisions committed as taken although a commit made meanwhile touched postings they read (it could not have changed them). */
  | 'dedupe.confirmed';

export function statsKey(prefix: string, runId?: string): string {
  return runId ? `${prefix}:run:${runId}:stats` : `${prefix}:stats`;
}

export async function countOutcome(redis: Redis, prefix: string, runId: string | undefined, outcome: Outcome, by = 1): Promise<void> {
  await countOutcomes(redis, prefix, runId, [[outcome, by]]);
}

/** Several outcomes counted in one transaction (one round trip). */
export async function countOutcomes(redis: Redis, prefix: string, runId: string | undefined, outcomes: ReadonlyArray<readonly [Outcome, number]>): Promise<void> {
  if (outcomes.length === 0) return;
  const m = redis.multi();
  for (const [outcome, by] of outcomes) m.hincrby(statsKey(prefix), outcome, by);
  if (runId) {
    for (const [outcome, by] of outcomes) m.hincrby(statsKey(prefix, runId), outcome, by);
    m.expire(statsKey(prefix, runId), 7 * 86_400);
  }
  await m.exec();
}

export async function readStats(redis: Redis, prefix: string, runId?: string): Promise<Record<string, number>> {
  const raw = await redis.hgetall(statsKey(prefix, runId));
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
}
