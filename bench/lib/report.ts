// The report of `npm run bench`: its options, the keys every run must fill (issue 7's list, so
// that runs can be compared over time), the acceptance ratios, and the readable table.
import type { DomKind } from '../../pipeline/dom.ts';
import type { HostProbe } from './host-probe.ts';

export const SECTIONS = ['extraction', 'language', 'dedupe', 'pipeline', 'memory'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  only: Section[];
  json: string;
  /** Zyte pages for extraction and language (181: all). */
  pages: number | undefined;
  /** Index sizes the dedupe decision is timed at. */
  dedupeSizes: number[];
  /** decide() calls timed at each size. */
  dedupeTimed: number;
  /** Longest the dedupe section may spend filling the index to one size (projected from the sizes before it). */
  dedupeMaxFillSeconds: number;
  /** Articles through the pipeline per configuration. */
  pipelineArticles: number;
  /** Rounds of the three pipeline configurations (alternating); the faster run of each is kept. */
  pipelineRounds: number;
  /** Pages after which the memory section reads the worker's RSS. */
  memoryPages: number[];
  seed: number;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  only: [...SECTIONS],
  json: 'bench/last-report.json',
  pages: undefined,
  dedupeSizes: [10_000, 100_000, 1_000_000],
  dedupeTimed: 1000,
  dedupeMaxFillSeconds: 900,
  pipelineArticles: 1000,
  pipelineRounds: 2,
  memoryPages: [500, 5000],
  seed: 1,
};

/** A figure not measured, and why (the key is then null). */
export interface Skipped {
  key: string;
  reason: string;
}

export interface ExtractionSection {
  pages: number;
  dom: DomKind;
  baselineDom: 'jsdom';
  pagesPerSecond: number;
  baselinePagesPerSecond: number;
  f1: number;
  baselineF1: number;
  precision: number;
  recall: number;
  baselinePrecision: number;
  baselineRecall: number;
  msPerPage: number;
  baselineMsPerPage: number;
  failures: string[];
  baselineFailures: string[];
  /** How the runs were held to one core ("taskset -c 0", or null when taskset is absent). */
  pinned: string | null;
  note: string;
}

/** What the language child process measures (bench/lib/child.ts). */
export interface LanguageFigures {
  articles: number;
  blocks: number;
  microsPerArticle: number;
  microsPerBlock: number;
  baselineMicrosPerArticle: number;
  baselineMicrosPerBlock: number;
}

export interface LanguageSection extends LanguageFigures {
  pinned: string | null;
  note: string;
}

export interface DedupeSize {
  indexed: number;
  timed: number;
  meanMicros: number;
  p50Micros: number;
  p95Micros: number;
  stories: number;
  duplicates: number;
  redisBytesPerArticle: number;
  /**
   * The index's keys by kind (records, postings, stories, decisions, frequencies, commitLog,
   * other): how many, and their estimated bytes per indexed article (MEMORY USAGE of a sample;
   * bench/lib/redis.ts dedupeMemoryByKind). Decision records live DECISION_TTL_MS only.
   */
  redisBytesByKind?: Record<string, { keys: number; bytesPerArticle: number }>;
  /** Seconds spent filling the index from the previous size to this one. */
  fillSeconds: number;
  /** Over the timed decisions, per decision: the bench process's CPU (user + system), µs. */
  workerCpuMicros: number;
  /** The same for the Redis server (`INFO cpu`; the whole server: exact with a private one). */
  redisCpuMicros: number;
  /** Redis µs per decision in each command that took at least 50 (`INFO commandstats`), most first. */
  redisCommandMicros: Record<string, number>;
}

export interface DedupeSection {
  /** Mean µs of one decide() when the index holds that many articles; null when skipped. */
  microsPerArticle: Record<string, number | null>;
  /** Redis used_memory growth per indexed article at the largest size measured. */
  redisBytesPerArticle: number | null;
  redisBytesPerArticleBySize: Record<string, number | null>;
  sizes: Record<string, DedupeSize | null>;
  skipped: Skipped[];
  /** Articles per second of the bulk path (features + pipelined writes). */
  bulkArticlesPerSecond: number | null;
  redis: string;
  note: string;
}

export interface StageSplit {
  jobs: number;
  /** Mean processedOn → finishedOn of one job, ms. */
  meanMs: number;
  /** Sum of the jobs' processing time, s (jobs run concurrently: may exceed the wall time). */
  totalSeconds: number;
  /** Share of the summed processing time of all stages. */
  share: number;
}

export interface PipelineRun {
  processes: number;
  cpuThreads: number | null;
  pinnedTo: string[] | null;
  articles: number;
  published: number;
  filtered: number;
  failed: number;
  seconds: number;
  articlesPerSecond: number;
  /** Average cores busy during the run: the worker processes, Redis, this harness (the page server). */
  coresBusy: Record<string, number>;
  stages: Record<string, StageSplit>;
  /** Dedupe decisions taken again under the index lock (a commit made meanwhile touched what they read). */
  retaken: number;
  /** Dedupe decisions committed as taken although a commit made meanwhile touched postings they read (it could not have changed them). */
  confirmed?: number;
}

export interface PipelineSection {
  oneCoreArticlesPerSecond: number | null;
  bothCoresArticlesPerSecond: number | null;
  twoProcessesArticlesPerSecond: number | null;
  runs: Record<string, PipelineRun | null>;
  /** articles/s of every run of each configuration, in round order (the figure is the fastest). */
  rounds: Record<string, number[]>;
  skipped: Skipped[];
  heldToOneCore: string;
  pages: string;
}

export interface MemorySection {
  /** `rssAfter<N>`: resident bytes of the worker process after N pages. */
  [key: `rssAfter${number}`]: number | null;
  samples: Array<{ pages: number; rss: number }>;
  cpuThreads: string;
  pages: string;
  note: string;
}

/** A section that could not run (its figures absent, each with the reason). */
export interface NotRun {
  notRun: string;
  skipped: Skipped[];
}

export function notRun(section: Section, opts: BenchOptions, reason: string): NotRun {
  return { notRun: reason, skipped: requiredKeys({ ...opts, only: [section] }).filter((k) => k.startsWith(`${section}.`)).map((key) => ({ key, reason })) };
}

const ran = <T extends object>(s: T | NotRun | undefined): T | undefined => (s && !('notRun' in s) ? s : undefined);

export interface BenchReport {
  date: string;
  node: string;
  cores: number;
  cpu: string | undefined;
  memoryGiB: number;
  commit: string | undefined;
  options: BenchOptions;
  /** bench/lib/host-probe.ts at the start and the end of the run: how fast this host ran plain JS then. */
  host?: { start: HostProbe; end?: HostProbe };
  seconds?: number;
  extraction?: ExtractionSection | NotRun;
  language?: LanguageSection | NotRun;
  dedupe?: DedupeSection | NotRun;
  pipeline?: PipelineSection | NotRun;
  memory?: MemorySection | NotRun;
  acceptance?: Acceptance[];
}

/** The keys a report made with `opts` must hold (a number, or null with a `skipped` entry). */
export function requiredKeys(opts: BenchOptions): string[] {
  const keys: string[] = ['cores', 'node', 'date'];
  const on = (s: Section): boolean => opts.only.includes(s);
  if (on('extraction')) keys.push('extraction.pagesPerSecond', 'extraction.baselinePagesPerSecond', 'extraction.f1', 'extraction.baselineF1');
  if (on('language')) keys.push('language.microsPerArticle', 'language.microsPerBlock');
  if (on('dedupe')) keys.push(...opts.dedupeSizes.map((n) => `dedupe.microsPerArticle.${n}`), 'dedupe.redisBytesPerArticle');
  if (on('pipeline')) keys.push('pipeline.oneCoreArticlesPerSecond', 'pipeline.bothCoresArticlesPerSecond', 'pipeline.twoProcessesArticlesPerSecond');
  if (on('memory')) keys.push(...opts.memoryPages.map((n) => `memory.rssAfter${n}`));
  return keys;
}

/** The value at a dotted key (`dedupe.microsPerArticle.10000`). */
export function valueAt(report: unknown, key: string): unknown {
  const [head, ...rest] = key.split('.');
  let v: unknown = (report as Record<string, unknown>)[head!];
  for (const part of rest) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** Keys missing, not a number, or null without a reason in their section's `skipped`. */
export function missingKeys(report: BenchReport, opts: BenchOptions): string[] {
  return requiredKeys(opts).filter((key) => {
    const v = valueAt(report, key);
    if (key === 'node' || key === 'date') return typeof v !== 'string' || !v;
    if (typeof v === 'number') return !Number.isFinite(v);
    if (v !== null && v !== undefined) return true;
    const section = valueAt(report, key.split('.')[0]!) as { skipped?: Skipped[] } | undefined;
    return !section?.skipped?.some((s) => s.key === key && s.reason);
  });
}

// ---------------------------------------------------------------- acceptance (issue 7)

export interface Acceptance {
  check: string;
  value: number | null;
  target: string;
  pass: boolean | null;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
}

function judge(check: string, value: number | null, target: string, ok: (v: number) => boolean): Acceptance {
  return { check, value: value === null ? null : Math.round(value * 1000) / 1000, target, pass: value === null ? null : ok(value) };
}

export function acceptance(r: BenchReport): Acceptance[] {
  const out: Acceptance[] = [];
  const ex = ran(r.extraction);
  if (ex) {
    out.push(judge('extraction: feedsift pages/s ÷ Readability on jsdom', ratio(ex.pagesPerSecond, ex.baselinePagesPerSecond), '≥ 5', (v) => v >= 5));
    out.push(judge('extraction: feedsift F1 − Readability F1', ex.f1 - ex.baselineF1, '≥ 0', (v) => v >= 0));
  }
  const p = ran(r.pipeline);
  if (p) {
    out.push(judge('pipeline: both cores ÷ one core', ratio(p.bothCoresArticlesPerSecond, p.oneCoreArticlesPerSecond), '≥ 1.7', (v) => v >= 1.7));
    out.push(judge('pipeline: two single-core processes ÷ one', ratio(p.twoProcessesArticlesPerSecond, p.oneCoreArticlesPerSecond), '≥ 1.7', (v) => v >= 1.7));
    if (ex) out.push(judge('pipeline: one core ÷ extraction pages/s (one core)', ratio(p.oneCoreArticlesPerSecond, ex.pagesPerSecond), '≥ 0.8', (v) => v >= 0.8));
  }
  const d = ran(r.dedupe);
  if (d) {
    const sizes = Object.keys(d.microsPerArticle).map(Number).sort((a, b) => a - b);
    const small = sizes[0];
    const large = sizes.at(-1);
    if (small !== undefined && large !== undefined && large !== small) {
      out.push(judge(`dedupe: µs/article at ${large} ÷ at ${small}`, ratio(d.microsPerArticle[large], d.microsPerArticle[small]), '≤ 2', (v) => v <= 2));
    }
    out.push(judge('dedupe: Redis bytes per indexed article', d.redisBytesPerArticle, '≤ 1024', (v) => v <= 1024));
  }
  const m = ran(r.memory);
  if (m) {
    const [first, last] = [r.options.memoryPages[0], r.options.memoryPages.at(-1)];
    if (first !== undefined && last !== undefined && first !== last) {
      out.push(judge(`memory: RSS after ${last} pages ÷ after ${first}`, ratio(m[`rssAfter${last}`], m[`rssAfter${first}`]), '≤ 1.2', (v) => v <= 1.2));
    }
  }
  return out;
}

// ---------------------------------------------------------------- the table

const fmt = (v: number | null | undefined, digits = 1): string => (typeof v === 'number' ? v.toFixed(digits) : '—');
const mib = (v: number | null | undefined): string => (typeof v === 'number' ? `${(v / 2 ** 20).toFixed(0)} MiB` : '—');
const times = (a: number | null | undefined, b: number | null | undefined): string => {
  const r = ratio(a, b);
  return r === null ? '' : `${r.toFixed(2)}×`;
};

/** The report as a plain-text table: each figure beside its baseline from the same run. */
export function renderTable(r: BenchReport): string {
  const rows: string[][] = [['section', 'figure', 'value', 'baseline (same run)', 'ratio']];
  const skipped: Skipped[] = [];
  const notes: string[] = [];
  for (const section of SECTIONS) {
    const v = r[section];
    if (v && 'notRun' in v) skipped.push(...v.skipped);
  }
  const ex = ran(r.extraction);
  if (ex) {
    rows.push(['extraction', `pages/s (feedsift@${ex.dom} vs Readability@jsdom, ${ex.pages} pages)`, fmt(ex.pagesPerSecond), fmt(ex.baselinePagesPerSecond), times(ex.pagesPerSecond, ex.baselinePagesPerSecond)]);
    rows.push(['extraction', 'F1', fmt(ex.f1, 4), fmt(ex.baselineF1, 4), '']);
  }
  const la = ran(r.language);
  if (la) {
    rows.push(['language', `µs/article (${la.articles} Zyte bodies vs raw CLD3 per block)`, fmt(la.microsPerArticle, 0), fmt(la.baselineMicrosPerArticle, 0), times(la.microsPerArticle, la.baselineMicrosPerArticle)]);
    rows.push(['language', `µs/block (${la.blocks} blocks)`, fmt(la.microsPerBlock, 0), fmt(la.baselineMicrosPerBlock, 0), times(la.microsPerBlock, la.baselineMicrosPerBlock)]);
  }
  const d = ran(r.dedupe);
  if (d) {
    const sizes = Object.keys(d.microsPerArticle).map(Number).sort((a, b) => a - b);
    const base = d.microsPerArticle[String(sizes[0])];
    for (const n of sizes) {
      rows.push(['dedupe', `µs/decide at ${n.toLocaleString('en')} indexed (baseline: at ${sizes[0]!.toLocaleString('en')})`, fmt(d.microsPerArticle[n], 0), fmt(base, 0), times(d.microsPerArticle[n], base)]);
    }
    rows.push(['dedupe', 'Redis bytes per indexed article', fmt(d.redisBytesPerArticle, 0), '1024 (target)', times(d.redisBytesPerArticle, 1024)]);
    for (const n of sizes) {
      const kinds = d.sizes[n]?.redisBytesByKind;
      if (kinds) notes.push(`dedupe at ${n.toLocaleString('en')} indexed: Redis bytes per article by key (MEMORY USAGE of a sample): ${Object.entries(kinds).map(([k, m]) => `${k} ${fmt(m.bytesPerArticle, 0)} (${m.keys.toLocaleString('en')} keys)`).join(', ')}`);
    }
    skipped.push(...d.skipped);
  }
  const p = ran(r.pipeline);
  if (p) {
    rows.push(['pipeline', 'articles/s, one process held to one core', fmt(p.oneCoreArticlesPerSecond, 2), '', '']);
    rows.push(['pipeline', 'articles/s, one process, both cores', fmt(p.bothCoresArticlesPerSecond, 2), fmt(p.oneCoreArticlesPerSecond, 2), times(p.bothCoresArticlesPerSecond, p.oneCoreArticlesPerSecond)]);
    rows.push(['pipeline', 'articles/s, two processes, one core each', fmt(p.twoProcessesArticlesPerSecond, 2), fmt(p.oneCoreArticlesPerSecond, 2), times(p.twoProcessesArticlesPerSecond, p.oneCoreArticlesPerSecond)]);
    for (const [name, run] of Object.entries(p.runs)) {
      if (!run) continue;
      const split = Object.entries(run.stages).map(([q, s]) => `${q} ${fmt(s.meanMs, 0)} ms (${Math.round(s.share * 100)} %)`).join(', ');
      notes.push(`pipeline ${name}: articles/s of its runs ${(p.rounds?.[name] ?? []).join(', ')} (the fastest kept); mean job time per stage: ${split}; cores busy: ${Object.entries(run.coresBusy).map(([k, v]) => `${k} ${v}`).join(', ')}; dedupe decisions retaken under the lock ${run.retaken ?? 0} of ${run.published} (confirmed as taken: ${run.confirmed ?? 0})`);
    }
    skipped.push(...p.skipped);
  }
  const m = ran(r.memory);
  if (m) {
    const first = r.options.memoryPages[0]!;
    for (const n of r.options.memoryPages) {
      rows.push(['memory', `worker RSS after ${n} pages`, mib(m[`rssAfter${n}`]), n === first ? '' : mib(m[`rssAfter${first}`]), n === first ? '' : times(m[`rssAfter${n}`], m[`rssAfter${first}`])]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((c, i) => (i >= 2 && i < 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  lines.push(...notes);
  for (const s of skipped) lines.push(`skipped ${s.key}: ${s.reason}`);
  if (r.acceptance?.length) {
    lines.push('', 'acceptance (issue 7):');
    for (const a of r.acceptance) lines.push(`  ${a.pass === null ? 'n/a ' : a.pass ? 'PASS' : 'FAIL'}  ${a.check}: ${a.value ?? '—'} (${a.target})`);
  }
  return lines.join('\n');
}
