// Per-feed memory in Redis: conditional-GET validators, health, the poll schedule (adaptive
// polling, workers/feed-health.ts), and the items already seen.
import type { Redis } from 'ioredis';

export interface FeedState {
  etag?: string;
  lastModified?: string;
  title?: string;
  lastSuccessAt?: string;
  lastErrorAt?: string;
  lastError?: string;
  /** What the parser last recovered from (e.g. a truncated document); empty when the last poll was clean. */
  lastWarning?: string;
  /** Failed attempts in a row (every attempt of a job counts); 0 after a success. */
  consecutiveFailures: number;
  /** Failed polls in a row (a job whose last attempt failed counts once): the backoff exponent. */
  failedPolls?: number;
  /** Successful polls in a row without a new item (304 or nothing new). */
  unchangedPolls?: number;
  /** First failure since the last success; cleared by a success. */
  failingSince?: string;
  /** When the feed was flagged dead (failing for FEEDSIFT_FEED_DEAD_AFTER_HOURS); cleared by a success. */
  flaggedSince?: string;
  /** When the last poll (attempt) began, whatever its outcome. */
  lastPollAt?: string;
  /** When a scheduler tick next polls the feed (ISO 8601); absent: due now. */
  nextPollAt?: string;
  /** The interval chosen after the last poll (seconds) and why (pipeline/poll-schedule.ts IntervalReason). */
  intervalS?: number;
  pollReason?: string;
  /** New items per day over the last 24 h of observation; absent until an hour has been observed. */
  itemsPerDay?: number;
  /** First successful poll this state remembers: items seen in it were the backlog, not news. */
  firstFetchAt?: string;
  /** The feed's own `<ttl>` and `<sy:updatePeriod>` from its last fetch (seconds). */
  feedTtlS?: number;
  feedUpdatePeriodS?: number;
}

/** Field holding nextPollAt as epoch milliseconds (compared inside a Lua script). */
const NEXT_POLL_FIELD = 'nextPollAtMs';
const NUMERIC_FIELDS = ['failedPolls', 'unchangedPolls', 'intervalS', 'itemsPerDay', 'feedTtlS', 'feedUpdatePeriodS'] as const;

/**
 * KEYS: state; ARGV: now ms, slack ms, lease-until ms, claimant.
 * → 0 claimed (nextPollAtMs set to the lease, pollClaim to the claimant); else the due time in ms.
 * The claimant that already holds the claim (a retried or re-delivered job) claims again.
 */
const CLAIM = `
local due = tonumber(redis.call('HGET', KEYS[1], '${NEXT_POLL_FIELD}') or '0') or 0
local holder = redis.call('HGET', KEYS[1], 'pollClaim')
if holder ~= ARGV[4] and due - tonumber(ARGV[2]) > tonumber(ARGV[1]) then return due end
redis.call('HSET', KEYS[1], '${NEXT_POLL_FIELD}', ARGV[3], 'pollClaim', ARGV[4])
return 0
`;

/** Fields of the poll schedule and health written after a poll; `undefined` deletes a field. */
export interface HealthUpdate {
  lastPollAt?: string | undefined;
  failedPolls?: number | undefined;
  unchangedPolls?: number | undefined;
  failingSince?: string | undefined;
  flaggedSince?: string | undefined;
  nextPollAt?: Date | undefined;
  intervalS?: number | undefined;
  pollReason?: string | undefined;
  itemsPerDay?: number | undefined;
  firstFetchAt?: string | undefined;
  feedTtlS?: number | undefined;
  feedUpdatePeriodS?: number | undefined;
}

function stateOf(h: Record<string, string>): FeedState {
  const s: FeedState = { consecutiveFailures: Number(h.consecutiveFailures ?? 0) };
  for (const k of ['etag', 'lastModified', 'title', 'lastSuccessAt', 'lastErrorAt', 'lastError', 'lastWarning', 'failingSince', 'flaggedSince', 'pollReason', 'firstFetchAt', 'lastPollAt'] as const) if (h[k]) s[k] = h[k];
  for (const k of NUMERIC_FIELDS) {
    const n = h[k] ? Number(h[k]) : Number.NaN;
    if (Number.isFinite(n)) s[k] = n;
  }
  const next = Number(h[NEXT_POLL_FIELD]);
  if (h[NEXT_POLL_FIELD] && Number.isFinite(next)) s.nextPollAt = new Date(next).toISOString();
  return s;
}

/** How many item ids a feed remembers (newest kept). */
const MAX_SEEN_PER_FEED = 5000;

export class FeedStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  private stateKey(feedId: string): string {
    return `${this.prefix}:feed:${feedId}:state`;
  }
  private seenKey(feedId: string): string {
    return `${this.prefix}:feed:${feedId}:seen`;
  }

  async get(feedId: string): Promise<FeedState> {
    const h = await this.redis.hgetall(this.stateKey(feedId));
    const s: FeedState = { consecutiveFailures: Number(h.consecutiveFailures ?? 0) };
    return stateOf(h);
  }

  /** The states of many feeds in one round trip, in order. */
  async getMany(feedIds: readonly string[]): Promise<FeedState[]> {
    if (!feedIds.length) return [];
    const p = this.redis.pipeline();
    for (const id of feedIds) p.hgetall(this.stateKey(id));
    const res = (await p.exec()) ?? [];
    return res.map(([err, h]) => {
      if (err) throw err;
      return stateOf(h as Record<string, string>);
    });
  }

  /**
   * A scheduler tick's claim on polling the feed: taken when the feed is due (nextPollAt no later
   * than now + slackMs, or never set) or already held by `claimant`; then nextPollAt moves to
   * now + leaseMs, so that no other tick polls the feed meanwhile. Atomic across workers.
   */
  async claimPoll(feedId: string, claimant: string, now: Date, opts: { slackMs: number; leaseMs: number }): Promise<{ claimed: true } | { claimed: false; nextPollAt: Date }> {
    const at = now.getTime();
    const due = Number(await this.redis.eval(CLAIM, 1, this.stateKey(feedId), String(at), String(opts.slackMs), String(at + opts.leaseMs), claimant));
    return due === 0 ? { claimed: true } : { claimed: false, nextPollAt: new Date(due) };
  }

  /** Writes the schedule and health fields given (a field given as undefined is removed). */
  async updateHealth(feedId: string, u: HealthUpdate): Promise<void> {
    const set: Record<string, string> = {};
    const del: string[] = [];
    for (const [k, v] of Object.entries(u) as Array<[keyof HealthUpdate, HealthUpdate[keyof HealthUpdate]]>) {
      const field = k === 'nextPollAt' ? NEXT_POLL_FIELD : k;
      if (v === undefined) del.push(field);
      else set[field] = v instanceof Date ? String(v.getTime()) : String(v);
    }
    const m = this.redis.multi();
    if (Object.keys(set).length) m.hset(this.stateKey(feedId), set);
    if (del.length) m.hdel(this.stateKey(feedId), ...del);
    await m.exec();
  }

  /** Items this feed first saw after `sinceMs` (exclusive) — new items, for items per day. */
  async countSeenSince(feedId: string, sinceMs: number): Promise<number> {
    return this.redis.zcount(this.seenKey(feedId), `(${sinceMs}`, '+inf');
  }

  async recordSuccess(feedId: string, v: { etag?: string | undefined; lastModified?: string | undefined; title?: string | undefined; warning?: string | undefined }, at: Date): Promise<void> {
    const fields: Record<string, string> = { lastSuccessAt: at.toISOString(), consecutiveFailures: '0', lastWarning: v.warning ?? '' };
    if (v.etag) fields.etag = v.etag;
    if (v.lastModified) fields.lastModified = v.lastModified;
    if (v.title) fields.title = v.title;
    await this.redis.hset(this.stateKey(feedId), fields);
  }

  async recordFailure(feedId: string, error: string, at: Date): Promise<void> {
    await this.redis
      .multi()
      .hset(this.stateKey(feedId), { lastErrorAt: at.toISOString(), lastError: error })
      .hincrby(this.stateKey(feedId), 'consecutiveFailures', 1)
      .exec();
  }

  /** The subset of `guids` this feed has not seen yet, in the given order. */
  async unseen(feedId: string, guids: string[]): Promise<string[]> {
    if (!guids.length) return [];
    const scores = await this.redis.zmscore(this.seenKey(feedId), ...guids);
    return guids.filter((_, i) => scores[i] === null);
  }

  async markSeen(feedId: string, guids: string[], at: Date): Promise<void> {
    if (!guids.length) return;
    const key = this.seenKey(feedId);
    const args: Array<string | number> = [];
    for (const g of guids) args.push(at.getTime(), g);
    await this.redis
      .multi()
      .zadd(key, ...args)
      .zremrangebyrank(key, 0, -(MAX_SEEN_PER_FEED + 1))
      .exec();
  }
}
