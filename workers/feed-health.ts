// Feed health and adaptive polling.
//
// Design. BullMQ job schedulers tick at a fixed interval, so each feed keeps one scheduler
// (`feed-<id>`, installed by syncSchedulers) that ticks at the feed's lower bound
// (min(FEEDSIFT_POLL_MIN_INTERVAL_S, its pollInterval)), and the feed's own next poll time lives
// in its state hash (`<prefix>:feed:<id>:state`, field nextPollAtMs). A tick first claims the
// feed with one Lua script: when the feed is not due (nextPollAt later than now + half a tick) the
// job ends at once as `skipped` — no request, counted as `feeds.skipped` — otherwise nextPollAt
// moves out by a lease (CLAIM_LEASE_MS) so no other tick polls it meanwhile, and the poll runs.
// After every poll, pipeline/poll-schedule.ts computes the next interval from what the poll
// showed (failures, Retry-After, 304s, new items, the feed's TTL, HTTP freshness, items per day)
// and nextPollAt is set from the poll's start. Only scheduler ticks are gated: `run --once`,
// `demo` and poll jobs added by hand poll at once (they still update the schedule).
// Why not re-schedule per feed: a per-feed `every` would have to be rewritten after each poll
// (and raced by syncSchedulers at every start); one fixed tick plus a due check stays correct
// whatever restarts, crashes or config reloads happen, and a skipped tick costs one script call.
//
// Health: last success, last error, failed attempts in a row (consecutiveFailures) and failed
// polls in a row, items per day, and a dead flag: a feed whose failures go on without a success
// for FEEDSIFT_FEED_DEAD_AFTER_HOURS is flagged (flaggedSince) and polled at the upper bound
// (FEEDSIFT_POLL_MAX_INTERVAL_S) — never dropped; its first success clears the flag.
//
// Items per day: new items the feed brought over a sliding window of the last 24 h, counted from
// the feed's seen set (each item id is scored by when it was first seen), excluding the items of
// the first fetch (the backlog, not news); unknown until one hour has been observed. Publication
// dates are not used: they are missing, wrong or re-stamped too often to trust.
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { isFeedsiftError } from '../pipeline/errors.ts';
import {
  httpFreshnessSeconds,
  nextPollInterval,
  pollTickSeconds,
  type HttpCacheHeaders,
  type IntervalDecision,
  type PollingOptions,
} from '../pipeline/poll-schedule.ts';
import type { FeedConfig } from '../pipeline/records.ts';
import type { Logger } from './log.ts';
import { FeedStore, type FeedState } from './feed-state.ts';

/** How long a tick's claim keeps other ticks off a feed while its poll runs. */
export const CLAIM_LEASE_MS = 10 * 60_000;
/** Sliding window of the items-per-day estimate. */
export const ITEMS_WINDOW_MS = 24 * 3600_000;
/** Observation needed before items per day is estimated. */
export const MIN_OBSERVED_MS = 3600_000;

/** What a successful poll showed. */
export type PollObservation =
  | { kind: 'fetched'; listedItems: number; newItems: number; ttlS?: number | undefined; updatePeriodS?: number | undefined; cache?: HttpCacheHeaders | undefined }
  | { kind: 'not-modified'; cache?: HttpCacheHeaders | undefined };

export interface ScheduleDecision extends IntervalDecision {
  nextPollAt: Date;
}

/** A poll job made by a feed's job scheduler (not by `run --once`, `demo` or by hand) is a tick, gated by the feed's nextPollAt. */
export function isSchedulerTick(job: Pick<Job, 'repeatJobKey'>, runId: string | undefined): boolean {
  return Boolean(job.repeatJobKey) && !runId;
}

export class FeedHealth {
  readonly store: FeedStore;
  private readonly polling: PollingOptions;
  private readonly log: Logger;

  constructor(store: FeedStore, polling: PollingOptions, log: Logger) {
    this.store = store;
    this.polling = polling;
    this.log = log;
  }

  private bounds(feed: FeedConfig): { baseS: number; minS: number; maxS: number } {
    return { baseS: feed.pollIntervalSeconds, minS: this.polling.minIntervalS, maxS: this.polling.maxIntervalS };
  }

  /** A tick's claim: taken when the feed is due (within half a tick), else the time it is due. */
  claim(feed: FeedConfig, claimant: string, now: Date): Promise<{ claimed: true } | { claimed: false; nextPollAt: Date }> {
    const tickMs = pollTickSeconds(feed.pollIntervalSeconds, this.polling) * 1000;
    return this.store.claimPoll(feed.id, claimant, now, { slackMs: tickMs / 2, leaseMs: CLAIM_LEASE_MS });
  }

  /** New items per day over the window, or undefined while less than MIN_OBSERVED_MS has been observed. */
  private async itemsPerDay(feedId: string, firstFetchAt: string, at: Date): Promise<number | undefined> {
    const since = Math.max(Date.parse(firstFetchAt), at.getTime() - ITEMS_WINDOW_MS);
    const observed = at.getTime() - since;
    if (!(observed >= MIN_OBSERVED_MS)) return undefined;
    const count = await this.store.countSeenSince(feedId, since);
    return Math.round(((count * 86_400_000) / observed) * 100) / 100;
  }

  /**
   * After a successful poll (call it once the new items are marked seen): the next poll time and
   * health. `startedAt`: when the poll began (the next one counts from there); `at`: now.
   */
  async afterSuccess(feed: FeedConfig, before: FeedState, obs: PollObservation, startedAt: Date, at: Date): Promise<ScheduleDecision> {
    const firstFetchAt = before.firstFetchAt ?? at.toISOString();
    const news = obs.kind === 'fetched' && obs.newItems > 0;
    const unchangedPolls = news ? 0 : (before.unchangedPolls ?? 0) + 1;
    const itemsPerDay = await this.itemsPerDay(feed.id, firstFetchAt, at);
    // a 304 carries no document: the TTLs the feed declared when last fetched still hold
    const ttlS = obs.kind === 'fetched' ? obs.ttlS : before.feedTtlS;
    const updatePeriodS = obs.kind === 'fetched' ? obs.updatePeriodS : before.feedUpdatePeriodS;
    const decision = nextPollInterval({
      ...this.bounds(feed),
      outcome: obs.kind,
      unchangedPolls,
      ...(obs.kind === 'fetched' ? { listedItems: obs.listedItems, newItems: obs.newItems } : {}),
      firstFetch: before.firstFetchAt === undefined,
      ...(before.intervalS !== undefined ? { previousIntervalS: before.intervalS } : {}),
      ...(itemsPerDay !== undefined ? { itemsPerDay } : {}),
      ...(ttlS !== undefined ? { ttlS } : {}),
      ...(updatePeriodS !== undefined ? { updatePeriodS } : {}),
      ...(obs.cache ? { maxAgeS: httpFreshnessSeconds(obs.cache, at) } : {}),
    });
    const nextPollAt = new Date(startedAt.getTime() + decision.intervalS * 1000);
    if (before.flaggedSince) this.log.info({ feedId: feed.id, url: feed.url, flaggedSince: before.flaggedSince }, 'feed recovered: no longer flagged');
    await this.store.updateHealth(feed.id, {
      lastPollAt: startedAt.toISOString(),
      failedPolls: 0,
      unchangedPolls,
      failingSince: undefined,
      flaggedSince: undefined,
      nextPollAt,
      intervalS: decision.intervalS,
      pollReason: decision.reason,
      itemsPerDay,
      firstFetchAt,
      feedTtlS: ttlS,
      feedUpdatePeriodS: updatePeriodS,
    });
    return { ...decision, nextPollAt };
  }

  /**
   * After a failed attempt. `final`: no retry follows, so the failed poll counts in the backoff
   * streak (a retried attempt only schedules the ticks around its retry). Flags the feed when it
   * has been failing for the dead-after threshold.
   */
  async afterFailure(feed: FeedConfig, before: FeedState, err: unknown, final: boolean, startedAt: Date, at: Date): Promise<ScheduleDecision> {
    const failingSince = before.failingSince ?? at.toISOString();
    const failedPolls = (before.failedPolls ?? 0) + 1;
    const dead = at.getTime() - Date.parse(failingSince) >= this.polling.deadAfterHours * 3600_000;
    const flaggedSince = before.flaggedSince ?? (dead ? at.toISOString() : undefined);
    if (dead && !before.flaggedSince) {
      this.log.warn({ feedId: feed.id, url: feed.url, failingSince, lastError: before.lastError }, `feed flagged: failing for ${this.polling.deadAfterHours} h or more; polled every ${this.polling.maxIntervalS} s until it recovers`);
    }
    const retryAfterMs = isFeedsiftError(err) ? err.details.retryAfterMs : undefined;
    const decision = nextPollInterval({
      ...this.bounds(feed),
      outcome: 'failed',
      failedPolls,
      dead,
      ...(retryAfterMs !== undefined ? { retryAfterS: retryAfterMs / 1000 } : {}),
    });
    const nextPollAt = new Date(startedAt.getTime() + decision.intervalS * 1000);
    await this.store.updateHealth(feed.id, {
      lastPollAt: startedAt.toISOString(),
      failingSince,
      flaggedSince,
      failedPolls: final ? failedPolls : (before.failedPolls ?? 0),
      nextPollAt,
      intervalS: decision.intervalS,
      pollReason: decision.reason,
    });
    return { ...decision, nextPollAt };
  }
}

/** One feed's health, as `feedsift status` shows it. Times are ISO 8601; null when never. */
export interface FeedHealthRow {
  id: string;
  url: string;
  /** When the last poll began (success or failure). */
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  /** `[CODE] stage: message` of the last failure (kept after a recovery; compare the times). */
  lastError: string | null;
  /** Failed attempts in a row (0 after a success). */
  consecutiveFailures: number;
  /** Failed polls in a row (the backoff streak). */
  failedPolls: number;
  /** New items per day over the last 24 h; null while unknown (less than an hour observed). */
  itemsPerDay: number | null;
  /** When the next scheduler tick polls it; null: never scheduled yet (due at the next tick). */
  nextPollAt: string | null;
  /** The current interval (seconds) and why (base, busy, overflow, unchanged, feed-ttl, http-cache, retry-after, failing, dead). */
  intervalS: number | null;
  pollReason: string | null;
  /** First failure since the last success; null when the last poll succeeded. */
  failingSince: string | null;
  /** Flagged dead: failing for FEEDSIFT_FEED_DEAD_AFTER_HOURS; still polled, at the max interval. */
  flagged: boolean;
  flaggedSince: string | null;
}

/** The health of each configured feed, in the order given, read from Redis in one round trip. */
export async function feedHealth(redis: Redis, prefix: string, feeds: readonly Pick<FeedConfig, 'id' | 'url'>[]): Promise<FeedHealthRow[]> {
  const states = await new FeedStore(redis, prefix).getMany(feeds.map((f) => f.id));
  return feeds.map((feed, i) => {
    const s = states[i]!;
    return {
      id: feed.id,
      url: feed.url,
      lastPollAt: s.lastPollAt ?? null,
      lastSuccessAt: s.lastSuccessAt ?? null,
      lastErrorAt: s.lastErrorAt ?? null,
      lastError: s.lastError ?? null,
      consecutiveFailures: s.consecutiveFailures,
      failedPolls: s.failedPolls ?? 0,
      itemsPerDay: s.itemsPerDay ?? null,
      nextPollAt: s.nextPollAt ?? null,
      intervalS: s.intervalS ?? null,
      pollReason: s.pollReason ?? null,
      failingSince: s.failingSince ?? null,
      flagged: s.flaggedSince !== undefined,
      flaggedSince: s.flaggedSince ?? null,
    };
  });
}
