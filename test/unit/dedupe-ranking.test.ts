// Ranking (dedupe-index.ts): candidates handed out in the order a stable sort by score gives.
import { describe, expect, it } from 'vitest';
import { Ranking } from '../../pipeline/dedupe-index.ts';
import { rng } from '../../bench/lib/synthetic-stream.ts';

/** What the decision did before Ranking: sort every hit (stable: ties in first-hit order). */
function sorted(hits: Map<number, number>): number[] {
  return [...hits].sort((a, b) => b[1] - a[1]).map(([n]) => n);
}

/** Everything, taken in batches of the sizes given (the last size repeated). */
function drain(hits: Map<number, number>, sizes: number[]): number[] {
  const r = new Ranking(hits);
  const out: number[] = [];
  for (let j = 0; ; j++) {
    const batch = r.next(sizes[Math.min(j, sizes.length - 1)]!);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

describe('Ranking', () => {
  const cases: Array<{ name: string; hits: Array<[number, number]>; sizes: number[]; want: number[] }> = [
    { name: 'no hits', hits: [], sizes: [3], want: [] },
    { name: 'highest score first', hits: [[7, 1], [8, 3], [9, 2]], sizes: [5], want: [8, 9, 7] },
    { name: 'ties in first-hit order', hits: [[7, 2], [8, 1], [9, 2], [10, 2]], sizes: [5], want: [7, 9, 10, 8] },
    { name: 'a tie cut across batches', hits: [[7, 2], [8, 1], [9, 2], [10, 2]], sizes: [2, 1], want: [7, 9, 10, 8] },
    { name: 'one at a time', hits: [[1, 0.5], [2, 0.5], [3, 4], [4, 0.5], [5, 4]], sizes: [1], want: [3, 5, 1, 2, 4] },
  ];
  it.each(cases)('$name', ({ hits, sizes, want }) => {
    expect(drain(new Map(hits), sizes)).toEqual(want);
  });

  it('gives nothing for k ≤ 0, and then still the whole ranking', () => {
    const r = new Ranking(new Map([[1, 1], [2, 2]]));
    expect(r.next(0)).toEqual([]);
    expect(r.next(-3)).toEqual([]);
    expect(r.next(5)).toEqual([2, 1]);
    expect(r.next(5)).toEqual([]);
  });

  it('hands out what the full stable sort gives, in any batch sizes, over maps with many ties', () => {
    const rnd = rng(7);
    for (let round = 0; round < 200; round++) {
      const hits = new Map<number, number>();
      const n = Math.floor(rnd() * 400);
      // scores as sums of a few idf-like weights: many exact ties, as the decision's are
      const weights = [0.5, 1.25, 2, 3.75];
      for (let h = 0; h < n * 3; h++) {
        const a = Math.floor(rnd() * (n + 1));
        hits.set(a, (hits.get(a) ?? 0) + weights[Math.floor(rnd() * weights.length)]!);
      }
      const sizes = [1 + Math.floor(rnd() * 60), 1 + Math.floor(rnd() * 10)];
      expect(drain(hits, sizes), `round ${round}, sizes ${sizes}`).toEqual(sorted(hits));
    }
  });
});
