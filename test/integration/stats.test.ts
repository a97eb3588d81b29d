// The outcome counters (workers/stats.ts) on real Redis: global and per-run hashes, counted
// together in one transaction, the run's hash expiring after a week.
import { afterAll, describe, expect, it } from 'vitest';
import { countOutcome, countOutcomes, readStats, statsKey } from '../../workers/stats.ts';
import { deletePrefix, newRedis, uniquePrefix } from '../helpers/redis.ts';

const redis = newRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  redis.disconnect();
});

function fresh(): string {
  const p = uniquePrefix();
  prefixes.push(p);
  return p;
}

describe('outcome counters', () => {
  it.each([
    { name: 'one outcome', outcomes: [['stories', 1]] as const, expected: { stories: 1 } },
    { name: 'several, one of them by more than one', outcomes: [['duplicates', 1], ['removed.blocks', 7]] as const, expected: { duplicates: 1, 'removed.blocks': 7 } },
    { name: 'a count of zero (the field exists, at 0)', outcomes: [['feeds.polled', 1], ['items.new', 0], ['items.seen', 3]] as const, expected: { 'feeds.polled': 1, 'items.new': 0, 'items.seen': 3 } },
  ])('counts $name in the global and the run hash alike', async ({ outcomes, expected }) => {
    const prefix = fresh();
    await countOutcomes(redis, prefix, 'run-1', outcomes);
    expect(await readStats(redis, prefix)).toEqual(expected);
    expect(await readStats(redis, prefix, 'run-1')).toEqual(expected);
    const ttl = await redis.ttl(statsKey(prefix, 'run-1'));
    expect(ttl).toBeGreaterThan(7 * 86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 86_400);
    expect(await redis.ttl(statsKey(prefix))).toBe(-1);
  });

  it('adds to what is there, as countOutcome does one at a time; without a run only the global hash', async () => {
    const prefix = fresh();
    await countOutcome(redis, prefix, undefined, 'stories');
    await countOutcomes(redis, prefix, undefined, [['stories', 2], ['updates', 1]]);
    expect(await readStats(redis, prefix)).toEqual({ stories: 3, updates: 1 });
    expect(await redis.keys(`${prefix}:run:*`)).toEqual([]);
  });

  it('writes nothing for an empty list', async () => {
    const prefix = fresh();
    await countOutcomes(redis, prefix, 'run-2', []);
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });
});
