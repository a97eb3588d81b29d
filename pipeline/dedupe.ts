// Story deduplication, the pure part: the features of an article and how alike two are.
// Three levels, cheapest first:
//  - exact: same canonical URL, same guid, or the same text once case, punctuation and spacing
//    are folded (`textHash`);
//  - near copy: MinHash over word 5-shingles estimates their Jaccard; LSH bands find candidates;
//  - rewrite: outlets retell a wire or newspaper story in their own words, so shingles share
//    almost nothing (0.01–0.05 on the founding case) while the distinctive words and the names,
//    numbers and quotes survive. A tf-idf cosine over content terms plus an idf-weighted overlap of
//    entities, with idf learned from the stream (see `idf` for the prior).
// The Redis side (candidate retrieval, locking, storage) is dedupe-index.ts.
import type { CleanArticle, Evidence } from './records.ts';
import { contentTerms, entities, foldText, words } from './tokens.ts';
import { displayHost, sha256Hex } from './url.ts';

// ---------------------------------------------------------------- thresholds

/**
 * Decision thresholds, calibrated with scripts/eval-dedupe.ts; the figures behind each value
 * are in its comment.
 */
export const THRESHOLDS = Object.freeze({
  /** Estimated 5-shingle Jaccard at or above which two texts are near copies (same text, edits). */
  nearCopy: 0.5,
  /**
   * Combined rewrite score at or above which two articles tell the same story. Measured
   * (scripts/eval-dedupe.ts): the ten seed pairs score 0.336–0.602 over three idf states (empty
   * index, seeds first, after 181 unrelated articles); seed vs any of the 181 Zyte articles at most
   * 0.234 (empty index) / 0.165 (after them). 0.28 sits in the middle of that gap.
   */
  rewrite: 0.28,
  /**
   * Between two articles of the same site (host): an outlet does not rewrite its own story, but its
   * pages share boilerplate (an "about us" paragraph, a byline box), which lifted two unrelated
   * press releases of one company to 0.535. Same-site pairs need near-copy level or this score.
   */
  rewriteSameSite: 0.6,
});

/** Weight of the term cosine in the rewrite score; the rest goes to the entity overlap. */
export const TERM_WEIGHT = 0.5;
/**
 * The rewrite level also needs this term cosine: the same people and places in different events
 * (a Spanish news-pairs "different" pair: entities 0.49, cosine 0.12) are not one story. The seed
 * pairs have cosine ≥ 0.308, news-pairs same-story merges ≥ 0.15.
 */
export const MIN_REWRITE_COSINE = 0.15;
/** Below this many shared entities the entity score is scaled down proportionally. */
export const MIN_SHARED_ENTITIES = 3;

export const MINHASH_SIZE = 128;
/** 32 bands of 4 rows: a pair with Jaccard 0.5 shares a band with probability 0.87, at 0.6 with 0.99. */
export const LSH_BANDS = 32;
export const SHINGLE_WORDS = 5;
/** Terms kept per article (the stored, compact vector), most distinctive first. */
export const DEFAULT_MAX_TERMS = 80;
/** Entities kept per article, rarest first. */
export const MAX_ENTITIES = 60;
export const DEFAULT_WINDOW_HOURS = 72;

// ---------------------------------------------------------------- exact level

/** SHA-256 of the text folded to NFKC, lower case, punctuation and whitespace as single spaces. */
export function textHash(text: string): string {
  return sha256Hex(foldText(text));
}

// ---------------------------------------------------------------- near-copy level

/** FNV-1a over the UTF-16 code units: the base hash of a shingle. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finaliser: a good avalanche from a few multiplications and shifts. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// The hash family: h_i(x) = fmix32(x XOR seed_i), seeds fixed so signatures are comparable
// across processes and releases.
const SEEDS = Uint32Array.from({ length: MINHASH_SIZE }, (_, i) => fmix32(Math.imul(i + 1, 0x9e3779b9)));

/** MinHash signature of a sequence of words, over its `SHINGLE_WORDS`-word shingles. */
export function minhash(wordSeq: readonly string[]): number[] {
  const sig = new Array<number>(MINHASH_SIZE).fill(0xffffffff);
  const n = wordSeq.length;
  if (n === 0) return sig;
  const count = Math.max(1, n - SHINGLE_WORDS + 1);
  for (let s = 0; s < count; s++) {
    const base = fnv1a32(wordSeq.slice(s, s + SHINGLE_WORDS).join(' '));
    for (let i = 0; i < MINHASH_SIZE; i++) {
      const h = fmix32(base ^ SEEDS[i]!);
      if (h < sig[i]!) sig[i] = h;
    }
  }
  return sig;
}

/** Share of equal slots: an unbiased estimate of the shingle Jaccard (±0.045 at 128 slots, J=0.5). */
export function estimateJaccard(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i] && a[i] !== 0xffffffff) same++;
  return same / a.length;
}

/** LSH band keys (`band:hex`) of a signature: two signatures sharing one are candidates. */
export function lshBands(sig: readonly number[], bands = LSH_BANDS): string[] {
  const rows = Math.floor(sig.length / bands);
  const out: string[] = [];
  for (let b = 0; b < bands; b++) {
    const slice = sig.slice(b * rows, (b + 1) * rows);
    if (slice.every((v) => v === 0xffffffff)) continue;
    out.push(`${b}:${fnv1a32(slice.join(',')).toString(16)}`);
  }
  return out;
}

// ---------------------------------------------------------------- features

/** Everything dedupe needs to know about an article's text. */
export interface TextFeatures {
  textHash: string;
  minhash: number[];
  /** Content term → count in title + text. */
  termCounts: Map<string, number>;
  /** Numbers, names and quoted phrases (see tokens.ts `entities`). */
  entities: string[];
  wordCount: number;
}

export function textFeatures(input: { title?: string | null; text: string; language?: string | null }): TextFeatures {
  const language = input.language ?? undefined;
  const bodyTokens = words(input.text, language);
  // the headline is part of what the story is about; it is not part of the text hash or shingles
  const titleTokens = input.title ? words(input.title, language) : [];
  const termCounts = new Map<string, number>();
  for (const t of contentTerms([...titleTokens, ...bodyTokens], language)) {
    termCounts.set(t, (termCounts.get(t) ?? 0) + 1);
  }
  const entityList = entities(bodyTokens, input.text, language);
  if (input.title) {
    for (const e of entities(titleTokens, input.title, language)) if (!entityList.includes(e)) entityList.push(e);
  }
  return {
    textHash: textHash(input.text),
    minhash: minhash(bodyTokens.map((t) => t.norm)),
    termCounts,
    entities: entityList,
    wordCount: bodyTokens.length,
  };
}

export function articleTextFeatures(article: Pick<CleanArticle, 'title' | 'text' | 'language'>): TextFeatures {
  return textFeatures(article);
}

// ---------------------------------------------------------------- idf

/** Document frequencies learned from the stream (stories seen, not copies). */
export interface DocumentFrequencies {
  /** How many documents (stories) have been counted. */
  readonly docCount: number;
  /** In how many of them the term or entity occurs (0 when unknown). */
  df(term: string): number;
}

/**
 * The prior: before the stream has taught us anything, every term is treated as if it had been
 * seen in a pseudo-corpus of `PRIOR_DOCS` documents with a base rate (content words 5 %, entities
 * 2 %; stopwords never get here). It keeps idf finite and moderate on an empty index, stops the
 * very first copies of a story from sending their shared words to idf ≈ 0 (the founding case:
 * five seeds may be the first five articles), and fades as real counts accumulate.
 */
export const PRIOR_DOCS = 40;
const PRIOR_RATE_TERM = 0.05;
const PRIOR_RATE_ENTITY = 0.02;

export function isEntityKey(term: string): boolean {
  const c = term.charCodeAt(0);
  return c === 0x23 /* # */ || c === 0x40 /* @ */ || c === 0x22 /* " */;
}

/** Smoothed inverse document frequency: ln((N + N0 + 1) / (df + N0·rate + 1)) + 1 (never below 1). */
export function idf(term: string, dfs: DocumentFrequencies): number {
  const rate = isEntityKey(term) ? PRIOR_RATE_ENTITY : PRIOR_RATE_TERM;
  const n = dfs.docCount + PRIOR_DOCS + 1;
  const df = Math.min(dfs.df(term), dfs.docCount) + PRIOR_DOCS * rate + 1;
  return Math.log(n / df) + 1;
}

/** Document frequencies held in memory (evaluation, tests, a single process). */
export class MemoryDocumentFrequencies implements DocumentFrequencies {
  docCount = 0;
  private readonly counts = new Map<string, number>();
  df(term: string): number {
    return this.counts.get(term) ?? 0;
  }
  /** Count one document's distinct terms and entities. */
  add(keys: Iterable<string>): void {
    this.docCount++;
    for (const k of new Set(keys)) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
}

// ---------------------------------------------------------------- compact features

/** What the index stores per article: bounded, whatever the article's length. */
export interface CompactFeatures {
  /** Top terms with their counts, most distinctive (tf × idf at storage time) first. */
  terms: Array<[string, number]>;
  /** Entities, rarest first. */
  entities: string[];
  minhash: number[];
  textHash: string;
}

/** Keep the `maxTerms` most distinctive terms and the `MAX_ENTITIES` rarest entities. */
export function compactFeatures(
  f: TextFeatures,
  dfs: DocumentFrequencies,
  maxTerms = DEFAULT_MAX_TERMS,
): CompactFeatures {
  const terms = [...f.termCounts]
    .map(([t, tf]) => ({ t, tf, w: termWeight(tf) * idf(t, dfs) }))
    .sort((x, y) => y.w - x.w || (x.t < y.t ? -1 : 1))
    .slice(0, maxTerms)
    .map(({ t, tf }): [string, number] => [t, tf]);
  const ents = f.entities
    .map((e) => ({ e, w: idf(e, dfs) }))
    .sort((x, y) => y.w - x.w || (x.e < y.e ? -1 : 1))
    .slice(0, MAX_ENTITIES)
    .map(({ e }) => e);
  return { terms, entities: ents, minhash: f.minhash, textHash: f.textHash };
}

/** Sub-linear term frequency: a word said ten times is not ten times the evidence. */
function termWeight(tf: number): number {
  return tf > 0 ? 1 + Math.log(tf) : 0;
}

// ---------------------------------------------------------------- rewrite level

export interface RewriteScore {
  /** TERM_WEIGHT × cosine + (1 − TERM_WEIGHT) × entityScore. */
  score: number;
  /** Cosine of the tf-idf vectors over the kept terms. */
  cosine: number;
  /** Cosine of the idf-weighted entity sets. */
  entityScore: number;
  /** Shared terms, highest contribution first. */
  sharedTerms: string[];
  /** Shared entities, rarest first, without their type marks. */
  sharedEntities: string[];
}

export function rewriteScore(a: CompactFeatures, b: CompactFeatures, dfs: DocumentFrequencies): RewriteScore {
  const cache = new Map<string, number>();
  const w = (t: string): number => {
    let v = cache.get(t);
    if (v === undefined) cache.set(t, (v = idf(t, dfs)));
    return v;
  };
  const va = new Map(a.terms.map(([t, tf]) => [t, termWeight(tf) * w(t)]));
  let dot = 0;
  let nb = 0;
  const shared: Array<[string, number]> = [];
  for (const [t, tf] of b.terms) {
    const x = termWeight(tf) * w(t);
    nb += x * x;
    const y = va.get(t);
    if (y !== undefined) {
      dot += x * y;
      shared.push([t, x * y]);
    }
  }
  let na = 0;
  for (const y of va.values()) na += y * y;
  const cosine = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;

  const setA = new Set(a.entities);
  let ea = 0;
  let eb = 0;
  let edot = 0;
  const sharedEnt: Array<[string, number]> = [];
  for (const e of a.entities) ea += w(e) ** 2;
  for (const e of b.entities) {
    const x = w(e) ** 2;
    eb += x;
    if (setA.has(e)) {
      edot += x;
      sharedEnt.push([e, x]);
    }
  }
  // a name or two in common is what any two articles of the same week may share: the entity
  // evidence only counts in full from MIN_SHARED_ENTITIES shared entities on
  const damp = Math.min(1, sharedEnt.length / MIN_SHARED_ENTITIES);
  const entityScore = ea > 0 && eb > 0 ? (damp * edot) / Math.sqrt(ea * eb) : 0;
  return {
    score: TERM_WEIGHT * cosine + (1 - TERM_WEIGHT) * entityScore,
    cosine,
    entityScore,
    sharedTerms: shared.sort((x, y) => y[1] - x[1]).slice(0, 12).map(([t]) => t),
    sharedEntities: sharedEnt.sort((x, y) => y[1] - x[1]).slice(0, 12).map(([e]) => displayEntity(e)),
  };
}

/** `@pete hegseth` → `pete hegseth`, `#11000000` → `11000000`, `"strategic enablers` → `"strategic enablers"`. */
export function displayEntity(e: string): string {
  if (e.startsWith('"')) return `${e}"`;
  return e.slice(1);
}

// ---------------------------------------------------------------- time window

/** The time an article is placed at: its publication time when sane, else when we fetched it. */
export function articleTime(a: Pick<CleanArticle, 'publishedAt' | 'fetchedAt'>): number {
  const fetched = Date.parse(a.fetchedAt);
  const published = a.publishedAt ? Date.parse(a.publishedAt) : Number.NaN;
  // a publication date far after the fetch is a broken feed, not a time machine
  if (Number.isFinite(published) && (!Number.isFinite(fetched) || published <= fetched + 86_400_000)) {
    return published;
  }
  return Number.isFinite(fetched) ? fetched : 0;
}

/** Both URLs on the same host (ignoring a leading `www.`)? */
export function sameSite(urlA: string, urlB: string): boolean {
  return displayHost(urlA) === displayHost(urlB);
}

export function withinWindow(t1: number, t2: number, windowHours: number): boolean {
  return Math.abs(t1 - t2) <= windowHours * 3_600_000;
}

// ---------------------------------------------------------------- the pairwise decision

export type MatchLevel = Evidence['level'];

export interface PairMatch {
  level: MatchLevel;
  score: number;
  threshold: number;
  sharedTerms: string[];
  sharedEntities: string[];
}

/**
 * The content levels (text hash, near copy, rewrite) between two articles' compact features, or
 * null when they are different stories. URL and guid equality are the index's business.
 */
export function matchContent(
  a: CompactFeatures,
  b: CompactFeatures,
  dfs: DocumentFrequencies,
  opts: { sameSite?: boolean } = {},
): PairMatch | null {
  if (a.textHash === b.textHash) {
    return { level: 'text-hash', score: 1, threshold: 1, sharedTerms: [], sharedEntities: [] };
  }
  const jaccard = estimateJaccard(a.minhash, b.minhash);
  const rewrite = rewriteScore(a, b, dfs);
  if (jaccard >= THRESHOLDS.nearCopy) {
    return {
      level: 'near-copy',
      score: jaccard,
      threshold: THRESHOLDS.nearCopy,
      sharedTerms: rewrite.sharedTerms,
      sharedEntities: rewrite.sharedEntities,
    };
  }
  const threshold = opts.sameSite ? THRESHOLDS.rewriteSameSite : THRESHOLDS.rewrite;
  if (rewrite.score >= threshold && rewrite.cosine >= MIN_REWRITE_COSINE) {
    return {
      level: 'rewrite',
      score: rewrite.score,
      threshold,
      sharedTerms: rewrite.sharedTerms,
      sharedEntities: rewrite.sharedEntities,
    };
  }
  return null;
}
