// The dedupe index's per-article record in a compact binary form (~0.9 KB instead of ~2 KB of
// JSON; it is also the story member of an article that opened a story nothing joined yet), and
// how a stored record is compared with a new article.
//
// Terms, entities and headline terms are kept as 32-bit hashes (`termHash`), not strings; the
// document frequencies are counted under the same hashes (`dfKey`). A stored record is turned
// back into the `CompactFeatures` the scoring (dedupe.ts) takes *relative to the article it is
// compared with* (`resolveAgainst`): a stored hash that one of that article's terms has becomes
// that term's string (so shared terms and entities come out as words in the evidence), any
// other becomes a placeholder string that carries the hash (U+0001, then the hash in three
// private-use characters; the entity mark in front for entities) and is looked up in the
// frequencies by it. The scores are those of the
// strings unless two different strings share a 32-bit hash (about one pair in 4 × 10⁹).
// The MinHash signature keeps the low 8 bits of each of its 128 slots (b-bit MinHash, Li & König
// 2010): two slots compare equal when their full values do, and in 1 of 256 other cases, which
// the estimate corrects for (estimateJaccard); 128 bytes a record instead of 512 (or 256 at the
// 16 bits kept before version 2).
import { EMPTY_SLOT as EMPTY, MINHASH_SIZE, fnv1a32, type CompactFeatures } from './dedupe.ts';
import type { MatchLevel } from './dedupe.ts';
import { foldDiacritics } from './tokens.ts';

/** What the index keeps per article, decoded. */
export interface StoredArticle {
  id: string;
  /** Canonical URL. */
  url: string;
  storyId: string;
  /** The outlet and the publication date as the article gave it: its story member (a story of one member has no record of its own). */
  source: string;
  publishedAt: string | null;
  /** ms since the epoch: publication time when sane, else fetch time. */
  time: number;
  textHash: string;
  /** 32-bit hash of the article's guid key (exact guid level), or null without one. */
  guidHash: number | null;
  /** Content terms (hash, count), most distinctive first. */
  terms: Array<[number, number]>;
  /** Entities (hash), rarest first, and whether each is a language-neutral anchor (a number or a one-word name). */
  entities: number[];
  anchors: boolean[];
  /** Headline terms: hash of the term, hash of its first TITLE_PREFIX characters (absent: no headline). */
  titleTerms?: Array<[number, number]>;
  /**
   * Hash of the diacritic-folded form of each term (kept only with `language`: cross-language
   * matching looks a term up as `@` + that form). Stored only where it differs from the term's own
   * hash (a term with a diacritic): most terms have none, so a record keeps a few of these instead
   * of 4 bytes a term.
   */
  termFolds?: number[];
  /** Read from records of version 1 and 2 only: hash of `@` + the folded form of each term, in place of termFolds. */
  termAnchors?: number[];
  /** Low STORED_MINHASH_BITS bits of the 128 MinHash slots; null: the text had no words (every slot empty). */
  minhash: Uint8Array | null;
  language?: string;
  /** How this version was decided, for answering a re-delivered article once its decision record is gone. */
  decided: Decided;
}

export type Decided =
  | { kind: 'story' }
  | { kind: 'duplicate'; level: MatchLevel; score: number; threshold: number; matchedArticleId: string; matchedUrl: string }
  | { kind: 'update'; previousTextHash: string };

// ---------------------------------------------------------------- hashes

/** The 32-bit hash under which a term or entity is stored, posted and counted. */
export function termHash(s: string): number {
  let h = fnv1a32(s);
  // MurmurHash3's finaliser: FNV-1a alone leaves the low bits of short strings poorly mixed
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `h.toString(36)` of a 32-bit hash, in about a third of its time (keys of thousands of terms a decision). */
export function base36(h: number): string {
  let x = h >>> 0;
  let s = '';
  do {
    s = DIGITS[x % 36]! + s;
    x = Math.floor(x / 36);
  } while (x > 0);
  return s;
}

/**
 * The document-frequency key of a term, entity or placeholder string: the 32-bit hash it is
 * counted under (in Redis the field is `base36` of it).
 */
export function dfKey(term: string): number {
  // words never contain U+0001: a string whose fourth character from the end is one ends in a
  // placeholder (`placeholder`), the hash in its last three characters
  const n = term.length;
  if (n >= 4 && term.charCodeAt(n - 4) === 1) {
    return (((term.charCodeAt(n - 3) - PUA) << 22) | ((term.charCodeAt(n - 2) - PUA) << 11) | (term.charCodeAt(n - 1) - PUA)) >>> 0;
  }
  return termHash(term);
}

// Placeholders spell a hash in private-use characters (U+E000–U+E7FF): no surrogate, no mark, no
// letter, so no word matches one and no Unicode-aware step splits or folds one.
const PUA = 0xe000;

/** The placeholder of a 32-bit hash: the mark and 10 + 11 + 11 bits of the hash, each as U+E000 + bits. */
function placeholder(h: number): string {
  return String.fromCharCode(1, PUA + (h >>> 22), PUA + ((h >>> 11) & 0x7ff), PUA + (h & 0x7ff));
}

function prefixOf(term: string): string {
  return [...term].slice(0, TITLE_PREFIX_CHARS).join('');
}
// titleSimilarity (dedupe.ts) meets headline terms on their first five characters
const TITLE_PREFIX_CHARS = 5;

/** `@` + folded term: how a term is looked up as a cross-language anchor (dedupe.ts anchorVocabulary). */
function anchorForm(term: string): string {
  return `@${foldDiacritics(term)}`;
}

function isAnchor(e: string): boolean {
  return e.startsWith('#') || (e.startsWith('@') && !e.includes(' '));
}

// ---------------------------------------------------------------- encoding

// 3: a term's folded form is kept only where it differs from the term (2: 4 bytes a term, the hash
// of `@` + folded form); 2: the signature's slots are 8 bits (1 read: 16 bits, of which the low 8 are kept)
const VERSION = 3;
/** Bits of each MinHash slot a stored record keeps. */
export const STORED_MINHASH_BITS = 8;
const SLOT_MASK = (1 << STORED_MINHASH_BITS) - 1;
const LEVELS: MatchLevel[] = ['url', 'guid', 'text-hash', 'near-copy', 'rewrite'];
const F_STORY_SELF = 1;
const F_TITLE = 2;
const F_LANGUAGE = 4;
const F_EMPTY_SIG = 8;
const F_GUID = 16;
const F_DUPLICATE = 32;
const F_UPDATE = 64;
/** Version 3 record holding version-2 anchor hashes (a record read from an older index and written again). */
const F_LEGACY_ANCHORS = 128;

class Writer {
  private buf = Buffer.alloc(1024);
  private at = 0;
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16LE(v, this.at);
    this.at += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.at);
    this.at += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.at);
    this.at += 8;
  }
  varint(v: number): void {
    let x = v;
    while (x >= 0x80) {
      this.u8((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    this.u8(x);
  }
  bytes(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.at);
    this.at += b.length;
  }
  /** A string: 32 lower-case hex digits packed into 16 bytes, else its UTF-8 with a length. */
  str(s: string): void {
    if (/^[0-9a-f]{32}$/.test(s)) {
      this.u8(0);
      this.bytes(Buffer.from(s, 'hex'));
      return;
    }
    const b = Buffer.from(s, 'utf8');
    this.u8(1);
    this.varint(b.length);
    this.bytes(b);
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.at));
  }
}

class Reader {
  private at = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  u8(): number {
    return this.buf[this.at++]!;
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }
  varint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  }
  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  str(): string {
    if (this.u8() === 0) return this.bytes(16).toString('hex');
    return this.bytes(this.varint()).toString('utf8');
  }
}

/** The stored form of an article's compact features and identity (see StoredArticle). */
export function storedArticle(
  base: { id: string; url: string; storyId: string; source: string; publishedAt: string | null; time: number; guidKey: string | null },
  c: CompactFeatures,
  keepLanguage: boolean,
): StoredArticle {
  const language = keepLanguage && c.language ? c.language : undefined;
  return {
    id: base.id,
    url: base.url,
    storyId: base.storyId,
    source: base.source,
    publishedAt: base.publishedAt,
    time: base.time,
    textHash: c.textHash,
    guidHash: base.guidKey ? termHash(base.guidKey) : null,
    terms: c.terms.map(([t, tf]) => [termHash(t), tf]),
    entities: c.entities.map(termHash),
    anchors: c.entities.map(isAnchor),
    ...(c.titleTerms?.length ? { titleTerms: c.titleTerms.map((t): [number, number] => [termHash(t), termHash(prefixOf(t))]) } : {}),
    ...(language ? { language, termFolds: c.terms.map(([t]) => termHash(foldDiacritics(t))) } : {}),
    minhash: c.minhash.every((v) => v === EMPTY) ? null : Uint8Array.from(c.minhash, (v) => v & SLOT_MASK),
    decided: { kind: 'story' },
  };
}

export function encodeArticle(a: StoredArticle): Buffer {
  const w = new Writer();
  w.u8(VERSION);
  const flags =
    (a.storyId === a.id ? F_STORY_SELF : 0) |
    (a.titleTerms ? F_TITLE : 0) |
    (a.language ? F_LANGUAGE : 0) |
    (a.minhash ? 0 : F_EMPTY_SIG) |
    (a.guidHash !== null ? F_GUID : 0) |
    (a.decided.kind === 'duplicate' ? F_DUPLICATE : 0) |
    (a.decided.kind === 'update' ? F_UPDATE : 0) |
    (a.language && !a.termFolds && a.termAnchors ? F_LEGACY_ANCHORS : 0);
  w.u8(flags);
  w.f64(a.time);
  w.str(a.id);
  if (a.storyId !== a.id) w.str(a.storyId);
  w.str(a.url);
  w.str(a.source);
  const published = a.publishedAt === null ? Number.NaN : Date.parse(a.publishedAt);
  if (a.publishedAt === null) w.u8(0);
  else if (Number.isFinite(published) && new Date(published).toISOString() === a.publishedAt) {
    w.u8(1);
    w.f64(published);
  } else {
    w.u8(2);
    w.str(a.publishedAt);
  }
  w.bytes(Buffer.from(a.textHash, 'hex'));
  if (a.guidHash !== null) w.u32(a.guidHash);
  if (a.language) w.str(a.language);
  w.varint(a.terms.length);
  for (const [h] of a.terms) w.u32(h);
  for (const [, tf] of a.terms) w.varint(tf);
  w.varint(a.entities.length);
  for (const h of a.entities) w.u32(h);
  for (let i = 0; i < a.entities.length; i += 8) {
    let bits = 0;
    for (let j = 0; j < 8 && i + j < a.entities.length; j++) if (a.anchors[i + j]) bits |= 1 << j;
    w.u8(bits);
  }
  if (a.titleTerms) {
    // a headline term is most often one of the terms (its index then), and a short one is its own prefix
    w.varint(a.titleTerms.length);
    for (const [h, p] of a.titleTerms) {
      const at = a.terms.findIndex(([t]) => t === h) + 1;
      const index = at > 0 && at < 0x80 ? at : 0;
      w.u8(index | (p !== h ? 0x80 : 0));
      if (!index) w.u32(h);
      if (p !== h) w.u32(p);
    }
  }
  if (a.language) {
    if (a.termFolds) {
      // the terms whose folded form is another string (its index, its hash)
      const differ = a.terms.flatMap(([h], i) => (a.termFolds![i] !== undefined && a.termFolds![i] !== h ? [i] : []));
      w.varint(differ.length);
      for (const i of differ) {
        w.varint(i);
        w.u32(a.termFolds[i]!);
      }
    } else {
      for (const h of a.termAnchors ?? a.terms.map(() => 0)) w.u32(h);
    }
  }
  if (a.minhash) for (const v of a.minhash) w.u8(v);
  if (a.decided.kind === 'duplicate') {
    w.u8(LEVELS.indexOf(a.decided.level));
    w.f64(a.decided.score);
    w.f64(a.decided.threshold);
    w.str(a.decided.matchedArticleId);
    w.str(a.decided.matchedUrl);
  } else if (a.decided.kind === 'update') {
    w.bytes(Buffer.from(a.decided.previousTextHash, 'hex'));
  }
  return w.done();
}

export function decodeArticle(buf: Buffer): StoredArticle {
  const r = new Reader(buf);
  const version = r.u8();
  if (version > VERSION || version < 1) throw new Error(`dedupe: stored article of unknown version ${version}`);
  const flags = r.u8();
  const time = r.f64();
  const id = r.str();
  const storyId = flags & F_STORY_SELF ? id : r.str();
  const url = r.str();
  const source = r.str();
  const publishedTag = r.u8();
  const publishedAt = publishedTag === 0 ? null : publishedTag === 1 ? new Date(r.f64()).toISOString() : r.str();
  const textHash = r.bytes(32).toString('hex');
  const guidHash = flags & F_GUID ? r.u32() : null;
  const language = flags & F_LANGUAGE ? r.str() : undefined;
  // plain loops into arrays of their final length: a decision decodes ~50 records
  const nTerms = r.varint();
  const terms = new Array<[number, number]>(nTerms);
  for (let i = 0; i < nTerms; i++) terms[i] = [r.u32(), 0];
  for (let i = 0; i < nTerms; i++) terms[i]![1] = r.varint();
  const nEnt = r.varint();
  const entities = new Array<number>(nEnt);
  for (let i = 0; i < nEnt; i++) entities[i] = r.u32();
  const anchors = new Array<boolean>(nEnt);
  for (let i = 0; i < nEnt; i += 8) {
    const bits = r.u8();
    for (let j = 0; j < 8 && i + j < nEnt; j++) anchors[i + j] = ((bits >> j) & 1) === 1;
  }
  let titleTerms: Array<[number, number]> | undefined;
  if (flags & F_TITLE) {
    const n = r.varint();
    titleTerms = new Array<[number, number]>(n);
    for (let i = 0; i < n; i++) {
      const code = r.u8();
      const index = code & 0x7f;
      const h = index ? terms[index - 1]![0] : r.u32();
      titleTerms[i] = [h, code & 0x80 ? r.u32() : h];
    }
  }
  let termFolds: number[] | undefined;
  let termAnchors: number[] | undefined;
  if (language && version >= 3 && !(flags & F_LEGACY_ANCHORS)) {
    termFolds = terms.map(([h]) => h);
    for (let k = r.varint(); k > 0; k--) {
      const i = r.varint();
      if (i >= nTerms) throw new Error(`dedupe: stored article: folded form of term ${i} of ${nTerms}`);
      termFolds[i] = r.u32();
    }
  } else if (language) {
    termAnchors = new Array<number>(nTerms);
    for (let i = 0; i < nTerms; i++) termAnchors[i] = r.u32();
  }
  let minhash: Uint8Array | null = null;
  if (!(flags & F_EMPTY_SIG)) {
    minhash = new Uint8Array(MINHASH_SIZE);
    if (version === 1) for (let i = 0; i < MINHASH_SIZE; i++) minhash[i] = r.u16() & SLOT_MASK;
    else minhash.set(r.bytes(MINHASH_SIZE));
  }
  let decided: Decided = { kind: 'story' };
  if (flags & F_DUPLICATE) {
    const level = LEVELS[r.u8()]!;
    decided = { kind: 'duplicate', level, score: r.f64(), threshold: r.f64(), matchedArticleId: r.str(), matchedUrl: r.str() };
  } else if (flags & F_UPDATE) {
    decided = { kind: 'update', previousTextHash: r.bytes(32).toString('hex') };
  }
  return {
    id,
    url,
    storyId,
    source,
    publishedAt,
    time,
    textHash,
    guidHash,
    terms,
    entities,
    anchors,
    ...(titleTerms ? { titleTerms } : {}),
    ...(language ? { language, ...(termFolds ? { termFolds } : { termAnchors: termAnchors! }) } : {}),
    minhash,
    decided,
  };
}

// ---------------------------------------------------------------- comparing

/** A new article's strings by hash, to give a stored record's hashes back their words. */
export class Vocabulary {
  readonly terms = new Map<number, string>();
  readonly entities = new Map<number, string>();
  /** Anchor strings (entities, and `@` + folded terms) by hash. */
  readonly anchorForms = new Map<number, string>();
  /** Headline terms' five-character prefixes by hash. */
  readonly prefixes = new Map<number, string>();
  private folded: Map<number, string> | undefined;
  private readonly features: CompactFeatures;
  /** The signature as stored records hold it: the low STORED_MINHASH_BITS bits, empty slots kept apart. */
  readonly minhash: number[];

  /** The article's features as they are compared with stored records: its signature cut as theirs are. */
  mine(c: CompactFeatures): CompactFeatures {
    return { ...c, minhash: this.minhash, minhashBits: STORED_MINHASH_BITS };
  }

  /**
   * Anchor strings by the hash of what follows their `@`: `@` + folded term by the folded term's
   * hash, `@` entities by their name's. A stored term's folded hash (StoredArticle.termFolds)
   * finds here the anchor string the article has for it. Made when first asked for (only
   * cross-language records ask).
   */
  get foldedAnchors(): Map<number, string> {
    if (this.folded) return this.folded;
    const m = new Map<number, string>();
    for (const e of this.features.entities) if (e.startsWith('@')) m.set(termHash(e.slice(1)), e);
    for (const [t] of this.features.terms) {
      const f = foldDiacritics(t);
      m.set(termHash(f), `@${f}`);
    }
    this.folded = m;
    return m;
  }

  constructor(c: CompactFeatures) {
    this.features = c;
    for (const [t] of c.terms) this.terms.set(termHash(t), t);
    for (const t of c.titleTerms ?? []) {
      this.terms.set(termHash(t), t);
      const p = prefixOf(t);
      if ([...p].length === TITLE_PREFIX_CHARS) this.prefixes.set(termHash(p), p);
    }
    for (const e of c.entities) {
      this.entities.set(termHash(e), e);
      this.anchorForms.set(termHash(e), e);
    }
    for (const [t] of c.terms) {
      const a = anchorForm(t);
      this.anchorForms.set(termHash(a), a);
    }
    this.minhash = c.minhash.map((v) => (v === EMPTY ? EMPTY : v & SLOT_MASK));
  }
}

// four private-use characters spelling a 32-bit hash: a placeholder's five-character prefix
function prefixPlaceholder(p: number): string {
  return `\u0002${String.fromCharCode(0xe000 + (p >>> 24), 0xe000 + ((p >>> 16) & 0xff), 0xe000 + ((p >>> 8) & 0xff), 0xe000 + (p & 0xff))}`;
}

/**
 * The stored record as the scoring's CompactFeatures, its hashes given the words of the article
 * it is compared with (`v`) where they share them, placeholders elsewhere; the signature is the
 * stored one (`minhashBits`): compare it with `v.mine(...)`'s.
 */
export function resolveAgainst(s: StoredArticle, v: Vocabulary): CompactFeatures {
  const ph = unresolved(s);
  const out: CompactFeatures = {
    terms: s.terms.map(([h, tf], i) => [v.terms.get(h) ?? ph.terms[i]!, tf]),
    entities: s.entities.map((h, i) => v.entities.get(h) ?? v.anchorForms.get(h) ?? ph.entities[i]!),
    minhash: storedSignature(s),
    minhashBits: STORED_MINHASH_BITS,
    textHash: s.textHash,
  };
  if (s.titleTerms?.length) {
    out.titleTerms = s.titleTerms.map(([h, p], i) => {
      const known = v.terms.get(h);
      if (known !== undefined) return known;
      const prefix = v.prefixes.get(p);
      return `${prefix ?? prefixPlaceholder(p)}${ph.titleTerms[i]!}`;
    });
  }
  if (s.language) {
    out.language = s.language;
    // anchorVocabulary adds `@` + folded term for each term: give the placeholder terms their anchor forms
    out.termAnchorForms = s.termFolds
      ? s.termFolds.map((h, i) => v.foldedAnchors.get(h) ?? ph.anchors[i]!)
      : (s.termAnchors ?? []).map((h, i) => v.anchorForms.get(h) ?? ph.anchors[i]!);
  }
  return out;
}

// made once per decoded record (resolveShared and resolveAgainst both take it); shared, never changed
const SIGNATURES = new WeakMap<StoredArticle, number[]>();

/** A record's signature as the scoring takes it (every slot empty when the text had no words). */
function storedSignature(s: StoredArticle): number[] {
  let sig = SIGNATURES.get(s);
  if (!sig) SIGNATURES.set(s, (sig = s.minhash ? Array.from(s.minhash) : new Array<number>(MINHASH_SIZE).fill(EMPTY)));
  return sig;
}

/** The placeholder strings of a record's hashes (what they resolve to against an article that has none of them). */
interface Unresolved {
  terms: string[];
  /** With the entity's mark: `@` for an anchor, `"` for another entity. */
  entities: string[];
  titleTerms: string[];
  anchors: string[];
}
// made once per decoded record: within a decision a record may be resolved more than once
const UNRESOLVED = new WeakMap<StoredArticle, Unresolved>();

function unresolved(s: StoredArticle): Unresolved {
  let u = UNRESOLVED.get(s);
  if (u) return u;
  u = {
    terms: s.terms.map(([h]) => placeholder(h)),
    entities: s.entities.map((h, i) => `${s.anchors[i] ? '@' : '"'}${placeholder(h)}`),
    titleTerms: (s.titleTerms ?? []).map(([h]) => placeholder(h)),
    anchors: (s.termFolds ?? s.termAnchors ?? []).map((h) => `@${placeholder(h)}`),
  };
  UNRESOLVED.set(s, u);
  return u;
}

/** The document-frequency keys (`dfKey`) of a stored article's terms and entities (its headline terms' are not read for it: they never were). */
export function recordTermKeys(s: StoredArticle): number[] {
  const out = new Array<number>(s.terms.length + s.entities.length);
  s.terms.forEach(([h], i) => (out[i] = h));
  s.entities.forEach((h, i) => (out[s.terms.length + i] = h));
  return out;
}

/**
 * What a stored record shares with the article of `v`, for the decisions that look at nothing
 * else (dedupe-index.ts `mayMatter`): its terms and entities that resolve to the article's words,
 * as `resolveAgainst` resolves them and in its order, without the placeholders of the others; its
 * signature, language and text hash. Headline terms and anchor forms are left out.
 */
export function resolveShared(s: StoredArticle, v: Vocabulary): CompactFeatures {
  const terms: Array<[string, number]> = [];
  for (const [h, tf] of s.terms) {
    const t = v.terms.get(h);
    if (t !== undefined) terms.push([t, tf]);
  }
  const entities: string[] = [];
  for (const h of s.entities) {
    const e = v.entities.get(h) ?? v.anchorForms.get(h);
    if (e !== undefined) entities.push(e);
  }
  return {
    terms,
    entities,
    minhash: storedSignature(s),
    minhashBits: STORED_MINHASH_BITS,
    textHash: s.textHash,
    ...(s.language ? { language: s.language } : {}),
  };
}
