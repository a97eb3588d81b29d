// Adaptive polling's pure parts: the next-interval function (table cases and bounds over many
// generated inputs), the feed's own refresh hints (<ttl>, <sy:updatePeriod>) as parseFeed reads
// them, and HTTP freshness (Cache-Control, Expires, Age).
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/load.ts';
import { parseFeed } from '../../pipeline/fetch-feed.ts';
import {
  cacheHeadersOf,
  httpFreshnessSeconds,
  nextPollInterval,
  parseRssTtl,
  parseSyndicationPeriod,
  pollBounds,
  pollTickSeconds,
  type IntervalInput,
} from '../../pipeline/poll-schedule.ts';

// base 15 min, bounds 5 min – 6 h (the defaults)
const B = { baseS: 900, minS: 300, maxS: 21_600 } as const;
const ok = (extra: Partial<IntervalInput> = {}): IntervalInput => ({ ...B, outcome: 'fetched', listedItems: 10, newItems: 2, unchangedPolls: 0, ...extra });
const fail = (failedPolls: number, extra: Partial<IntervalInput> = {}): IntervalInput => ({ ...B, outcome: 'failed', failedPolls, ...extra });
const notModified = (unchangedPolls: number, extra: Partial<IntervalInput> = {}): IntervalInput => ({ ...B, outcome: 'not-modified', unchangedPolls, ...extra });

describe('nextPollInterval', () => {
  it.each<[string, IntervalInput, number, string]>([
    ['new items, nothing else known: the base', ok(), 900, 'base'],
    // the feed's own TTL and the syndication module are floors
    ['RSS <ttl> 60 min', ok({ ttlS: 3600 }), 3600, 'feed-ttl'],
    ['a TTL shorter than the base changes nothing', ok({ ttlS: 60 }), 900, 'base'],
    ['a TTL of a day stops at the max', ok({ ttlS: 86_400 }), 21_600, 'feed-ttl'],
    ['sy:updatePeriod hourly ×2', ok({ updatePeriodS: 1800 }), 1800, 'feed-ttl'],
    ['the larger of <ttl> and sy:updatePeriod', ok({ ttlS: 1200, updatePeriodS: 2400 }), 2400, 'feed-ttl'],
    // HTTP freshness
    ['Cache-Control max-age 2 h', ok({ maxAgeS: 7200 }), 7200, 'http-cache'],
    ['max-age 0 changes nothing', ok({ maxAgeS: 0 }), 900, 'base'],
    ['max-age beyond the max is cut to it', ok({ maxAgeS: 10 * 86_400 }), 21_600, 'http-cache'],
    ['a 304 carrying max-age', notModified(1, { maxAgeS: 3600 }), 3600, 'http-cache'],
    // 304 / nothing new streaks
    ['one 304', notModified(1), 1350, 'unchanged'],
    ['two 304s in a row', notModified(2), 2025, 'unchanged'],
    ['three 304s in a row', notModified(3), 3038, 'unchanged'],
    ['a long 304 streak stops at the max', notModified(20), 21_600, 'unchanged'],
    ['fetched but nothing new counts as unchanged', ok({ newItems: 0, unchangedPolls: 1 }), 1350, 'unchanged'],
    ['news after a streak: back to the base', ok({ unchangedPolls: 0, previousIntervalS: 21_600 }), 900, 'base'],
    ['a TTL above the stretched interval still wins', notModified(1, { ttlS: 3600 }), 3600, 'feed-ttl'],
    // failure streaks: exponential backoff from the base, capped at the max
    ['first failed poll', fail(1), 900, 'failing'],
    ['second failed poll in a row', fail(2), 1800, 'failing'],
    ['third', fail(3), 3600, 'failing'],
    ['fifth', fail(5), 14_400, 'failing'],
    ['sixth: capped at the max', fail(6), 21_600, 'failing'],
    ['fiftieth: still the max', fail(50), 21_600, 'failing'],
    ['failures ignore the feed TTL and max-age', fail(1, { ttlS: 7200, maxAgeS: 7200 }), 900, 'failing'],
    // Retry-After (429/503)
    ['Retry-After 2 h on the first failure', fail(1, { retryAfterS: 7200 }), 7200, 'retry-after'],
    ['a Retry-After shorter than the backoff', fail(3, { retryAfterS: 60 }), 3600, 'failing'],
    ['a Retry-After beyond the max is cut to it', fail(1, { retryAfterS: 3 * 86_400 }), 21_600, 'retry-after'],
    // dead feeds: the max, whatever else
    ['dead', fail(9, { dead: true }), 21_600, 'dead'],
    ['dead, with a short Retry-After', fail(9, { dead: true, retryAfterS: 10 }), 21_600, 'dead'],
    // busy feeds shorten toward the min
    ['432 items/day → 10 min', ok({ itemsPerDay: 432 }), 600, 'busy'],
    ['960 items/day → 270 s, held at the min', ok({ itemsPerDay: 960 }), 300, 'busy'],
    ['100 000 items/day: still the min', ok({ itemsPerDay: 100_000 }), 300, 'busy'],
    ['100 items/day is not busy for a 15 min base', ok({ itemsPerDay: 100 }), 900, 'base'],
    ['busy, but the feed asks for 30 min', ok({ itemsPerDay: 960, ttlS: 1800 }), 1800, 'feed-ttl'],
    ['busy, with one 304', notModified(1, { itemsPerDay: 432 }), 900, 'unchanged'],
    // every listed item new: some may have scrolled off unseen
    ['overflow halves the previous interval', ok({ listedItems: 10, newItems: 10, previousIntervalS: 900 }), 450, 'overflow'],
    ['overflow at the min stays at the min', ok({ listedItems: 10, newItems: 10, previousIntervalS: 300 }), 300, 'overflow'],
    ['the first fetch is all new by definition', ok({ listedItems: 10, newItems: 10, firstFetch: true, previousIntervalS: 900 }), 900, 'base'],
    // a feed configured outside MIN..MAX keeps its own interval reachable
    ['configured 60 s (below MIN): its own min', { ...ok({ itemsPerDay: 100_000 }), baseS: 60 }, 60, 'busy'],
    ['configured 1 day (above MAX): backoff stops at its own base', { ...fail(3), baseS: 86_400 }, 86_400, 'failing'],
    ['configured 1 day, one 304', { ...notModified(1), baseS: 86_400 }, 86_400, 'unchanged'],
  ])('%s', (_, input, intervalS, reason) => {
    expect(nextPollInterval(input)).toEqual({ intervalS, reason });
  });

  it('stays within [min(MIN, base), max(MAX, base)] for any input', () => {
    // a small deterministic generator (LCG): the same 5,000 inputs every run
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const maybe = (v: number): number | undefined => (rand() < 0.5 ? undefined : v);
    for (let n = 0; n < 5000; n++) {
      const baseS = pick([30, 60, 300, 900, 3600, 86_400, 7 * 86_400]);
      const minS = pick([30, 60, 300, 900]);
      const maxS = pick([600, 3600, 21_600, 86_400]);
      const listed = Math.floor(rand() * 50);
      const input: IntervalInput = {
        baseS,
        minS,
        maxS,
        outcome: pick(['fetched', 'not-modified', 'failed'] as const),
        dead: rand() < 0.1,
        failedPolls: Math.floor(rand() * 60),
        unchangedPolls: Math.floor(rand() * 60),
        listedItems: listed,
        newItems: Math.floor(rand() * (listed + 1)),
        firstFetch: rand() < 0.2,
        previousIntervalS: maybe(rand() * 100_000),
        itemsPerDay: maybe(rand() < 0.5 ? rand() * 10 : rand() * 100_000),
        ttlS: maybe(rand() * 200_000),
        updatePeriodS: maybe(rand() * 200_000),
        maxAgeS: maybe(rand() * 200_000),
        retryAfterS: maybe(rand() * 200_000),
      };
      const { minS: lo, maxS: hi } = pollBounds(baseS, { minIntervalS: minS, maxIntervalS: maxS });
      const { intervalS } = nextPollInterval(input);
      expect(Number.isInteger(intervalS)).toBe(true);
      expect(intervalS, JSON.stringify(input)).toBeGreaterThanOrEqual(Math.round(lo));
      expect(intervalS, JSON.stringify(input)).toBeLessThanOrEqual(Math.round(hi));
      if (input.dead) expect(intervalS).toBe(hi);
    }
  });
});

describe('bounds and the scheduler tick', () => {
  it.each([
    [900, 300, 21_600, 300, 21_600],
    [3600, 300, 21_600, 300, 21_600],
    [60, 300, 21_600, 60, 21_600],
    [86_400, 300, 21_600, 300, 86_400],
  ])('base %i s with MIN %i, MAX %i → [%i, %i], ticking at the lower bound', (base, min, max, lo, hi) => {
    expect(pollBounds(base, { minIntervalS: min, maxIntervalS: max })).toEqual({ minS: lo, maxS: hi });
    expect(pollTickSeconds(base, { minIntervalS: min, maxIntervalS: max })).toBe(lo);
  });
});

describe('configuration of adaptive polling', () => {
  it('defaults: 5 min, 6 h, flagged after 24 h', () => {
    expect(loadConfig({ env: {}, feeds: [] }).settings.polling).toEqual({ minIntervalS: 300, maxIntervalS: 21_600, deadAfterHours: 24 });
  });
  it('reads the environment', () => {
    const env = { FEEDSIFT_POLL_MIN_INTERVAL_S: '60', FEEDSIFT_POLL_MAX_INTERVAL_S: '86400', FEEDSIFT_FEED_DEAD_AFTER_HOURS: '72' };
    expect(loadConfig({ env, feeds: [] }).settings.polling).toEqual({ minIntervalS: 60, maxIntervalS: 86_400, deadAfterHours: 72 });
  });
  it('refuses a minimum above the maximum, and values out of range', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ env, feeds: [] });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.reason}`);
        throw err;
      }
      return [];
    };
    expect(problems({ FEEDSIFT_POLL_MIN_INTERVAL_S: '3600', FEEDSIFT_POLL_MAX_INTERVAL_S: '600' })).toEqual([
      'FEEDSIFT_POLL_MIN_INTERVAL_S: 3600 is above FEEDSIFT_POLL_MAX_INTERVAL_S (600)',
    ]);
    expect(problems({ FEEDSIFT_POLL_MIN_INTERVAL_S: '5' })).toHaveLength(1);
    expect(problems({ FEEDSIFT_FEED_DEAD_AFTER_HOURS: '0' })).toHaveLength(1);
  });
});

describe('the feed’s own refresh hints', () => {
  it.each<[string | undefined, number | undefined]>([
    ['60', 3600],
    [' 15 ', 900],
    ['1', 60],
    ['0', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['sixty', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('<ttl>%s</ttl> → %s s', (text, seconds) => {
    expect(parseRssTtl(text)).toBe(seconds);
  });

  it.each<[string | undefined, string | undefined, number | undefined]>([
    ['hourly', undefined, 3600],
    ['hourly', '2', 1800],
    ['daily', undefined, 86_400],
    [undefined, '4', 21_600], // the period defaults to daily
    [' Weekly ', '1', 7 * 86_400],
    ['monthly', '1', 30 * 86_400],
    ['yearly', '1', 365 * 86_400],
    ['fortnightly', '1', undefined],
    ['daily', '0', undefined],
    ['daily', 'often', undefined],
    [undefined, undefined, undefined],
  ])('sy:updatePeriod %s, sy:updateFrequency %s → %s s', (period, frequency, seconds) => {
    expect(parseSyndicationPeriod(period, frequency)).toBe(seconds);
  });

  const SY = 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"';
  it.each<[string, string, number | undefined, number | undefined]>([
    ['RSS 2.0 <ttl>', `<rss version="2.0"><channel><title>T</title><ttl>30</ttl><item><link>https://a.example/1</link></item></channel></rss>`, 1800, undefined],
    [
      'RSS 2.0 with both',
      `<rss version="2.0" ${SY}><channel><title>T</title><ttl>10</ttl><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel></rss>`,
      600,
      1800,
    ],
    [
      'RSS 1.0 (RDF) syndication module',
      `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" ${SY}><channel rdf:about="https://r.example/"><title>R</title><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency></channel></rdf:RDF>`,
      undefined,
      21_600,
    ],
    ['Atom with the syndication module', `<feed xmlns="http://www.w3.org/2005/Atom" ${SY}><title>A</title><sy:updatePeriod>weekly</sy:updatePeriod></feed>`, undefined, 7 * 86_400],
    ['a broken feed read leniently keeps its <TTL>', `<rss version="2.0"><channel><title>T</title><TTL>45</TTL><item><link>https://a.example/1</link></item></channel></rss`, 2700, undefined],
    ['no hints', `<rss version="2.0"><channel><title>T</title><ttl>soon</ttl></channel></rss>`, undefined, undefined],
    ['JSON Feed has none', `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[]}`, undefined, undefined],
  ])('%s', (_, text, ttlSeconds, updatePeriodSeconds) => {
    const feed = parseFeed(text, { url: 'https://feeds.example/f' });
    expect(feed.ttlSeconds).toBe(ttlSeconds);
    expect(feed.updatePeriodSeconds).toBe(updatePeriodSeconds);
  });
});

describe('HTTP freshness', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  it.each<[string, Record<string, string>, number | undefined]>([
    ['max-age', { 'cache-control': 'max-age=600' }, 600],
    ['max-age minus Age', { 'cache-control': 'public, max-age=600', age: '100' }, 500],
    ['Age beyond max-age: stale', { 'cache-control': 'max-age=60', age: '100' }, 0],
    ['a quoted max-age', { 'cache-control': 'max-age="900"' }, 900],
    ['no-cache', { 'cache-control': 'no-cache, max-age=600' }, 0],
    ['no-store', { 'cache-control': 'no-store' }, 0],
    ['s-maxage is for shared caches', { 'cache-control': 's-maxage=600' }, undefined],
    ['Expires minus Date', { expires: 'Sun, 01 Mar 2026 13:00:00 GMT', date: 'Sun, 01 Mar 2026 11:00:00 GMT' }, 7200],
    ['Expires minus now without a Date', { expires: 'Sun, 01 Mar 2026 13:00:00 GMT' }, 3600],
    ['Expires in the past', { expires: 'Sun, 01 Mar 2026 10:00:00 GMT', date: 'Sun, 01 Mar 2026 12:00:00 GMT' }, 0],
    ['Expires: 0 (already expired)', { expires: '0' }, 0],
    ['max-age wins over Expires', { 'cache-control': 'max-age=60', expires: 'Sun, 01 Mar 2026 13:00:00 GMT', date: 'Sun, 01 Mar 2026 12:00:00 GMT' }, 60],
    ['Cache-Control without max-age falls back to Expires', { 'cache-control': 'public', expires: 'Sun, 01 Mar 2026 12:30:00 GMT' }, 1800],
  ])('%s', (_, headers, seconds) => {
    const cache = cacheHeadersOf(headers);
    expect(cache).toBeDefined();
    expect(httpFreshnessSeconds(cache!, now)).toBe(seconds);
  });

  it('a response without Cache-Control or Expires has no caching headers', () => {
    expect(cacheHeadersOf({ date: 'Sun, 01 Mar 2026 12:00:00 GMT', 'content-type': 'application/rss+xml' })).toBeUndefined();
  });
});
