// Politeness per host, shared by every worker process through Redis:
// - at most `hostConcurrency` requests in flight per host: slots are tokens in a sorted set
//   scored by their expiry, so the slot of a worker killed mid-request frees itself;
// - at least `hostDelayMs` between two request starts on a host (raised by the host's robots.txt
//   Crawl-delay), kept as the host's next-allowed time;
// - a Retry-After from a 429/503 pushes that host's next-allowed time, that host's only;
// - robots.txt (RFC 9309) for page fetches: fetched once per origin with the normal client,
//   cached in Redis for 24 h.
// Taking a slot is one Lua script (atomic across workers) timed by the Redis server's clock, so
// workers on machines whose clocks disagree still space their requests correctly.
// A worker that cannot get a slot within `maxWaitMs` gives the job back (HOST_BUSY, retryable)
// instead of holding a worker while the host is busy.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isFeedsiftError, PermanentError, RetryableError, type FeedsiftError } from '../pipeline/errors.ts';
import { httpGet, type HttpOptions } from '../pipeline/http.ts';
import { isAllowed, parseRobots, policyFor, productTokenOf, robotsPathOf, type RobotsPolicy } from '../pipeline/robots.ts';

export interface PolitenessOptions {
  /** Requests in flight per host across all workers. Default 2. */
  hostConcurrency: number;
  /** Minimum milliseconds between two request starts on one host (a robots Crawl-delay raises it). Default 1000. */
  hostDelayMs: number;
  /** Read and obey robots.txt before fetching a page (feeds are not checked). Default true. */
  respectRobots: boolean;
  /** Longest wait for a slot before the job is given back with HOST_BUSY. Default 30 000. */
  maxWaitMs: number;
  /**
   * Lifetime of a slot without a heartbeat: a live holder renews it every third of this, so a
   * holder that dies (SIGKILL) frees it at most this long after its last renewal. Default 10 000.
   */
  slotTtlMs?: number;
}

export const defaultPolitenessOptions: Readonly<Omit<PolitenessOptions, 'slotTtlMs'>> = Object.freeze({
  hostConcurrency: 2,
  hostDelayMs: 1000,
  respectRobots: true,
  maxWaitMs: 30_000,
});

/** robots.txt is cached this long per origin (RFC 9309 §2.4: SHOULD NOT use a cached copy for more than 24 h). */
export const ROBOTS_TTL_MS = 24 * 3600 * 1000;
/** An unreachable robots.txt (5xx, network) is asked again after this long; meanwhile the host's pages wait. */
export const ROBOTS_UNAVAILABLE_TTL_MS = 60_000;

/** A held slot lives this long past its last renewal. */
export const DEFAULT_SLOT_TTL_MS = 10_000;

export interface HostLease {
  host: string;
  token: string;
}

// KEYS: slots; ARGV: token, ttl ms → the token's expiry moved to now + ttl (if it is still held)
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
`;

// KEYS: slots (zset token → expiry ms), next (ms of the next allowed start)
// ARGV: token, concurrency, delay ms, slot ttl ms
// → {1, 0} taken; {0, wait ms} next start not yet allowed; {0, -1} every slot busy
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {0, -1} end
local nextAt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nextAt > now then return {0, nextAt - now} end
local ttl = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
local delay = tonumber(ARGV[3])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000) end
return {1, 0}
`;

// KEYS: next; ARGV: ms from now → the host's next-allowed time is at least now + ms
const DEFER = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local want = now + tonumber(ARGV[1])
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
if want > nextAt then redis.call('SET', KEYS[1], want, 'PX', tonumber(ARGV[1]) + 1000) end
return want - now
`;

type CachedRobots = { policy: RobotsPolicy } | { unavailable: { code: FeedsiftError['code']; message: string; retryAfterMs?: number } };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HostGate {
  readonly options: Required<PolitenessOptions>;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly http: Partial<HttpOptions>;
  private readonly token: string;

  constructor(redis: Redis, prefix: string, options: PolitenessOptions, http: Partial<HttpOptions> = {}) {
    this.redis = redis;
    this.prefix = prefix;
    this.http = http;
    this.options = { ...options, slotTtlMs: options.slotTtlMs ?? DEFAULT_SLOT_TTL_MS };
    this.token = productTokenOf(http.userAgent ?? 'feedsift');
  }

  // one hash tag per host: both keys of a script live in one Redis Cluster slot
  private keys(host: string): [string, string] {
    return [`${this.prefix}:polite:{${host}}:slots`, `${this.prefix}:polite:{${host}}:next`];
  }

  /**
   * Waits for a request slot on the URL's host. `robots: true` (page fetches) first checks the
   * origin's robots.txt: a disallowed URL fails with ROBOTS_DISALLOWED (permanent), an unreadable
   * robots.txt with a retryable error. Throws HOST_BUSY (retryable) after `maxWaitMs`.
   */
  async acquire(url: string, opts: { robots?: boolean } = {}): Promise<HostLease> {
    const host = hostOf(url);
    let delayMs = this.options.hostDelayMs;
    if (opts.robots && this.options.respectRobots) {
      const policy = await this.robotsPolicy(url);
      if (!isAllowed(policy, robotsPathOf(url))) {
        throw new PermanentError('fetch-page', 'ROBOTS_DISALLOWED', `robots.txt of ${new URL(url).origin} disallows ${url} for user-agent "${this.token}"`, { url });
      }
      delayMs = Math.max(delayMs, policy.crawlDelayMs ?? 0);
    } else {
      // a feed is not checked against robots.txt, but a Crawl-delay already known for its origin is kept
      const cached = await this.cachedRobots(new URL(url).origin);
      if (cached && 'policy' in cached) delayMs = Math.max(delayMs, cached.policy.crawlDelayMs ?? 0);
    }
    return this.take(host, delayMs, url);
  }

  /** Frees a slot taken by acquire (call in a finally). */
  async release(lease: HostLease): Promise<void> {
    await this.redis.zrem(this.keys(lease.host)[0], lease.token);
  }

  /** The host of `url` gets no new request for `ms` (a Retry-After). Other hosts are untouched. */
  async deferHost(url: string, ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0) return;
    await this.redis.eval(DEFER, 1, this.keys(hostOf(url))[1], String(Math.min(Math.round(ms), 3_600_000)));
  }

  /**
   * Runs `fn` holding a slot on the URL's host; a retryable error carrying a Retry-After defers
   * the host it came from (the error's URL: a redirect may have led elsewhere).
   */
  async around<T>(url: string, opts: { robots?: boolean }, fn: () => Promise<T>): Promise<T> {
    const lease = await this.acquire(url, opts);
    const stop = this.keepAlive(lease);
    try {
      return await fn();
    } catch (err) {
      await this.deferFor(err, url);
      throw err;
    } finally {
      stop();
      await this.release(lease);
    }
  }

  /** Renews a held slot every third of its lifetime until the returned function is called. */
  keepAlive(lease: HostLease): () => void {
    const ttl = this.options.slotTtlMs;
    const timer = setInterval(() => {
      // a failed renewal only shortens the slot's life; the request goes on
      this.redis.eval(RENEW, 1, this.keys(lease.host)[0], lease.token, String(ttl)).catch(() => {});
    }, Math.max(50, Math.floor(ttl / 3)));
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Pushes the next-allowed time of the host an error's Retry-After came from. */
  async deferFor(err: unknown, fallbackUrl: string): Promise<void> {
    if (!isFeedsiftError(err) || !err.retryable) return;
    const ms = err.details.retryAfterMs;
    if (ms === undefined) return;
    await this.deferHost(typeof err.details.url === 'string' ? err.details.url : fallbackUrl, ms);
  }

  private async take(host: string, delayMs: number, url: string): Promise<HostLease> {
    const token = `${randomBytes(8).toString('hex')}`;
    const [slots, next] = this.keys(host);
    const deadline = Date.now() + this.options.maxWaitMs;
    for (;;) {
      const [ok, wait] = (await this.redis.eval(ACQUIRE, 2, slots, next, token, String(this.options.hostConcurrency), String(delayMs), String(this.options.slotTtlMs))) as [number, number];
      if (ok === 1) return { host, token };
      const left = deadline - Date.now();
      if (left <= 0) {
        const busy = wait < 0 ? `all ${this.options.hostConcurrency} slots busy` : `next request allowed in ${wait} ms`;
        throw new RetryableError('worker', 'HOST_BUSY', `no request slot for ${host} within ${this.options.maxWaitMs} ms (${busy}): ${url}`, {
          url,
          retryAfterMs: wait < 0 ? Math.min(this.options.hostDelayMs, 5000) : wait,
        });
      }
      // a busy host is asked again soon (slots free at unknown times); a delay is slept out, jittered
      // so that waiting workers do not all ask in the same millisecond
      const nap = wait < 0 ? 20 + Math.random() * 80 : wait + Math.random() * 10;
      await sleep(Math.max(1, Math.min(nap, left)));
    }
  }

  private robotsKey(origin: string): string {
    return `${this.prefix}:robots:${origin}`;
  }

  private async cachedRobots(origin: string): Promise<CachedRobots | undefined> {
    const raw = await this.redis.get(this.robotsKey(origin));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as CachedRobots;
    } catch {
      return undefined;
    }
  }

  /**
   * The rules robots.txt of the URL's origin sets for us: cached for 24 h; fetched (in a slot of
   * the host, like any request) when absent. 4xx → everything allowed (§2.3.1.3); 5xx, 429 or
   * unreachable → everything disallowed for now (§2.3.1.4): a retryable error, remembered for a minute.
   */
  async robotsPolicy(url: string): Promise<RobotsPolicy> {
    const origin = new URL(url).origin;
    let cached = await this.cachedRobots(origin);
    if (!cached) cached = await this.fetchRobots(origin);
    if ('policy' in cached) return cached.policy;
    const { code, message, retryAfterMs } = cached.unavailable;
    throw new RetryableError('fetch-page', code, `robots.txt of ${origin} unavailable, its pages wait (RFC 9309 §2.3.1.4): ${message}`, {
      url,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }

  private async fetchRobots(origin: string): Promise<CachedRobots> {
    const robotsUrl = `${origin}/robots.txt`;
    const lease = await this.take(hostOf(robotsUrl), this.options.hostDelayMs, robotsUrl);
    const stop = this.keepAlive(lease);
    let entry: CachedRobots;
    let ttl = ROBOTS_TTL_MS;
    try {
      const res = await httpGet({ url: robotsUrl, accept: 'text/plain, */*;q=0.5' }, this.http, 'fetch-page');
      entry = { policy: policyFor(parseRobots(res.body), this.token) };
    } catch (err) {
      await this.deferFor(err, robotsUrl);
      if (!isFeedsiftError(err)) throw err;
      const status = err.details.status;
      if (err.code === 'HTTP_STATUS' && status !== undefined && status >= 400 && status < 500) {
        entry = { policy: { rules: [] } }; // "unavailable": no restrictions
      } else if (err.retryable) {
        entry = { unavailable: { code: err.code, message: err.message, ...(err.details.retryAfterMs !== undefined ? { retryAfterMs: err.details.retryAfterMs } : {}) } };
        ttl = Math.max(ROBOTS_UNAVAILABLE_TTL_MS, err.details.retryAfterMs ?? 0);
      } else {
        throw err; // blocked address, unknown host, …: the page would fail the same way
      }
    } finally {
      stop();
      await this.release(lease);
    }
    await this.redis.set(this.robotsKey(origin), JSON.stringify(entry), 'PX', ttl);
    return entry;
  }
}

function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}
