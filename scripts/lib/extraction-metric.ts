// The article-extraction benchmark's metric, written from its description in ../shared/eval/README.md
// and the upstream evaluate.py (scrapinghub/article-extraction-benchmark, MIT): 4-token shingles
// of `\w+` tokens counted with multiplicity, per-page tp/fp/fn normalised to sum 1, precision and
// recall averaged over pages, F1 of the two means.

export interface PageCounts {
  tp: number;
  fp: number;
  fn: number;
}

export interface ExtractionScore {
  precision: number;
  recall: number;
  f1: number;
  pages: number;
}

function shingles(text: string): Map<string, number> {
  // Python's Unicode `\w`: letters, numbers and the underscore (combining marks are not word characters).
  const tokens = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  const counts = new Map<string, number>();
  // Texts shorter than a shingle count as one shingle of what they have.
  const n = Math.min(4, tokens.length);
  for (let i = 0; n > 0 && i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Normalised tp/fp/fn of one page (all zero when both texts are empty). */
export function pageCounts(truth: string, predicted: string): PageCounts {
  const t = shingles(truth);
  const p = shingles(predicted);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [k, ct] of t) {
    const cp = p.get(k) ?? 0;
    tp += Math.min(ct, cp);
    fn += Math.max(0, ct - cp);
  }
  for (const [k, cp] of p) fp += Math.max(0, cp - (t.get(k) ?? 0));
  const sum = tp + fp + fn;
  return sum ? { tp: tp / sum, fp: fp / sum, fn: fn / sum } : { tp: 0, fp: 0, fn: 0 };
}

/** Mean precision and recall over pages, F1 of the two means (the benchmark's definition). */
export function scoreExtraction(pairs: Array<{ truth: string; predicted: string }>): ExtractionScore {
  return scoreCounts(pairs.map(({ truth, predicted }) => pageCounts(truth, predicted)));
}

/** The same score from per-page counts already computed (pages where both texts are empty count for nothing). */
export function scoreCounts(counts: PageCounts[]): ExtractionScore {
  let pSum = 0;
  let pN = 0;
  let rSum = 0;
  let rN = 0;
  for (const { tp, fp, fn } of counts) {
    const perfect = fp === 0 && fn === 0;
    if (tp + fp > 0) {
      pSum += perfect ? 1 : tp / (tp + fp);
      pN++;
    }
    if (tp + fn > 0) {
      rSum += perfect ? 1 : tp / (tp + fn);
      rN++;
    }
  }
  const precision = pN ? pSum / pN : 0;
  const recall = rN ? rSum / rN : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, pages: counts.length };
}
