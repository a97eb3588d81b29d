// The dedupe evaluation as a library: scripts/eval-dedupe.ts (the CLI) and
// test/integration/dedupe-eval.test.ts (the CI gate) both call `evaluateDedupe`, so the gate
// measures exactly what `npm run eval:dedupe` prints.
//  - news pairs (../shared/eval/news-pairs, SemEval-2022 Task 8, rated by people): the pairwise
//    decision `matchContent` with the pipeline's time window, same-language and cross-language;
//  - the founding case (five seed copies of one story): all ten pairs, under three idf states;
//  - the Zyte stream: the 181 benchmark pages plus the five seeds, in a fixed order, through the
//    pipeline's own decision (`MemoryDedupeIndex`), scored pairwise against the stories we
//    labelled by reading the pages (fixtures/expected/zyte-stories.json).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compactFeatures,
  DEFAULT_WINDOW_HOURS,
  matchContent,
  MemoryDocumentFrequencies,
  textFeatures,
  withinWindow,
  type DocumentFrequencies,
  type TextFeatures,
} from '../../pipeline/dedupe.ts';
import { MemoryDedupeIndex } from '../../pipeline/dedupe-index.ts';
import { cleanArticleOf } from '../../pipeline/dedupe-input.ts';
import { loadLanguageDetector, type LanguageDetector } from '../../pipeline/language.ts';
import { processPage } from '../../pipeline/process-page.ts';
import { sameSite } from '../../pipeline/dedupe.ts';
import { loadZytePages } from './zyte-eval.ts';
import { rng } from '../../bench/lib/synthetic-stream.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EVAL_DIR = process.env.FEEDSIFT_EVAL_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'eval');
export const BASELINE_FILE = path.join(REPO_ROOT, 'bench', 'dedupe-baseline.json');
export const LABELS_FILE = path.join(REPO_ROOT, 'fixtures', 'expected', 'zyte-stories.json');

// ---------------------------------------------------------------- data

export interface Doc {
  /** Zyte key or seed file name. */
  key: string;
  url: string;
  title: string;
  text: string;
  language: string;
}

/** Headline of each seed as its outlet publishes it (fixtures/expected/seeds.json), by seed file. */
function seedTitles(): Map<string, string> {
  const file = path.join(REPO_ROOT, 'fixtures', 'expected', 'seeds.json');
  if (!existsSync(file)) return new Map();
  const rows = JSON.parse(readFileSync(file, 'utf8')) as Array<{ seed: string; title?: string }>;
  return new Map(rows.map((r) => [r.seed, r.title ?? '']));
}

/** The five seed texts with their outlets' headlines: the repository's fixtures when present, else the shared originals. */
export function seedDocs(): Doc[] {
  const titles = seedTitles();
  const dirs = [path.join(REPO_ROOT, 'fixtures', 'seeds'), path.resolve(REPO_ROOT, '..', 'shared', 'seeds')];
  const dir = dirs.find((d) => existsSync(d) && readdirSync(d).some((f) => /^\d{3}_.*\.txt$/.test(f)));
  if (!dir) throw new Error('eval-dedupe: no seed texts found');
  return readdirSync(dir)
    .filter((f) => /^\d{3}_.*\.txt$/.test(f))
    .sort()
    .map((f, i) => ({
      key: f,
      url: `https://seed-outlet-${i}.example/${f.replace(/\.txt$/, '')}`,
      title: titles.get(f) ?? '',
      text: readFileSync(path.join(dir, f), 'utf8'),
      language: 'en',
    }));
}

/**
 * The Zyte benchmark's article bodies sorted by key, language as the pipeline's detector finds it
 * (unknown, '', without a detector: stopwords and country names then fall back to none / English),
 * headline as the pipeline's page stage extracts it from the page when `titles` maps it.
 */
export function zyteDocs(detector?: LanguageDetector, evalDir = EVAL_DIR, titles?: ReadonlyMap<string, string>): Doc[] {
  const gt = JSON.parse(readFileSync(path.join(evalDir, 'extraction-zyte', 'ground-truth.json'), 'utf8')) as Record<
    string,
    { url: string; articleBody: string }
  >;
  return Object.entries(gt)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, v]) => ({ key, url: v.url, title: titles?.get(key) ?? '', text: v.articleBody, language: detector ? detector.identify(v.articleBody).language : '' }));
}

/**
 * The headline of every Zyte page as the pipeline reads it: the page stage (`processPage`) run on
 * the benchmark's HTML. The benchmark's ground truth holds the body only; the pipeline always has
 * a headline (the page's, else the feed item's), and the decision uses it.
 */
export async function zyteTitles(evalDir = EVAL_DIR): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const page of loadZytePages(undefined, path.join(evalDir, 'extraction-zyte'))) {
    const result = await processPage(page.html, { url: page.url });
    out.set(page.key, result.page.title ?? '');
  }
  return out;
}

export interface LabelGroup {
  id: string;
  note: string;
  keys: string[];
  /** Related entries: the labelled group on the same topic, if any. */
  beside?: string;
}

export interface ZyteLabels {
  groups: LabelGroup[];
  related: LabelGroup[];
}

export function zyteLabels(file = LABELS_FILE): ZyteLabels {
  return JSON.parse(readFileSync(file, 'utf8')) as ZyteLabels;
}

interface Pair {
  pair_id: string;
  lang1: string;
  lang2: string;
  overall: number;
  a: { url: string; title: string; text: string; publish_date: string | null };
  b: { url: string; title: string; text: string; publish_date: string | null };
}

// ---------------------------------------------------------------- scores

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f1: number;
}

function confusion(tp: number, fp: number, fn: number, tn = 0): Confusion {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { tp, fp, fn, tn, precision, recall, f1 };
}

export interface PairDecision {
  pairId: string;
  languages: string;
  truth: 'same' | 'different' | 'related';
  overall: number;
  merged: boolean;
  /** Why not merged when the window decided it. */
  outsideWindow: boolean;
  score: number | null;
  evidence: string[];
}

export interface NewsPairsReport {
  sameLanguage: Confusion & { relatedMerged: number; related: number };
  crossLanguage: Confusion;
  enEn: Confusion;
  otherSameLanguage: Confusion;
  pairs: PairDecision[];
}

/**
 * A pair article's publication time, as the pipeline would place it (`articleTime`): a date later
 * than the moment the pipeline reads the article is a broken date, not a time (one article of the
 * set claims 2031); here that moment is now, long after the set was collected.
 */
function pairTime(date: string | null): number {
  const t = date ? Date.parse(date) : Number.NaN;
  return Number.isFinite(t) && t <= Date.now() ? t : Number.NaN;
}

/**
 * Every news pair through `matchContent`, with idf learned from one stream of all the pair
 * articles plus the Zyte pages; pairs whose two publication dates are both known and further apart
 * than the window are not merged, as in the pipeline.
 */
export function newsPairsReport(zyte: TextFeatures[], evalDir = EVAL_DIR, windowHours = DEFAULT_WINDOW_HOURS): NewsPairsReport {
  const pairs = readFileSync(path.join(evalDir, 'news-pairs', 'pairs.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Pair);
  const prepared = pairs.map((p) => ({
    p,
    a: textFeatures({ title: p.a.title, text: p.a.text, language: p.lang1 }),
    b: textFeatures({ title: p.b.title, text: p.b.text, language: p.lang2 }),
  }));
  const dfs = dfsOf([...zyte, ...prepared.flatMap(({ a, b }) => [a, b])]);
  const decisions: PairDecision[] = [];
  for (const { p, a, b } of prepared) {
    const ta = pairTime(p.a.publish_date);
    const tb = pairTime(p.b.publish_date);
    const outsideWindow = Number.isFinite(ta) && Number.isFinite(tb) && !withinWindow(ta, tb, windowHours);
    // two articles of one site are judged as the pipeline judges them (see THRESHOLDS.rewriteSameSite)
    const m = outsideWindow ? null : matchContent(compactFeatures(a, dfs), compactFeatures(b, dfs), dfs, { sameSite: sameSite(p.a.url, p.b.url) });
    decisions.push({
      pairId: p.pair_id,
      languages: `${p.lang1}-${p.lang2}`,
      truth: p.overall <= 1.5 ? 'same' : p.overall >= 3.5 ? 'different' : 'related',
      overall: p.overall,
      merged: m !== null,
      outsideWindow,
      score: m?.score ?? null,
      evidence: m?.sharedEntities.slice(0, 8) ?? [],
    });
  }
  const count = (filter: (d: PairDecision) => boolean): Confusion => {
    const ds = decisions.filter(filter);
    const n = (truth: PairDecision['truth'], merged: boolean): number =>
      ds.filter((d) => d.truth === truth && d.merged === merged).length;
    return confusion(n('same', true), n('different', true), n('same', false), n('different', false));
  };
  const same = (d: PairDecision): boolean => d.languages.split('-')[0] === d.languages.split('-')[1];
  const related = decisions.filter((d) => same(d) && d.truth === 'related');
  return {
    sameLanguage: { ...count(same), relatedMerged: related.filter((d) => d.merged).length, related: related.length },
    crossLanguage: count((d) => !same(d)),
    enEn: count((d) => d.languages === 'en-en'),
    otherSameLanguage: count((d) => same(d) && d.languages !== 'en-en'),
    pairs: decisions,
  };
}

function dfsOf(features: TextFeatures[]): MemoryDocumentFrequencies {
  const dfs = new MemoryDocumentFrequencies();
  for (const f of features) dfs.add([...f.termCounts.keys(), ...f.entities]);
  return dfs;
}

export interface SeedReport {
  /** Per idf state: how many of the 10 seed pairs `matchContent` merges, and the lowest score. */
  states: Array<{ state: string; pairsMatched: number; minScore: number }>;
  /** Fewest pairs matched over the states (10 is the target). */
  minPairsMatched: number;
}

/** The ten seed pairs under three idf states: empty index, seeds first, after the Zyte pages. */
export function seedReport(seeds: TextFeatures[], zyte: TextFeatures[]): SeedReport {
  const states: Array<[string, DocumentFrequencies]> = [
    ['empty index', new MemoryDocumentFrequencies()],
    ['one seed counted', dfsOf(seeds.slice(0, 1))],
    ['after the Zyte pages and one seed', dfsOf([...zyte, seeds[0]!])],
  ];
  const out = states.map(([state, dfs]) => {
    const c = seeds.map((f) => compactFeatures(f, dfs));
    let pairsMatched = 0;
    let minScore = Infinity;
    for (let i = 0; i < c.length; i++) {
      for (let j = i + 1; j < c.length; j++) {
        const m = matchContent(c[i]!, c[j]!, dfs);
        if (m) pairsMatched++;
        minScore = Math.min(minScore, m?.score ?? 0);
      }
    }
    return { state, pairsMatched, minScore };
  });
  return { states: out, minPairsMatched: Math.min(...out.map((s) => s.pairsMatched)) };
}

export interface StreamStory {
  storyId: string;
  members: Array<{ key: string; url: string; level: string | null; score: number | null; evidence: string[] }>;
  /** The labelled group all members belong to, or null when the story mixes groups or is unlabelled. */
  label: string | null;
}

export interface StreamReport {
  articles: number;
  /** Pairwise, over every pair of stream articles; truth = labelled groups + the seed story. */
  pairwise: Confusion;
  /** False merges whose two pages are listed together under `related` (near misses). */
  falseMergesRelated: number;
  /** Pairs of (seed, Zyte page) in one story: must be 0. */
  seedZyteMerges: number;
  seedsOneStory: boolean;
  /** Stories with more than one member. */
  stories: StreamStory[];
}

/**
 * Every article of the stream, in order, through the pipeline's decision with an in-memory index.
 * Order: the Zyte pages by key with the five seeds placed at every 36th position, so the seeds
 * are decided among unrelated news. Every article gets the same time: the window never separates
 * a seed (2025) from a Zyte page (2019) here, the content must.
 */
export async function streamReport(seeds: Doc[], zyte: Doc[], labels: ZyteLabels, opts: { crossLanguage?: boolean } = {}): Promise<StreamReport> {
  const order: Doc[] = [];
  const gap = Math.floor(zyte.length / seeds.length);
  zyte.forEach((d, i) => {
    if (i % gap === 0 && order.filter((o) => seeds.includes(o)).length < seeds.length) order.push(seeds[i / gap]!);
    order.push(d);
  });
  for (const s of seeds) if (!order.includes(s)) order.push(s);
  const index = new MemoryDedupeIndex({ windowHours: DEFAULT_WINDOW_HOURS, crossLanguage: opts.crossLanguage ?? false });
  const time = '2019-11-19T12:00:00Z';
  const storyOf = new Map<string, string>();
  const how = new Map<string, { level: string | null; score: number | null; evidence: string[] }>();
  for (const d of order) {
    const article = cleanArticleOf({ id: d.key, title: d.title, text: d.text, url: d.url, language: d.language }, { fallbackTime: time, language: d.language });
    const decision = await index.decide(article);
    storyOf.set(d.key, decision.storyId);
    how.set(
      d.key,
      decision.kind === 'duplicate'
        ? { level: decision.evidence.level, score: decision.similarity, evidence: decision.evidence.sharedEntities.slice(0, 8) }
        : { level: null, score: null, evidence: [] },
    );
  }
  const seedKeys = new Set(seeds.map((s) => s.key));
  const truthGroup = new Map<string, string>();
  for (const g of labels.groups) for (const k of g.keys) truthGroup.set(k, g.id);
  for (const k of seedKeys) truthGroup.set(k, '#seeds');
  // pages on one topic but not one story: a related entry's pages plus the group it sits beside
  const topicSets = labels.related.map(
    (r) => new Set([...r.keys, ...(labels.groups.find((g) => g.id === r.beside)?.keys ?? [])]),
  );
  const near = (a: string, b: string): boolean => topicSets.some((t) => t.has(a) && t.has(b));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let falseMergesRelated = 0;
  let seedZyteMerges = 0;
  const keys = order.map((d) => d.key);
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const a = keys[i]!;
      const b = keys[j]!;
      const merged = storyOf.get(a) === storyOf.get(b);
      const same = truthGroup.has(a) && truthGroup.get(a) === truthGroup.get(b);
      if (merged && same) tp++;
      else if (merged) {
        fp++;
        if (near(a, b)) falseMergesRelated++;
        if (seedKeys.has(a) !== seedKeys.has(b)) seedZyteMerges++;
      } else if (same) fn++;
    }
  }
  const byStory = new Map<string, string[]>();
  for (const k of keys) byStory.set(storyOf.get(k)!, [...(byStory.get(storyOf.get(k)!) ?? []), k]);
  const urlOf = new Map(order.map((d) => [d.key, d.url]));
  const stories: StreamStory[] = [...byStory]
    .filter(([, ks]) => ks.length > 1)
    .map(([storyId, ks]) => {
      const groups = new Set(ks.map((k) => truthGroup.get(k) ?? `#alone:${k}`));
      return {
        storyId,
        label: groups.size === 1 ? [...groups][0]! : null,
        members: ks.map((k) => ({ key: k, url: urlOf.get(k)!, ...how.get(k)! })),
      };
    });
  const seedStories = new Set([...seedKeys].map((k) => storyOf.get(k)));
  return {
    articles: keys.length,
    pairwise: confusion(tp, fp, fn),
    falseMergesRelated,
    seedZyteMerges,
    seedsOneStory: seedStories.size === 1,
    stories,
  };
}

/** The stream's pairwise figures under other arrival orders: how much one order's figure owes to the order. */
export interface OrderSpread {
  orders: number;
  precision: { mean: number; min: number; max: number };
  recall: { mean: number; min: number; max: number };
  /** Orders in which the seeds were not one story, or merged with a Zyte page (0 expected). */
  seedFailures: number;
}

/**
 * The stream run again with the Zyte pages in `orders` shuffled orders (a fixed-seed generator,
 * so the same orders every run; the seeds keep their places among them). A decision depends on
 * what the index holds when an article arrives, so the figures move with the order.
 */
export async function streamOrderSpread(seeds: Doc[], zyte: Doc[], labels: ZyteLabels, orders: number, opts: { crossLanguage?: boolean } = {}): Promise<OrderSpread> {
  const next = rng(0x2545f491);
  const p: number[] = [];
  const r: number[] = [];
  let seedFailures = 0;
  for (let i = 0; i < orders; i++) {
    const order = zyte.map((d) => ({ d, k: next() })).sort((a, b) => a.k - b.k).map(({ d }) => d);
    const report = await streamReport(seeds, order, labels, opts);
    p.push(report.pairwise.precision);
    r.push(report.pairwise.recall);
    if (!report.seedsOneStory || report.seedZyteMerges > 0) seedFailures++;
  }
  const spread = (xs: number[]) => ({ mean: xs.reduce((a, b) => a + b, 0) / xs.length, min: Math.min(...xs), max: Math.max(...xs) });
  return { orders, precision: spread(p), recall: spread(r), seedFailures };
}

// ---------------------------------------------------------------- everything

export interface DedupeEvalReport {
  newsPairs: NewsPairsReport;
  seeds: SeedReport;
  stream: StreamReport;
  /** The stream in other orders (`orders`; not pinned). */
  orderSpread?: OrderSpread;
}

/**
 * `crossLanguage`: the stream's index links across languages (FEEDSIFT_DEDUPE_CROSS_LANGUAGE=true);
 * `orders`: also run the stream in that many shuffled orders (`streamOrderSpread`).
 */
export async function evaluateDedupe(evalDir = EVAL_DIR, opts: { crossLanguage?: boolean; orders?: number } = {}): Promise<DedupeEvalReport> {
  const detector = await loadLanguageDetector();
  const seeds = seedDocs();
  const zyte = zyteDocs(detector, evalDir, await zyteTitles(evalDir));
  const seedFeatures = seeds.map((d) => textFeatures(d));
  const zyteFeatures = zyte.map((d) => textFeatures(d));
  const labels = zyteLabels();
  const stream = { crossLanguage: opts.crossLanguage ?? false };
  return {
    newsPairs: newsPairsReport(zyteFeatures, evalDir),
    seeds: seedReport(seedFeatures, zyteFeatures),
    stream: await streamReport(seeds, zyte, labels, stream),
    ...(opts.orders ? { orderSpread: await streamOrderSpread(seeds, zyte, labels, opts.orders, stream) } : {}),
  };
}

/** The figures the baseline pins (each must not drop). */
export function pinnedFigures(r: DedupeEvalReport): Record<string, number> {
  return {
    'newsPairs.sameLanguage.precision': r.newsPairs.sameLanguage.precision,
    'newsPairs.sameLanguage.recall': r.newsPairs.sameLanguage.recall,
    'newsPairs.sameLanguage.f1': r.newsPairs.sameLanguage.f1,
    'newsPairs.crossLanguage.precision': r.newsPairs.crossLanguage.precision,
    'newsPairs.crossLanguage.recall': r.newsPairs.crossLanguage.recall,
    'newsPairs.crossLanguage.f1': r.newsPairs.crossLanguage.f1,
    'seeds.minPairsMatched': r.seeds.minPairsMatched,
    'stream.pairwise.precision': r.stream.pairwise.precision,
    'stream.pairwise.recall': r.stream.pairwise.recall,
    'stream.pairwise.f1': r.stream.pairwise.f1,
  };
}
