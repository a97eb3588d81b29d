// The dedupe CI gate: `npm run eval:dedupe`'s figures (same library, same data) may not drop
// below bench/dedupe-baseline.json, and the acceptance floors of the dedupe issue are asserted
// as such.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_FILE, evaluateDedupe, pinnedFigures, type DedupeEvalReport } from '../../scripts/lib/dedupe-eval.ts';
import { EVAL_DIR, hasEval } from '../helpers/eval.ts';

const baseline = JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as { figures: Record<string, number> };

describe.skipIf(!hasEval)('dedupe evaluation (news pairs, seeds, Zyte stream)', () => {
  let report: DedupeEvalReport;
  let figures: Record<string, number>;
  beforeAll(async () => {
    report = await evaluateDedupe(EVAL_DIR);
    figures = pinnedFigures(report);
  }, 120_000);

  it.each(Object.keys(baseline.figures))('%s does not drop below its pinned value', (name) => {
    expect(figures[name], `${name} is no longer measured`).toBeTypeOf('number');
    // pinned values are rounded to 4 decimals
    expect(figures[name]!).toBeGreaterThanOrEqual(baseline.figures[name]! - 1e-4);
  });

  it('pins every figure the evaluation reports', () => {
    expect(Object.keys(baseline.figures).sort()).toEqual(Object.keys(figures).sort());
  });

  it('the five seeds are one story in the stream, never merged with a Zyte page, and all 10 pairs match', () => {
    expect(report.stream.seedsOneStory).toBe(true);
    expect(report.stream.seedZyteMerges).toBe(0);
    expect(report.seeds.minPairsMatched).toBe(10);
  });

  it('cross-language news pairs: F1 ≥ 0.75 with precision ≥ 0.90 (acceptance floor)', () => {
    expect(report.newsPairs.crossLanguage.f1).toBeGreaterThanOrEqual(0.75);
    expect(report.newsPairs.crossLanguage.precision).toBeGreaterThanOrEqual(0.9);
  });

  it('same-language news pairs: F1 ≥ 0.95 with precision ≥ 0.95 (acceptance floor)', () => {
    expect(report.newsPairs.sameLanguage.f1).toBeGreaterThanOrEqual(0.95);
    expect(report.newsPairs.sameLanguage.precision).toBeGreaterThanOrEqual(0.95);
  });

  it('Zyte stream: pairwise precision ≥ 0.95 and recall ≥ 0.80 against the labelled stories (acceptance floor)', () => {
    expect(report.stream.pairwise.precision).toBeGreaterThanOrEqual(0.95);
    expect(report.stream.pairwise.recall).toBeGreaterThanOrEqual(0.8);
  });

  it('evaluates every news pair and the whole stream', () => {
    expect(report.newsPairs.pairs).toHaveLength(55);
    expect(report.stream.articles).toBe(186);
  });
});
