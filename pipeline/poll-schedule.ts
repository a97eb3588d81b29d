// When to poll a feed next: pure functions, no Redis, no clock of their own.
//
// A feed's configured pollInterval is the base. After every poll the next interval is computed
// from what the poll taught us, then kept within [min(MIN, base), max(MAX, base)] (MIN and MAX
// are FEEDSIFT_POLL_MIN_INTERVAL_S / FEEDSIFT_POLL_MAX_INTERVAL_S; a feed's own configured interval
// always lies inside its bounds):
//
// - failed poll: exponential backoff, base × 2^(failed polls in a row − 1); a Retry-After that
//   asks for longer wins;
// - dead feed (failing for FEEDSIFT_FEED_DEAD_AFTER_HOURS): the upper bound, and nothing else;
// - successful poll: start from the base;
//   · busy: a feed publishing more than ITEMS_PER_POLL items per base interval is polled every
//     86 400 × ITEMS_PER_POLL / itemsPerDay seconds (shorter, never longer, than the base);
//   · overflow: every item the feed listed was new (some may have scrolled off unseen) → at most
//     half the previous interval;
//   · unchanged: each successful poll in a row without a new item (304 or nothing new) stretches
//     the interval by UNCHANGED_FACTOR;
//   · the publisher's own word is a floor — RSS <ttl>, <sy:updatePeriod>/<sy:updateFrequency>,
//     HTTP freshness (Cache-Control max-age minus Age, else Expires minus Date): never sooner.
//
// The reason that decided the interval is returned with it, for logs and `feedsift status`.

/** Bounds and thresholds of adaptive polling (FEEDSIFT_POLL_MIN_INTERVAL_S, …_MAX_…, FEEDSIFT_FEED_DEAD_AFTER_HOURS). */
export interface PollingOptions {
  /** Shortest interval adaptive polling may choose (a feed configured shorter keeps its own). Default 300. */
  minIntervalS: number;
  /** Longest interval: backoff, unchanged streaks, TTLs and Retry-After stop here; dead feeds are polled this often. Default 21 600. */
  maxIntervalS: number;
  /** A feed failing without a success for this long is flagged dead (and still polled). Default 24. */
  deadAfterHours: number;
}

export const defaultPollingOptions: Readonly<PollingOptions> = Object.freeze({ minIntervalS: 300, maxIntervalS: 21_600, deadAfterHours: 24 });

/** New items per poll a busy feed is aimed at: more per base interval and the interval shortens. */
export const ITEMS_PER_POLL = 3;
/** Stretch per successful poll in a row without a new item. */
export const UNCHANGED_FACTOR = 1.5;

export type IntervalReason =
  | 'base' // the configured interval
  | 'busy' // shortened for the feed's items per day
  | 'overflow' // every listed item was new: halved
  | 'unchanged' // stretched for polls without news
  | 'feed-ttl' // the feed's <ttl> or <sy:updatePeriod>
  | 'http-cache' // Cache-Control max-age / Expires
  | 'retry-after' // the server's Retry-After on a failure
  | 'failing' // exponential backoff of a failing feed
  | 'dead'; // flagged: polled at the upper bound

export interface IntervalInput {
  /** The feed's configured interval (seconds). */
  baseS: number;
  minS: number;
  maxS: number;
  outcome: 'fetched' | 'not-modified' | 'failed';
  /** The feed is flagged dead (failing for the dead-after threshold). */
  dead?: boolean;
  /** Failed polls in a row, this one included (failed outcome only). */
  failedPolls?: number;
  /** Successful polls in a row without a new item, this one included; 0 when this poll brought news. */
  unchangedPolls?: number;
  /** Items the feed listed / of them new, in this poll (fetched only). */
  listedItems?: number;
  newItems?: number;
  /** This was the feed's first fetch: every item is new by definition, not an overflow. */
  firstFetch?: boolean;
  /** The interval chosen after the previous poll. */
  previousIntervalS?: number;
  /** New items per day observed (see workers/feed-health.ts); undefined while unknown. */
  itemsPerDay?: number;
  /** The feed's <ttl> (seconds). */
  ttlS?: number;
  /** <sy:updatePeriod> / <sy:updateFrequency> (seconds). */
  updatePeriodS?: number;
  /** HTTP freshness of the response (seconds). */
  maxAgeS?: number;
  /** Retry-After of a failed request (seconds). */
  retryAfterS?: number;
}

export interface IntervalDecision {
  /** Whole seconds, within the bounds. */
  intervalS: number;
  reason: IntervalReason;
}

/** The interval bounds of a feed: MIN and MAX widened to include its configured interval. */
export function pollBounds(baseS: number, opts: Pick<PollingOptions, 'minIntervalS' | 'maxIntervalS'>): { minS: number; maxS: number } {
  const minS = Math.min(opts.minIntervalS, baseS);
  return { minS, maxS: Math.max(opts.maxIntervalS, baseS, minS) };
}

/**
 * How often a feed's job scheduler ticks (seconds): its lower bound, so that any interval the
 * feed may get is reachable; ticks before the feed is due are skipped without a request.
 */
export function pollTickSeconds(baseS: number, opts: Pick<PollingOptions, 'minIntervalS' | 'maxIntervalS'>): number {
  return pollBounds(baseS, opts).minS;
}

const positive = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v > 0;

/** The next poll interval of a feed, and why. */
export function nextPollInterval(i: IntervalInput): IntervalDecision {
  const lo = Math.min(i.minS, i.baseS);
  const hi = Math.max(i.maxS, i.baseS, lo);
  const bounded = (s: number, reason: IntervalReason): IntervalDecision => ({ intervalS: Math.round(Math.min(hi, Math.max(lo, s))), reason });
  if (i.dead) return { intervalS: Math.round(hi), reason: 'dead' };

  if (i.outcome === 'failed') {
    const n = Math.max(1, i.failedPolls ?? 1);
    let s = i.baseS * 2 ** Math.min(n - 1, 40);
    let reason: IntervalReason = 'failing';
    if (positive(i.retryAfterS) && i.retryAfterS > s) {
      s = i.retryAfterS;
      reason = 'retry-after';
    }
    return bounded(s, reason);
  }

  let s = i.baseS;
  let reason: IntervalReason = 'base';
  if (positive(i.itemsPerDay)) {
    const busy = (86_400 * ITEMS_PER_POLL) / i.itemsPerDay;
    if (busy < s) {
      s = busy;
      reason = 'busy';
    }
  }
  const listed = i.listedItems ?? 0;
  if (i.outcome === 'fetched' && !i.firstFetch && listed > 0 && (i.newItems ?? 0) >= listed && positive(i.previousIntervalS) && i.previousIntervalS / 2 < s) {
    s = i.previousIntervalS / 2;
    reason = 'overflow';
  }
  const unchanged = Math.max(0, i.unchangedPolls ?? 0);
  if (unchanged > 0) {
    s *= UNCHANGED_FACTOR ** Math.min(unchanged, 40);
    reason = 'unchanged';
  }
  // the publisher's own refresh hints: never sooner than they ask
  for (const [hint, why] of [
    [i.ttlS, 'feed-ttl'],
    [i.updatePeriodS, 'feed-ttl'],
    [i.maxAgeS, 'http-cache'],
  ] as const) {
    if (positive(hint) && hint > s) {
      s = hint;
      reason = why;
    }
  }
  return bounded(s, reason);
}

// ---------------------------------------------------------------------------------------------
// what feeds and servers say about refreshing

/** RSS 2.0 `<ttl>`: whole minutes → seconds; anything else (empty, negative, words) → undefined. */
export function parseRssTtl(text: string | undefined): number | undefined {
  const m = /^\s*(\d{1,9})\s*$/.exec(text ?? '');
  if (!m) return undefined;
  const minutes = Number(m[1]);
  return minutes > 0 ? minutes * 60 : undefined;
}

const SY_PERIODS: Record<string, number> = { hourly: 3600, daily: 86_400, weekly: 7 * 86_400, monthly: 30 * 86_400, yearly: 365 * 86_400 };

/**
 * RSS 1.0 Syndication module (also found in RSS 2.0 and Atom feeds): `<sy:updatePeriod>` (hourly,
 * daily — the default —, weekly, monthly, yearly) updated `<sy:updateFrequency>` times (default 1)
 * → seconds between updates. Undefined when neither is given or a value is not understood.
 */
export function parseSyndicationPeriod(period: string | undefined, frequency: string | undefined): number | undefined {
  const p = period?.trim().toLowerCase();
  const f = frequency?.trim();
  if (!p && !f) return undefined;
  const unit = SY_PERIODS[p || 'daily'];
  if (unit === undefined) return undefined;
  let times = 1;
  if (f) {
    if (!/^\d{1,9}$/.test(f) || Number(f) < 1) return undefined;
    times = Number(f);
  }
  return unit / times;
}

/** The response headers that say how long it stays fresh (lower-case names as pipeline/http.ts gives them). */
export interface HttpCacheHeaders {
  cacheControl?: string;
  expires?: string;
  date?: string;
  age?: string;
}

/** The caching headers of a response, picked from its (lower-cased) headers; undefined without Cache-Control or Expires. */
export function cacheHeadersOf(headers: Record<string, string>): HttpCacheHeaders | undefined {
  if (!headers['cache-control'] && !headers.expires) return undefined;
  const out: HttpCacheHeaders = {};
  if (headers['cache-control']) out.cacheControl = headers['cache-control'];
  if (headers.expires) out.expires = headers.expires;
  if (headers.date) out.date = headers.date;
  if (headers.age) out.age = headers.age;
  return out;
}

/**
 * Seconds a response stays fresh for us, a private cache (RFC 9111 §4.2.1): `no-store` / `no-cache`
 * → 0; else `max-age` (s-maxage is for shared caches) minus `Age`; else `Expires` minus `Date`
 * (minus `now` without a Date; an unparseable Expires means already expired). Undefined when the
 * server says nothing.
 */
export function httpFreshnessSeconds(h: HttpCacheHeaders, now: Date): number | undefined {
  const directives = new Map<string, string | undefined>();
  for (const part of (h.cacheControl ?? '').split(',')) {
    const m = /^\s*([A-Za-z-]+)\s*(?:=\s*"?([^",]*)"?)?\s*$/.exec(part);
    if (m) directives.set(m[1]!.toLowerCase(), m[2]);
  }
  const age = /^\s*\d+\s*$/.test(h.age ?? '') ? Number(h.age) : 0;
  if (directives.has('no-store') || directives.has('no-cache')) return 0;
  const maxAge = directives.get('max-age');
  if (maxAge !== undefined && /^\d+$/.test(maxAge.trim())) return Math.max(0, Number(maxAge) - age);
  if (h.expires === undefined) return undefined;
  const expires = Date.parse(h.expires);
  if (Number.isNaN(expires)) return 0;
  const date = h.date === undefined ? Number.NaN : Date.parse(h.date);
  const reference = Number.isNaN(date) ? now.getTime() : date;
  return Math.max(0, Math.round((expires - reference) / 1000) - age);
}
