// The commit log of the dedupe index (pipeline/dedupe-store.ts): what a commit records, and
// which commits a decision taken without the lock must be taken again for.
import { describe, expect, it } from 'vitest';
import { decodeCommitEntry, emptyReadSet, encodeCommitEntry, slotOf, touches, type CommitEntry, type ReadSet } from '../../pipeline/dedupe-store.ts';

const reads = (over: Partial<{ slots: number[]; records: number[]; stories: string[] }>): ReadSet => {
  const r = emptyReadSet();
  for (const s of over.slots ?? []) r.slots.add(s);
  for (const n of over.records ?? []) r.records.add(n);
  for (const id of over.stories ?? []) r.stories.add(id);
  return r;
};

describe('commit entries', () => {
  it.each<[string, CommitEntry]>([
    ['a new story', { n: 1, replaces: null, storyId: 'a1b2c3', slots: [0, 7, 0x7fffffff] }],
    ['an update', { n: 4_000_000_000, replaces: 3_999_999_999, storyId: 'ünïcode-id', slots: [] }],
    ['a duplicate', { n: 42, replaces: null, storyId: 'x', slots: Array.from({ length: 60 }, (_, i) => i * 1_000_003) }],
  ])('round-trips %s', (_name, e) => {
    expect(decodeCommitEntry(encodeCommitEntry(e))).toEqual(e);
  });

  it('tells hashes apart by bucket and check, as a posting lookup does', () => {
    expect(slotOf(0x12345678)).toBe(slotOf(0x12345678));
    expect(slotOf(0x12345678)).toBe(slotOf(0x12355678)); // same top 15 bits and low 16 bits
    expect(slotOf(0x12345678)).not.toBe(slotOf(0x12345679));
    expect(slotOf(0x12345678)).not.toBe(slotOf(0x92345678));
    expect(slotOf(0xffffffff)).toBeLessThan(2 ** 31);
  });
});

describe('touches: a commit made while a decision was taken', () => {
  const entry: CommitEntry = { n: 10, replaces: 7, storyId: 'story-a', slots: [100, 200, 300] };
  it.each<[string, ReadSet, boolean]>([
    ['nothing read', emptyReadSet(), false],
    ['other slots, records and stories', reads({ slots: [101, 301], records: [8, 9], stories: ['story-b'] }), false],
    ['a slot it posted to', reads({ slots: [1, 300] }), true],
    ['the record it replaced', reads({ records: [7] }), true],
    ['the story it wrote', reads({ stories: ['story-a'] }), true],
    ['its own number (read before it existed: cannot be), nothing else', reads({ records: [10] }), false],
  ])('%s → %s', (_name, r, expected) => {
    expect(touches(entry, r)).toBe(expected);
  });

  it('a new story (nothing replaced) touches only through its slots and its own id', () => {
    const fresh: CommitEntry = { n: 11, replaces: null, storyId: 'new', slots: [5] };
    expect(touches(fresh, reads({ records: [0, 11] }))).toBe(false);
    expect(touches(fresh, reads({ stories: ['new'] }))).toBe(true);
    expect(touches(fresh, reads({ slots: [5] }))).toBe(true);
  });
});
