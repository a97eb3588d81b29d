// The extraction and language sections: single-threaded CPU work, each system in a child process
// of its own held to one core (taskset -c 0 where it exists), one after the other.
import { DEFAULT_DOM } from '../../pipeline/dom.ts';
import type { ExtractionChildResult } from './child.ts';
import { runChild } from './processes.ts';
import type { ExtractionSection, LanguageFigures, LanguageSection } from './report.ts';

const pagesArg = (pages: number | undefined): string => (pages === undefined ? 'all' : String(pages));

/** Runs of each system, alternating (feedsift, Readability, feedsift, …); each keeps its fastest. */
const EXTRACTION_ROUNDS = 2;

export async function benchExtraction(pages: number | undefined, log: (s: string) => void): Promise<ExtractionSection> {
  // Alternating runs, the fastest of each system kept: a burst of other load on the machine
  // slows one run, not the comparison (the F1 of every run is the same: the systems are deterministic).
  let ours: Awaited<ReturnType<typeof runChild<ExtractionChildResult>>> | undefined;
  let base: typeof ours;
  const faster = (a: typeof ours, b: NonNullable<typeof ours>) => (!a || b.result.pagesPerSecond > a.result.pagesPerSecond ? b : a);
  for (let round = 1; round <= EXTRACTION_ROUNDS; round++) {
    log(`extraction (run ${round} of ${EXTRACTION_ROUNDS}): feedsift on ${DEFAULT_DOM} …`);
    const o = await runChild<ExtractionChildResult>(['extraction', 'feedsift', DEFAULT_DOM, pagesArg(pages)], true);
    log(`extraction: feedsift ${o.result.pagesPerSecond.toFixed(1)} pages/s, F1 ${o.result.f1.toFixed(4)}; Readability on jsdom …`);
    const b = await runChild<ExtractionChildResult>(['extraction', 'readability', 'jsdom', pagesArg(pages)], true);
    log(`extraction: Readability on jsdom ${b.result.pagesPerSecond.toFixed(1)} pages/s, F1 ${b.result.f1.toFixed(4)}`);
    ours = faster(ours, o);
    base = faster(base, b);
  }
  ours = ours!;
  base = base!;
  const a = ours.result;
  const b = base.result;
  return {
    pages: a.pages,
    dom: DEFAULT_DOM,
    baselineDom: 'jsdom',
    pagesPerSecond: a.pagesPerSecond,
    baselinePagesPerSecond: b.pagesPerSecond,
    f1: a.f1,
    baselineF1: b.f1,
    precision: a.precision,
    recall: a.recall,
    baselinePrecision: b.precision,
    baselineRecall: b.recall,
    msPerPage: a.msPerPage,
    baselineMsPerPage: b.msPerPage,
    failures: a.failures,
    baselineFailures: b.failures,
    pinned: ours.pinned,
    note:
      "feedsift's page stages (processPage: extract, language, strip) vs plain @mozilla/readability on jsdom, " +
      'over the Zyte pages decoded in advance; each in its own process, 20 pages with their words reversed untimed first (a long-running worker runs optimised code), then every page once; two such runs of each system, alternating, the faster of each kept; scored with the benchmark metric (scripts/lib/zyte-eval.ts)',
  };
}

export async function benchLanguage(pages: number | undefined, log: (s: string) => void): Promise<LanguageSection> {
  log('language: the language stage and raw CLD3 over the Zyte bodies …');
  const { result, pinned } = await runChild<LanguageFigures>(['language', pagesArg(pages)], true);
  log(`language: ${result.microsPerArticle.toFixed(0)} µs/article, ${result.microsPerBlock.toFixed(0)} µs/block (raw CLD3 ${result.baselineMicrosPerBlock.toFixed(0)} µs/block)`);
  return {
    ...result,
    pinned,
    note:
      'detectLanguages (every block and the document, no priors) over the Zyte ground-truth bodies, one paragraph a block; ' +
      'baseline: cld3-asm findLanguage once per block (the same identifier); both warm up on 40 news-pairs articles, then one pass over the bodies ' +
      '(the stage keeps CLD3 verdicts of recent texts: a second pass would time that cache)',
  };
}
