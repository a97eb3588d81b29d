// The CPU-only measurements of `npm run bench`, each in a process of its own (so that its time
// and memory are its own; bench/run.ts pins it to one core with taskset where it can). Prints
// progress on stderr and its result as one JSON line on stdout.
//
//   node bench/lib/child.ts extraction <feedsift|readability> <dom> <pages|all>
//   node bench/lib/child.ts language <pages|all>
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDomKind } from '../../pipeline/dom.ts';
import { loadLanguageDetector } from '../../pipeline/language.ts';
import type { Block } from '../../pipeline/records.ts';
import type { LanguageFigures } from './report.ts';
import { EVAL_DIR, runSystem, scoreRun, SYSTEMS, ZYTE_DIR, loadZytePages, type SystemName } from '../../scripts/lib/zyte-eval.ts';
import { wordsReversed } from './page-server.ts';

/** Pages run untimed first (JIT, CLD3's WebAssembly), then the timed run over every page once. */
const WARMUP_PAGES = 20;
/** News-pairs articles the language stage warms up on. */
const WARMUP_ARTICLES = 40;

export interface ExtractionChildResult {
  system: SystemName;
  dom: string;
  pages: number;
  pagesPerSecond: number;
  msPerPage: number;
  f1: number;
  precision: number;
  recall: number;
  failures: string[];
}

async function extraction(system: string, dom: string, limit: number | undefined): Promise<ExtractionChildResult> {
  if (!SYSTEMS.includes(system as SystemName) || !isDomKind(dom)) throw new Error(`bench child: bad system ${system} or DOM ${dom}`);
  const pages = loadZytePages(limit);
  // warm-up on other texts (the pages' words spelt backwards): the language stage keeps CLD3's
  // verdicts of recent texts, and a timed page must not find its own there
  await runSystem(system as SystemName, dom, pages.slice(0, WARMUP_PAGES).map((p) => ({ ...p, html: wordsReversed(p.html) })));
  const scored = scoreRun(await runSystem(system as SystemName, dom, pages), pages);
  return {
    system: system as SystemName,
    dom,
    pages: pages.length,
    pagesPerSecond: scored.pagesPerSecond,
    msPerPage: scored.msPerPage,
    f1: scored.f1,
    precision: scored.precision,
    recall: scored.recall,
    failures: scored.failures,
  };
}

/** Paragraphs as the language stage's blocks. */
const asBlocks = (text: string): Block[] =>
  text
    .split(/\n+/)
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t): Block => ({ kind: 'paragraph', text: t, linkDensity: 0 }));

/**
 * The language stage (detectLanguages: every block's language and the document's) over the
 * Zyte ground-truth bodies, one paragraph a block, no priors; beside it raw CLD3 (cld3-asm's
 * findLanguage, the identifier the stage uses) once per block. Both warm up on other texts (the
 * news-pairs articles), then go over the bodies once: the stage keeps CLD3's verdicts of recent
 * texts, so a second pass over the same bodies would time its cache, not its work.
 */
async function language(limit: number | undefined): Promise<LanguageFigures> {
  const truth = JSON.parse(readFileSync(path.join(ZYTE_DIR, 'ground-truth.json'), 'utf8')) as Record<string, { articleBody: string }>;
  const articles = Object.keys(truth)
    .sort()
    .slice(0, limit)
    .map((key) => asBlocks(truth[key]!.articleBody))
    .filter((blocks) => blocks.length > 0);
  const warmup = readFileSync(path.join(EVAL_DIR, 'news-pairs', 'pairs.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .slice(0, WARMUP_ARTICLES)
    .map((line) => asBlocks((JSON.parse(line) as { a: { text: string } }).a.text));
  const blocks = articles.reduce((n, a) => n + a.length, 0);
  const detector = await loadLanguageDetector();
  const { loadModule } = await import('cld3-asm');
  const cld3 = (await loadModule()).create(0, 2048);
  const stage = (set: Block[][]): void => {
    for (const a of set) detector.detectLanguages(a);
  };
  const raw = (set: Block[][]): void => {
    for (const a of set) for (const b of a) cld3.findLanguage(b.text);
  };
  const timed = (fn: (set: Block[][]) => void): number => {
    fn(warmup);
    const started = performance.now();
    fn(articles);
    return (performance.now() - started) * 1000;
  };
  const stageMicros = timed(stage);
  const rawMicros = timed(raw);
  return {
    articles: articles.length,
    blocks,
    microsPerArticle: stageMicros / articles.length,
    microsPerBlock: stageMicros / blocks,
    baselineMicrosPerArticle: rawMicros / articles.length,
    baselineMicrosPerBlock: rawMicros / blocks,
  };
}

const limitOf = (s: string | undefined): number | undefined => (s === undefined || s === 'all' ? undefined : Number(s));

async function main(argv: string[]): Promise<void> {
  const [task, ...rest] = argv;
  let result: unknown;
  if (task === 'extraction') result = await extraction(rest[0]!, rest[1]!, limitOf(rest[2]));
  else if (task === 'language') result = await language(limitOf(rest[0]));
  else throw new Error(`bench child: unknown task ${task}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main(process.argv.slice(2));
