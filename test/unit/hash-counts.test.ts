import { describe, expect, it } from 'vitest';
import { ABSENT, HashCounts } from '../../pipeline/hash-counts.ts';

describe('HashCounts', () => {
  it.each([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, -1])('keeps hash %i as its unsigned 32-bit value', (h) => {
    const m = new HashCounts();
    expect(m.get(h)).toBe(ABSENT);
    expect(m.countOf(h)).toBe(0);
    expect(m.has(h)).toBe(false);
    m.set(h, 7);
    expect(m.get(h)).toBe(7);
    expect(m.countOf(h)).toBe(7);
    expect(m.get(h >>> 0)).toBe(7);
    expect(m.size).toBe(1);
    m.add(h, 3);
    expect(m.get(h)).toBe(10);
    expect([...m.entries()]).toEqual([[h >>> 0, 10]]);
  });

  it('holds what a Map holds through many growths, zero counts included', () => {
    const m = new HashCounts();
    const ref = new Map<number, number>();
    // hashes that share low bits and high bits, and sequential ones: any slot function is tried
    for (let i = 0; i < 50_000; i++) {
      const h = i % 3 === 0 ? (i << 16) >>> 0 : i % 3 === 1 ? i : (Math.imul(i, 0x9e3779b1) >>> 0);
      const n = i % 7;
      m.set(h, n);
      ref.set(h, n);
    }
    for (let i = 0; i < 1000; i++) {
      m.add(i, 2);
      ref.set(i, (ref.get(i) ?? 0) + 2);
    }
    expect(m.size).toBe(ref.size);
    for (const [h, n] of ref) expect(m.get(h)).toBe(n);
    expect(new Map(m.entries())).toEqual(ref);
    for (const h of [123_456_789, 0xdeadbeef, 4_000_000_000]) if (!ref.has(h)) expect(m.get(h)).toBe(ABSENT);
  });

  it.each([-1, Number.NaN])('refuses the count %d', (n) => {
    expect(() => new HashCounts().set(1, n)).toThrow(RangeError);
  });
});
