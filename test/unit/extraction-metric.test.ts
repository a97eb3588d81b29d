// The benchmark metric on cases worked out by hand from upstream evaluate.py's definitions.
import { describe, expect, it } from 'vitest';
import { pageCounts, scoreExtraction } from '../../scripts/lib/extraction-metric.ts';

describe('pageCounts (4-token shingles, normalised to sum 1)', () => {
  it.each([
    // truth shingles [a b c d, b c d e]; prediction [a b c d]
    { name: 'prediction misses the tail', truth: 'a b c d e', predicted: 'a b c d', tp: 1 / 2, fp: 0, fn: 1 / 2 },
    { name: 'prediction adds a tail', truth: 'a b c d', predicted: 'a b c d e f', tp: 1 / 3, fp: 2 / 3, fn: 0 },
    // shingles with multiplicity: truth has "x y z w" twice and three others
    { name: 'multiplicity counts', truth: 'x y z w x y z w', predicted: 'x y z w', tp: 1 / 5, fp: 0, fn: 4 / 5 },
    { name: 'fewer than four tokens make one shingle', truth: 'Hello, world!', predicted: 'hello world', tp: 0, fp: 1 / 2, fn: 1 / 2 },
    { name: 'punctuation and spacing are not tokens', truth: 'Привет, мир! Это тест.', predicted: 'Привет мир\nЭто — тест', tp: 1, fp: 0, fn: 0 },
    // Python's \w excludes combining marks (category Mn): a decomposed é ends the token
    { name: 'combining marks split tokens', truth: 'cafe\u0301 au lait ici', predicted: 'cafe au lait ici', tp: 1, fp: 0, fn: 0 },
    { name: 'underscore and digits are word characters', truth: 'snake_case 2024 a b', predicted: 'snake case 2024 a b', tp: 0, fp: 2 / 3, fn: 1 / 3 },
    { name: 'empty prediction', truth: 'one two three four', predicted: '', tp: 0, fp: 0, fn: 1 },
    { name: 'both empty', truth: '', predicted: '  ', tp: 0, fp: 0, fn: 0 },
  ])('$name', ({ truth, predicted, tp, fp, fn }) => {
    const counts = pageCounts(truth, predicted);
    expect(counts.tp).toBeCloseTo(tp, 12);
    expect(counts.fp).toBeCloseTo(fp, 12);
    expect(counts.fn).toBeCloseTo(fn, 12);
  });
});

describe('scoreExtraction (means over pages, F1 of the means)', () => {
  it('a perfect page and an empty prediction: precision over one page, recall over two', () => {
    const s = scoreExtraction([
      { truth: 'a b c d e', predicted: 'a b c d e' },
      { truth: 'f g h i j', predicted: '' },
    ]);
    expect(s).toEqual({ precision: 1, recall: 0.5, f1: 2 / 3, pages: 2 });
  });

  it('pages where both texts are empty count for neither mean', () => {
    const s = scoreExtraction([
      { truth: 'a b c d e', predicted: 'a b c d' },
      { truth: '', predicted: '' },
    ]);
    expect(s.precision).toBe(1);
    expect(s.recall).toBeCloseTo(0.5, 12);
  });

  it('every page weighs the same whatever its length', () => {
    const long = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const s = scoreExtraction([
      { truth: long, predicted: long },
      { truth: 'a b c d e', predicted: 'a b c d e x y z q' },
    ]);
    // second page: tp 2, fp 4 → precision 1/3
    expect(s.precision).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(s.recall).toBe(1);
  });
});
