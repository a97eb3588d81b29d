// The Zyte article-extraction benchmark as a library: load the 181 pages, run one extractor
// ("system") over them on one DOM, score the predictions with the benchmark's metric.
// scripts/eval-extract.ts (the CLI) and test/integration/extract-zyte.test.ts (the CI gate)
// both use it, so the gate measures exactly what `npm run eval:extract` prints.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Readability } from '@mozilla/readability';
import { decodeBytes } from '../../pipeline/charset.ts';
import { DOM_KINDS, parseDocument, type DomKind } from '../../pipeline/dom.ts';
import { processPage } from '../../pipeline/process-page.ts';
import { pageCounts, scoreCounts, type ExtractionScore, type PageCounts } from './extraction-metric.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EVAL_DIR = process.env.FEEDSIFT_EVAL_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'eval');
export const ZYTE_DIR = path.join(EVAL_DIR, 'extraction-zyte');
export const BASELINE_FILE = path.join(REPO_ROOT, 'bench', 'extraction-baseline.json');

/** feedsift's page stages, or @mozilla/readability alone (the reference the issue measures against). */
export const SYSTEMS = ['feedsift', 'readability'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export interface ZytePage {
  key: string;
  url: string;
  /** Ground-truth article body. */
  truth: string;
  /** The page decoded by decodeBytes (kind html, no header: BOM, then <meta>, then sniffing). */
  html: string;
  /** The encoding decodeBytes chose, for the report. */
  charset: string;
}

/** The benchmark's pages sorted by key; the first `limit` when given. */
export function loadZytePages(limit?: number, dir = ZYTE_DIR): ZytePage[] {
  const truth = JSON.parse(readFileSync(path.join(dir, 'ground-truth.json'), 'utf8')) as Record<
    string,
    { url: string; articleBody: string }
  >;
  const keys = Object.keys(truth).sort();
  return keys.slice(0, limit ?? keys.length).map((key) => {
    const { url, articleBody } = truth[key]!;
    const bytes = gunzipSync(readFileSync(path.join(dir, 'html', `${key}.html.gz`)));
    const decoded = decodeBytes(bytes, { kind: 'html' });
    return { key, url, truth: articleBody, html: decoded.text, charset: decoded.charset };
  });
}

/** The DOMs feedsift's processPage can be told to use (its `dom` option). */
export const FEEDSIFT_DOMS: readonly DomKind[] = DOM_KINDS;

export type Extractor = (html: string, url: string) => Promise<string>;

/** The article text `system` extracts on `dom`. Throws when feedsift cannot run on that DOM. */
export function extractor(system: SystemName, dom: DomKind): Extractor {
  if (system === 'readability') {
    return async (html, url) => {
      const parsed = parseDocument(html, url, dom);
      try {
        return new Readability(parsed.document).parse()?.textContent ?? '';
      } finally {
        parsed.close();
      }
    };
  }
  if (!FEEDSIFT_DOMS.includes(dom)) throw new Error(`eval-extract: feedsift cannot run on ${dom}`);
  return async (html, url) => (await processPage(html, { url, dom })).text;
}

export interface RunResult {
  system: SystemName;
  dom: DomKind;
  /** Predicted text per page key (empty when the extractor threw). */
  predictions: Record<string, string>;
  /** `key: message` of the pages whose extraction threw; they are scored as empty predictions. */
  failures: string[];
  /** Wall time of the extractions alone (decoding and loading excluded). */
  totalMs: number;
  msPerPage: number;
  /** process.memoryUsage().rss after the last page, MiB. */
  rssMiB: number;
  /** Peak resident set of the process (process.resourceUsage().maxRSS), MiB. */
  maxRssMiB: number;
}

/** Runs one system over the pages, one after another, timing each extraction. */
export async function runSystem(system: SystemName, dom: DomKind, pages: ZytePage[]): Promise<RunResult> {
  const extract = extractor(system, dom);
  const predictions: Record<string, string> = {};
  const failures: string[] = [];
  let totalMs = 0;
  for (const page of pages) {
    const started = performance.now();
    try {
      predictions[page.key] = await extract(page.html, page.url);
    } catch (err) {
      predictions[page.key] = '';
      failures.push(`${page.key}: ${(err as Error).message}`);
    }
    totalMs += performance.now() - started;
  }
  const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
  return {
    system,
    dom,
    predictions,
    failures,
    totalMs,
    msPerPage: pages.length ? totalMs / pages.length : 0,
    rssMiB: mib(process.memoryUsage().rss),
    maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
  };
}

export interface ScoredRun extends Omit<RunResult, 'predictions'>, ExtractionScore {
  pagesPerSecond: number;
  /** Per-page normalised counts, by key (for finding the pages that cost the most). */
  perPage: Record<string, PageCounts>;
}

export function scoreRun(run: RunResult, pages: ZytePage[]): ScoredRun {
  const { predictions, ...rest } = run;
  const perPage: Record<string, PageCounts> = {};
  for (const page of pages) perPage[page.key] = pageCounts(page.truth, predictions[page.key] ?? '');
  return {
    ...rest,
    ...scoreCounts(Object.values(perPage)),
    pagesPerSecond: run.totalMs ? (pages.length * 1000) / run.totalMs : 0,
    perPage,
  };
}

/** The pinned figures the CI gate compares against (bench/extraction-baseline.json). */
export interface Baseline {
  f1: number;
  precision: number;
  recall: number;
  /** ISO date-time of the run that set it. */
  measuredAt: string;
  note: string;
  /** The DOM feedsift ran on (jsdom when absent). */
  dom?: DomKind;
  /** Pages scored (181: the whole set). */
  pages?: number;
}

/** The acceptance floors for feedsift on the whole set (issue 3: above trafilatura 2.0's 0.958 / 0.938 / 0.978 F1/P/R). */
export const ACCEPTANCE = { f1: 0.96, precision: 0.935, recall: 0.975 } as const;

/** Float noise between machines and Node versions only; any real regression is larger. */
export const BASELINE_TOLERANCE = 0.0005;

export function readBaseline(file = BASELINE_FILE): Baseline {
  return JSON.parse(readFileSync(file, 'utf8')) as Baseline;
}
