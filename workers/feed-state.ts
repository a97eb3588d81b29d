// Per-feed memory in Redis: conditional-GET validators, health, and the items already seen.
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
  consecutiveFailures: number;
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
    for (const k of ['etag', 'lastModified', 'title', 'lastSuccessAt', 'lastErrorAt', 'lastError', 'lastWarning'] as const) if (h[k]) s[k] = h[k];
    return s;
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
