// matchingPostings: what a posting lookup finds in the buckets it read (RedisDedupeStore.postings).
import { describe, expect, it } from 'vitest';
import { POSTING_BYTES, matchingPostings } from '../../pipeline/dedupe-store.ts';

/** A bucket of [check, article number] postings, in commit order. */
function bucket(postings: Array<[number, number]>): Buffer {
  const b = Buffer.alloc(postings.length * POSTING_BYTES);
  postings.forEach(([c, n], i) => {
    b.writeUInt16BE(c, i * POSTING_BYTES);
    b.writeUInt32BE(n, i * POSTING_BYTES + 2);
  });
  return b;
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
    { name: 'numbers past 2^31 come back unsigned', buckets: [bucket([[C, 0xfffffffe]])], limit: 10, want: [0xfffffffe] },
  ];
  it.each(cases)('$name', ({ buckets, limit, want }) => {
    expect(matchingPostings(buckets, C, limit)).toEqual(want);
  });
});
