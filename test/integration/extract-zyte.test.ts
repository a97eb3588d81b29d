// The CI gate on extraction quality, the way trafilatura gates its CI: feedsift's page stages
// over the 181 real pages of Zyte's article-extraction benchmark, scored with the benchmark's
// own metric, must not fall below the F1 pinned in bench/extraction-baseline.json. Plain
// Readability on jsdom runs in the same test as the reference. The figures are computed by the
// same library `npm run eval:extract` uses (scripts/lib/zyte-eval.ts); raise the baseline with
// `npm run eval:extract -- --update-baseline` when an improvement lands.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_DOM } from '../../pipeline/dom.ts';
import { processPage } from '../../pipeline/process-page.ts';
import { describe, expect, it } from 'vitest';
import {
  ACCEPTANCE,
  BASELINE_TOLERANCE,
  loadZytePages,
  readBaseline,
  REPO_ROOT,
  runSystem,
  scoreRun,
  type ScoredRun,
} from '../../scripts/lib/zyte-eval.ts';
import { hasEval } from '../helpers/eval.ts';

describe.skipIf(!hasEval)('extraction on the Zyte benchmark (CI gate)', () => {
  it("feedsift's F1 on all 181 pages is not below the pinned baseline, and meets the acceptance floors", async () => {
    const baseline = readBaseline();
    expect(baseline.pages).toBe(181);
    expect(baseline.f1).toBeGreaterThan(0.9); // a real measured figure, not a placeholder

    const pages = loadZytePages();
    expect(pages.length).toBe(181);
    const ours = scoreRun(await runSystem('feedsift', baseline.dom ?? 'jsdom', pages), pages);
    const readability = scoreRun(await runSystem('readability', 'jsdom', pages), pages);
    const fmt = (s: ScoredRun): string => `F1 ${s.f1.toFixed(4)} P ${s.precision.toFixed(4)} R ${s.recall.toFixed(4)}`;
    console.log(
      `[zyte 181 pages] feedsift@${ours.dom} ${fmt(ours)} | Readability@jsdom ${fmt(readability)} | baseline F1 ${baseline.f1.toFixed(4)}`,
    );
    const someFailures = `${ours.failures.length} pages failed, e.g. ${ours.failures.slice(0, 3).join('; ')}`;

    expect(ours.pages).toBe(181);
    // the harness itself works: Readability.js 0.6.0 publishes F1 0.947 on this set
    expect(readability.f1).toBeGreaterThan(0.93);
    expect(ours.failures.length, someFailures).toBe(0);
    expect(ours.f1).toBeGreaterThanOrEqual(baseline.f1 - BASELINE_TOLERANCE);
    // feedsift exists to improve on Readability alone, and the acceptance floors hold
    expect(ours.f1).toBeGreaterThan(readability.f1);
    expect(ours.f1).toBeGreaterThanOrEqual(ACCEPTANCE.f1);
    expect(ours.precision).toBeGreaterThanOrEqual(ACCEPTANCE.precision);
    expect(ours.recall).toBeGreaterThanOrEqual(ACCEPTANCE.recall);
  }, 300_000);

  // The default DOM (lean, pipeline/lean-dom.ts) is feedsift's own; it keeps linkedom's parser and
  // tree, and the page stages must give the very same result on both, page by page.
  it('the page stages give the same result on the lean DOM as on linkedom, on every page', async () => {
    const pages = loadZytePages();
    const differing: string[] = [];
    for (const page of pages) {
      const ctx = { url: page.url };
      const lean = await processPage(page.html, { ...ctx, dom: 'lean' });
      const linkedom = await processPage(page.html, { ...ctx, dom: 'linkedom' });
      if (JSON.stringify(lean) !== JSON.stringify(linkedom)) differing.push(page.key);
    }
    expect(pages.length).toBe(181);
    expect(differing).toEqual([]);
  }, 300_000);

  it('npm run eval:extract prints both systems and writes the JSON report (--pages 3)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-eval-'));
    try {
      const json = path.join(dir, 'report.json');
      const out = execFileSync(process.execPath, ['scripts/eval-extract.ts', '--pages', '3', '--json', json], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      expect(out).toMatch(new RegExp(`^feedsift\\s+${DEFAULT_DOM}\\s+[01]\\.\\d{4}`, 'm'));
      expect(out).toMatch(/^readability\s+jsdom\s+[01]\.\d{4}/m);
      const report = JSON.parse(readFileSync(json, 'utf8')) as { pages: unknown[]; runs: ScoredRun[] };
      expect(report.pages).toHaveLength(3);
      // feedsift on the default DOM; Readability on jsdom (the reference) and on that DOM
      expect(report.runs.map((r) => `${r.system}@${r.dom}`)).toEqual([`feedsift@${DEFAULT_DOM}`, 'readability@jsdom', `readability@${DEFAULT_DOM}`]);
      for (const run of report.runs) {
        expect(run.pages).toBe(3);
        expect(Object.keys(run.perPage)).toHaveLength(3);
        expect(run.f1).toBeGreaterThan(0.5);
        expect(run.rssMiB).toBeGreaterThan(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('--update-baseline refuses a subset', () => {
    let failure: { status: number | null; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ['scripts/eval-extract.ts', '--pages', '2', '--update-baseline'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      failure = err as { status: number | null; stderr: string };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr).toMatch(/--update-baseline needs the whole set/);
  });
});
