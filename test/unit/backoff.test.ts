// The retry delay: exponential from the base, spread ±20 % by jitter; a server's Retry-After is a floor.
import { describe, expect, it } from 'vitest';
import { BACKOFF_JITTER, backoffStrategy, type RetryHint } from '../../workers/adapter.ts';

const hinted = (ms: number): RetryHint => Object.assign(new Error('[HTTP_RETRYABLE_STATUS] fetch-page: HTTP 429'), { retryAfterMs: ms });

describe('backoffStrategy', () => {
  it.each([
    // attemptsMade, nominal delay for base 1000
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [5, 16_000],
  ])('attempt %i: within ±20 %% of %i ms, reaching both ends', (attempts, nominal) => {
    expect(backoffStrategy(1000, () => 0)(attempts)).toBe(nominal * (1 - BACKOFF_JITTER));
    expect(backoffStrategy(1000, () => 0.5)(attempts)).toBe(nominal);
    expect(backoffStrategy(1000, () => 0.999_999)(attempts)).toBeCloseTo(nominal * (1 + BACKOFF_JITTER), -1);
  });

  it('spreads real random delays over the whole band, never outside it', () => {
    const strategy = backoffStrategy(1000);
    const delays = Array.from({ length: 2000 }, () => strategy(3));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(3200);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4800);
    // jitter: the delays are not all the same, and both halves of the band are used
    expect(delays.some((d) => d < 3600)).toBe(true);
    expect(delays.some((d) => d > 4400)).toBe(true);
  });

  it.each([
    [0, 0, 0],
    [5000, 0, 5000],
    [5000, 0.999_999, 6000],
    [7_200_000, 0, 3_600_000],
    [-10, 0.5, 0],
  ])('Retry-After %i ms (random %f) → %i ms: never shorter than the server asked, capped at 1 h', (retryAfter, r, expected) => {
    expect(backoffStrategy(1000, () => r)(1, 'feedsift', hinted(retryAfter))).toBeCloseTo(expected, -1);
  });
});
