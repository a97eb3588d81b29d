// matchingPostings: what a posting lookup finds in the buckets it read (RedisDedupeStore.postings).
import { describe, expect, it } from 'vitest';
import { POSTING_BYTES, RING_TRAILER, matchingPostings } from '../../pipeline/dedupe-store.ts';

/** A bucket of [check, article number] postings, in commit order. */
function bucket(postings: Array<[number, number]>): Buffer {
  const b = Buffer.alloc(postings.length * POSTING_BYTES);
  postings.forEach(([c, n], i) => {
    b.writeUInt16BE(c, i * POSTING_BYTES);
    b.writeUInt32BE(n, i * POSTING_BYTES + 2);
  });
  return b;
}

/** A full bucket: the postings as they lie, and the trailer naming the oldest (index). */
function ring(postings: Array<[number, number]>, oldest: number): Buffer {
  const t = Buffer.alloc(RING_TRAILER);
  t.writeUInt16BE(oldest);
  return Buffer.concat([bucket(postings), t]);
}

const C = 0xbeef;

describe('matchingPostings', () => {
  const cases: Array<{ name: string; buckets: Array<Buffer | null>; limit: number; want: number[] }> = [
    { name: 'no bucket', buckets: [], limit: 10, want: [] },
    { name: 'missing buckets (null) and an empty one', buckets: [null, Buffer.alloc(0), null], limit: 10, want: [] },
    { name: 'newest first within a bucket', buckets: [bucket([[C, 1], [7, 2], [C, 3], [C, 4]])], limit: 10, want: [4, 3, 1] },
    { name: 'the limit keeps the newest', buckets: [bucket([[C, 1], [C, 2], [C, 3]])], limit: 2, want: [3, 2] },
    { name: 'limit 0 finds nothing', buckets: [bucket([[C, 1]])], limit: 0, want: [] },
    {
      name: 'buckets in the order given (newest epoch first), the limit across them',
      buckets: [bucket([[C, 10], [C, 11]]), null, bucket([[C, 1], [C, 2], [C, 3]])],
      limit: 4,
      want: [11, 10, 3, 2],
    },
    {
      // 0x00be 0xef00: the check's two bytes sit across a posting's number, not at a posting's start
      name: 'the check met inside an article number is not a posting of it',
      buckets: [bucket([[1, 0x00beef00], [2, 0xbeefbeef], [C, 5]])],
      limit: 10,
      want: [5],
    },
    { name: 'another check (same high byte) is not it', buckets: [bucket([[0xbe00, 1], [0x00ef, 2], [C, 3]])], limit: 10, want: [3] },
    { name: 'a ring: newest just before the oldest, going back round', buckets: [ring([[C, 5], [C, 6], [C, 3], [C, 4]], 2)], limit: 10, want: [6, 5, 4, 3] },
    { name: 'a ring whose oldest is first reads straight back', buckets: [ring([[C, 1], [C, 2], [C, 3]], 0)], limit: 10, want: [3, 2, 1] },
    { name: 'a ring whose oldest is last', buckets: [ring([[C, 2], [C, 3], [C, 1]], 2)], limit: 2, want: [3, 2] },
    { name: 'a ring then a bucket with room, the limit across them', buckets: [ring([[C, 9], [7, 7], [C, 8]], 1), bucket([[C, 1], [C, 2]])], limit: 3, want: [9, 8, 2] },
    { name: 'numbers past 2^31 come back unsigned', buckets: [bucket([[C, 0xfffffffe]])], limit: 10, want: [0xfffffffe] },
  ];
  it.each(cases)('$name', ({ buckets, limit, want }) => {
    expect(matchingPostings(buckets, C, limit)).toEqual(want);
  });
});
