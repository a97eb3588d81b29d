// The pure parts of the HTTP endpoint: how the stats hash becomes counter families, and who may
// open the dashboard.
import { describe, expect, it } from 'vitest';
import { uiAccess, uiSessionValue, UI_COOKIE } from '../../workers/http-server.ts';
import { outcomeSamples } from '../../workers/metrics.ts';

describe('outcomeSamples', () => {
  it('maps every field of the stats hash to its family and labels', () => {
    const o = outcomeSamples({
      'feeds.polled': 9,
      'feeds.not-modified': 2,
      'feeds.skipped': 7,
      'feeds.failed': 3,
      'feeds.failed.DNS_NOT_FOUND': 1,
      'feeds.failed.HTTP_RETRYABLE_STATUS': 2,
      'items.new': 30,
      'items.seen': 5,
      'articles.processed': 27,
      'articles.dropped.too-short': 1,
      'articles.filtered.min-words': 1,
      'articles.filtered.language': 2,
      'articles.failed': 1,
      'articles.failed.HTTP_STATUS': 1,
      'dedupe.failed.LOCK_TIMEOUT': 2,
      stories: 23,
      duplicates: 4,
      'removed.blocks': 12,
      'dedupe.retaken': 3,
      'dedupe.confirmed': 5,
    });
    expect(o.articles).toEqual([
      { labels: { outcome: 'story' }, value: 23 },
      { labels: { outcome: 'duplicate' }, value: 4 },
      { labels: { outcome: 'update' }, value: 0 },
      { labels: { outcome: 'filtered', reason: 'language' }, value: 2 },
      { labels: { outcome: 'filtered', reason: 'min-words' }, value: 1 },
      { labels: { outcome: 'failed', reason: 'HTTP_STATUS' }, value: 1 },
      { labels: { outcome: 'failed_dedupe', reason: 'LOCK_TIMEOUT' }, value: 2 },
    ]);
    expect(o.polls).toEqual([
      { labels: { outcome: 'fetched' }, value: 9 },
      { labels: { outcome: 'not_modified' }, value: 2 },
      { labels: { outcome: 'skipped' }, value: 7 },
      { labels: { outcome: 'failed', reason: 'DNS_NOT_FOUND' }, value: 1 },
      { labels: { outcome: 'failed', reason: 'HTTP_RETRYABLE_STATUS' }, value: 2 },
    ]);
    expect(o.items).toEqual([
      { labels: { state: 'new' }, value: 30 },
      { labels: { state: 'seen' }, value: 5 },
    ]);
    expect(o.processed).toBe(27);
    expect(o.removedBlocks).toBe(12);
    expect(o.retaken).toBe(3);
    expect(o.confirmed).toBe(5);
  });

  it('gives zeros for an empty hash (a fresh prefix) and ignores a bare prefix or a bad number', () => {
    const o = outcomeSamples({ 'articles.failed.': 3, stories: Number.NaN });
    expect(o.articles.map((s) => s.value)).toEqual([0, 0, 0]);
    expect(o.polls).toHaveLength(3);
    expect(o.processed).toBe(0);
    expect(o.retaken).toBe(0);
    expect(o.confirmed).toBe(0);
  });
});

describe('uiAccess', () => {
  const token = 'a-token-of-sixteen-or-more';
  const url = (q = ''): URL => new URL(`http://x/ui${q}`);

  it('lets everyone in when no token is configured', () => {
    expect(uiAccess({ headers: {} }, url(), undefined)).toBe('ok');
  });

  it('takes the token as a bearer header', () => {
    expect(uiAccess({ headers: { authorization: `Bearer ${token}` } }, url(), token)).toBe('ok');
    expect(uiAccess({ headers: { authorization: `bearer ${token}` } }, url(), token)).toBe('ok');
    expect(uiAccess({ headers: { authorization: 'Bearer wrong-token-wrong-token' } }, url(), token)).toBe('denied');
    expect(uiAccess({ headers: { authorization: `Basic ${token}` } }, url(), token)).toBe('denied');
  });

  it('takes the token once in the query (a login), then the cookie', () => {
    expect(uiAccess({ headers: {} }, url(`?token=${token}`), token)).toBe('login');
    expect(uiAccess({ headers: {} }, url('?token=nope'), token)).toBe('denied');
    expect(uiAccess({ headers: { cookie: `other=1; ${UI_COOKIE}=${uiSessionValue(token)}` } }, url(), token)).toBe('ok');
    // the cookie holds an HMAC of the token, not the token; another token's cookie does not open
    expect(uiSessionValue(token)).not.toContain(token);
    expect(uiAccess({ headers: { cookie: `${UI_COOKIE}=${token}` } }, url(), token)).toBe('denied');
    expect(uiAccess({ headers: { cookie: `${UI_COOKIE}=${uiSessionValue('another-token-entirely')}` } }, url(), token)).toBe('denied');
  });

  it('denies a request without any credential', () => {
    expect(uiAccess({ headers: {} }, url(), token)).toBe('denied');
    expect(uiAccess({ headers: { cookie: 'feedsift_other=1' } }, url(), token)).toBe('denied');
  });
});
