// The dedupe index: is this article a new story, a copy of one seen within the window, or an
// edited version of an article already indexed? The pure scoring is dedupe.ts; this file
// retrieves candidates without scanning (exact pointers, LSH band buckets, an inverted index of
// each article's most distinctive terms and entities), keeps document frequencies for idf and the
// story records, and takes one decision at a time per index. The state lives behind the
// `DedupeStore` interface (dedupe-store.ts): `DedupeIndex` on Redis, shared by every worker;
// `MemoryDedupeIndex` in memory for the command line and the evaluation — one decision code path.
import type { Redis } from 'ioredis';
import {
  articleTime,
  compactFeatures,
  DEFAULT_MAX_TERMS,
  DEFAULT_WINDOW_HOURS,
  estimateJaccard,
  idf,
  lshBands,
  matchContent,
  rewriteScore,
  sameSite,
  textFeatures,
  withinWindow,
  type CompactFeatures,
  type DocumentFrequencies,
  type MatchLevel,
  type PairMatch,
  type TextFeatures,
} from './dedupe.ts';
import { MemoryDedupeStore } from './dedupe-memory-store.ts';
import {
  DOCS_FIELD,
  RedisDedupeStore,
  type DedupeStore,
  type IndexWrites,
  type StoredArticle,
  type StoryMember,
  type StoryRecordState,
} from './dedupe-store.ts';
import type { CleanArticle, Evidence, StorySummary } from './records.ts';
import { sha256Hex } from './url.ts';

export type { StoryMember, StoryRecordState } from './dedupe-store.ts';

/** A guid match needs at least this estimated 5-shingle Jaccard between the texts (guids get reused). */
export const GUID_MIN_JACCARD = 0.3;
/** Members kept in a story record by default; the rest are counted in `memberCount`. */
export const DEFAULT_MAX_STORY_MEMBERS = 200;

export interface IndexOptions {
  /** Articles further apart in time than this never match. Default 72. */
  windowHours: number;
  /** Terms stored per article (the compact vector). Default 80. */
  maxTermsPerArticle?: number;
  /** Candidates scored at the rewrite level, best inverted-index hits first. Default 50. */
  maxCandidates?: number;
  /** Members (and distinct outlets) kept per story record. Default 200. */
  maxStoryMembers?: number;
  /**
   * Link copies across languages on shared names, numbers and countries. Default false: on the
   * Zyte week it also merged same-topic pages in two languages (an Italian Black Friday list with
   * an English MacBook-deals page), pairwise precision 0.776 → 0.717; see README › Measured.
   */
  crossLanguage?: boolean;
}

export interface DedupeOptions extends IndexOptions {
  /** Key prefix, e.g. 'feedsift'; keys are `${prefix}:{dedupe}:…`. */
  prefix: string;
  /** How long a holder may keep the decision lock before Redis frees it. Default 10 000 ms. */
  lockTtlMs?: number;
  /** How long `decide` waits for the lock before failing with a retryable error. Default 30 000 ms. */
  lockWaitMs?: number;
}

export type DedupeDecision =
  | { kind: 'story'; articleId: string; storyId: string; story: StorySummary }
  | { kind: 'duplicate'; articleId: string; storyId: string; similarity: number; evidence: Evidence; story: StorySummary }
  /** The same article (same id, i.e. canonical URL) seen again with edited text. */
  | { kind: 'update'; articleId: string; storyId: string; previousTextHash: string; story: StorySummary };

/** How close an article comes to one indexed article, whatever the decision (`feedsift compare`). */
export interface PairScore {
  /** The level and score the decision would take against this article alone, or null: no match. */
  match: PairMatch | null;
  /** The rewrite score (term cosine and entity overlap), computed for every pair. */
  rewrite: number;
  /** Estimated 5-shingle Jaccard. */
  jaccard: number;
}

// Terms and entities of an article posted to (and queried in) the inverted index.
const POSTED_TERMS = 30;
const POSTED_ENTITIES = 20;
// Postings read per key: the most recent ones; a term so common that more than this many
// articles in the window carry it is not what finds a story's copies.
const POSTING_READ_LIMIT = 200;
// Distinct terms counted into the document frequencies per story (most frequent first).
const DF_TERMS_PER_STORY = 400;

const LEVEL_RANK: Record<MatchLevel, number> = { url: 5, guid: 4, 'text-hash': 3, 'near-copy': 2, rewrite: 1 };

type Best = { candidate: StoredArticle; match: PairMatch } | null;

/** The decision, against any store. */
export class StoryIndex {
  protected readonly store: DedupeStore;
  private readonly opts: Required<IndexOptions>;

  constructor(store: DedupeStore, opts: IndexOptions) {
    this.store = store;
    this.opts = {
      maxTermsPerArticle: DEFAULT_MAX_TERMS,
      maxCandidates: 50,
      maxStoryMembers: DEFAULT_MAX_STORY_MEMBERS,
      ...opts,
      crossLanguage: opts.crossLanguage ?? false,
      windowHours: opts.windowHours > 0 ? opts.windowHours : DEFAULT_WINDOW_HOURS,
    };
  }

  private get windowMs(): number {
    return this.opts.windowHours * 3_600_000;
  }

  /**
   * Is the article a new story, a copy of one seen within the window, or an edited version of an
   * article already indexed (same id, other text)? Idempotent: the same id with the same text
   * returns the stored decision. Throws RetryableError (LOCK_TIMEOUT) when the Redis decision
   * lock cannot be had in time.
   */
  async decide(article: CleanArticle): Promise<DedupeDecision> {
    const features = textFeatures(article);
    const stored = await this.store.decision(article.id, features.textHash);
    if (stored) return stored;
    return this.store.exclusive(async () => {
      const again = await this.store.decision(article.id, features.textHash);
      if (again) return { result: again, writes: null };
      const writes = await this.decideLocked(article, features);
      return { result: writes.decision, writes };
    });
  }

  /** The story record with its members (join order), or null when unknown or expired. */
  async story(storyId: string): Promise<StoryRecordState | null> {
    return this.store.story(storyId);
  }

  /**
   * How the article compares with one indexed article under the current term statistics, without
   * deciding or writing anything; null when that article is not in the index.
   */
  async compareWith(article: CleanArticle, indexedId: string): Promise<PairScore | null> {
    const [other] = await this.store.articles([indexedId]);
    if (!other) return null;
    const features = textFeatures(article);
    const dfs = await this.loadDocumentFrequencies([...features.termCounts.keys(), ...features.entities]);
    const compact = compactFeatures(features, dfs, this.opts.maxTermsPerArticle);
    const theirs = storedToCompact(other);
    await this.loadDocumentFrequencies(termsOf(other), dfs);
    return {
      match: matchContent(compact, theirs, dfs, { sameSite: sameSite(article.canonicalUrl, other.url) }),
      rewrite: rewriteScore(compact, theirs, dfs).score,
      jaccard: estimateJaccard(compact.minhash, theirs.minhash),
    };
  }

  // ------------------------------------------------------------ the decision

  private async decideLocked(article: CleanArticle, features: TextFeatures): Promise<IndexWrites> {
    const time = articleTime(article);
    const dfs = await this.loadDocumentFrequencies([...features.termCounts.keys(), ...features.entities]);
    const compact = compactFeatures(features, dfs, this.opts.maxTermsPerArticle);
    const record = this.record(article, compact, time);

    const [previous] = await this.store.articles([article.id]);
    if (previous && previous.textHash !== compact.textHash) return this.update(article, record, compact, previous);

    const guidKey = this.guidKey(article);
    const best = (await this.exactMatch(article, guidKey, compact, time)) ?? (await this.contentMatch(article, compact, dfs, time));
    if (!best) return this.storyWrites(article, features, record, compact);
    const before = (await this.store.storySummary(best.candidate.storyId)) ?? lostStory(best.candidate);
    return this.duplicateWrites(article, record, compact, best, before);
  }

  /**
   * For filling an index in bulk (the benchmarks): what `decide` writes for an article whose
   * outcome is known beforehand — a new story, or a copy of `copyOf.candidate` when the content
   * levels match it (judged against that one article, as `decide` judges each candidate; no
   * match: a new story) — with the document frequencies `dfs` standing for what the store holds.
   * Reads nothing from the store; apply the writes in decision order
   * (RedisDedupeStore.bulkWrite) and count each one's `countTerms` into `dfs` before the next.
   * Only for articles not yet indexed, with unique URLs, guids and texts (no exact level applies).
   */
  writesFor(article: CleanArticle, dfs: DocumentFrequencies, copyOf?: { candidate: StoredArticle; story: StorySummary }): IndexWrites {
    const features = textFeatures(article);
    const compact = compactFeatures(features, dfs, this.opts.maxTermsPerArticle);
    const record = this.record(article, compact, articleTime(article));
    const c = copyOf?.candidate;
    const match =
      c && withinWindow(record.time, c.time, this.opts.windowHours)
        ? matchContent(compact, storedToCompact(c), dfs, { sameSite: sameSite(article.canonicalUrl, c.url) })
        : null;
    if (!c || !match) return this.storyWrites(article, features, record, compact);
    return this.duplicateWrites(article, record, compact, { candidate: c, match }, copyOf.story);
  }

  private record(article: CleanArticle, compact: CompactFeatures, time: number): StoredArticle {
    return {
      id: article.id,
      url: article.canonicalUrl,
      storyId: article.id,
      time,
      terms: compact.terms,
      entities: compact.entities,
      ...(compact.titleTerms ? { titleTerms: compact.titleTerms } : {}),
      minhash: encodeSignature(compact.minhash),
      textHash: compact.textHash,
      // an article stored without its language is never judged across languages
      ...(this.opts.crossLanguage && compact.language ? { language: compact.language } : {}),
    };
  }

  private pointerKeys(article: CleanArticle, record: StoredArticle): string[] {
    const pointers = [`url:${sha256Hex(article.canonicalUrl)}`, `hash:${record.textHash}`];
    const guidKey = this.guidKey(article);
    if (guidKey) pointers.push(`guid:${sha256Hex(guidKey)}`);
    return pointers;
  }

  private storyWrites(article: CleanArticle, features: TextFeatures, record: StoredArticle, compact: CompactFeatures): IndexWrites {
    const story = newStory(article);
    const counted = [...features.termCounts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, DF_TERMS_PER_STORY)
      .map(([t]) => t);
    return {
      decision: { kind: 'story', articleId: article.id, storyId: article.id, story },
      textHash: record.textHash,
      article: record,
      pointers: this.pointerKeys(article, record),
      postings: this.postingKeys(compact),
      story,
      member: memberOf(article, null),
      countTerms: [...counted, ...features.entities],
    };
  }

  private duplicateWrites(article: CleanArticle, record: StoredArticle, compact: CompactFeatures, best: NonNullable<Best>, before: StorySummary): IndexWrites {
    const evidence: Evidence = {
      level: best.match.level,
      score: best.match.score,
      threshold: best.match.threshold,
      sharedTerms: best.match.sharedTerms,
      sharedEntities: best.match.sharedEntities,
      matchedArticleId: best.candidate.id,
      matchedUrl: best.candidate.url,
    };
    const storyId = best.candidate.storyId;
    const story = this.join(before, article);
    record.storyId = storyId;
    return {
      decision: { kind: 'duplicate', articleId: article.id, storyId, similarity: best.match.score, evidence, story },
      textHash: record.textHash,
      article: record,
      pointers: this.pointerKeys(article, record),
      postings: this.postingKeys(compact),
      story,
      member: before.memberCount < this.opts.maxStoryMembers ? memberOf(article, evidence) : null,
      countTerms: [],
    };
  }

  // The same article with other text: its features are replaced by the new version's (so later
  // copies are compared with what the outlet says now), its story stays as it is.
  private async update(article: CleanArticle, record: StoredArticle, compact: CompactFeatures, previous: StoredArticle): Promise<IndexWrites> {
    record.storyId = previous.storyId;
    const story = (await this.store.storySummary(previous.storyId)) ?? lostStory(previous);
    return {
      decision: { kind: 'update', articleId: article.id, storyId: previous.storyId, previousTextHash: previous.textHash, story },
      textHash: record.textHash,
      article: record,
      pointers: [`hash:${record.textHash}`],
      postings: this.postingKeys(compact),
      story,
      member: null,
      countTerms: [],
    };
  }

  /** The story after the article joins: the earliest-published copy is canonical; outlets distinct, in join order. */
  private join(before: StorySummary, article: CleanArticle): StorySummary {
    const story = { ...before, outlets: [...before.outlets], memberCount: before.memberCount + 1 };
    if (!story.outlets.includes(article.source) && story.outlets.length < this.opts.maxStoryMembers) story.outlets.push(article.source);
    const published = publishedTime(article.publishedAt);
    const earliest = publishedTime(before.earliestPublishedAt);
    if (published !== null && (earliest === null || published < earliest)) {
      story.canonicalArticleId = article.id;
      story.canonicalUrl = article.canonicalUrl;
      story.earliestPublishedAt = article.publishedAt;
    }
    return story;
  }

  // Non-URL guids ("12345") are only unique within a feed: scope them by the feed.
  private guidKey(article: CleanArticle): string | null {
    const guid = article.guid?.trim();
    if (!guid) return null;
    if (/^(?:https?:\/\/|urn:|tag:)/i.test(guid)) return guid;
    return `${article.feedUrl}#${guid}`;
  }

  private async exactMatch(article: CleanArticle, guidKey: string | null, compact: CompactFeatures, time: number): Promise<Best> {
    const probes: Array<[MatchLevel, string]> = [['url', `url:${sha256Hex(article.canonicalUrl)}`]];
    if (guidKey) probes.push(['guid', `guid:${sha256Hex(guidKey)}`]);
    probes.push(['text-hash', `hash:${compact.textHash}`]);
    const ids = await this.store.pointers(probes.map(([, k]) => k));
    for (let i = 0; i < probes.length; i++) {
      const id = ids[i];
      if (!id || id === article.id) continue;
      const [candidate] = await this.store.articles([id]);
      if (!candidate || !withinWindow(time, candidate.time, this.opts.windowHours)) continue;
      const level = probes[i]![0];
      // Sloppy CMSs reuse guids across different articles: a guid match only counts when
      // the texts are at least near each other (a copy or an edited version of it).
      if (level === 'guid' && estimateJaccard(compact.minhash, storedToCompact(candidate).minhash) < GUID_MIN_JACCARD) continue;
      return { candidate, match: { level, score: 1, threshold: 1, sharedTerms: [], sharedEntities: [] } };
    }
    return null;
  }

  private async contentMatch(article: CleanArticle, compact: CompactFeatures, dfs: MapDocumentFrequencies, time: number): Promise<Best> {
    const ids = await this.candidateIds(compact, dfs, time);
    ids.delete(article.id);
    if (ids.size === 0) return null;
    const candidates = await this.store.articles([...ids]);
    // the candidates' terms need idf too
    const extra: string[] = [];
    for (const c of candidates) if (c) extra.push(...termsOf(c));
    await this.loadDocumentFrequencies(extra, dfs);
    let best: Best = null;
    for (const c of candidates) {
      if (!c || !withinWindow(time, c.time, this.opts.windowHours)) continue;
      const match = matchContent(compact, storedToCompact(c), dfs, { sameSite: sameSite(article.canonicalUrl, c.url) });
      if (!match) continue;
      const better =
        !best ||
        LEVEL_RANK[match.level] > LEVEL_RANK[best.match.level] ||
        (match.level === best.match.level && match.score > best.match.score);
      if (better) best = { candidate: c, match };
    }
    return best;
  }

  /** LSH bucket mates plus the best inverted-index hits, within the window. */
  private async candidateIds(compact: CompactFeatures, dfs: DocumentFrequencies, time: number): Promise<Set<string>> {
    const bands = lshBands(compact.minhash);
    const posted = postedTerms(compact);
    const found = await this.store.postings(
      bands.map((b) => `lsh:${b}`),
      posted.map((t) => `post:${t}`),
      time - this.windowMs,
      time + this.windowMs,
      POSTING_READ_LIMIT,
    );
    const out = new Set<string>();
    for (const ids of found.bands) for (const id of ids) out.add(id);
    const hits = new Map<string, number>();
    found.terms.forEach((ids, i) => {
      const weight = idf(posted[i]!, dfs);
      for (const id of ids) hits.set(id, (hits.get(id) ?? 0) + weight);
    });
    const ranked = [...hits].sort((a, b) => b[1] - a[1]).slice(0, this.opts.maxCandidates);
    for (const [id] of ranked) out.add(id);
    return out;
  }

  private postingKeys(compact: CompactFeatures): string[] {
    return [...lshBands(compact.minhash).map((b) => `lsh:${b}`), ...postedTerms(compact).map((t) => `post:${t}`)];
  }

  private async loadDocumentFrequencies(terms: string[], into?: MapDocumentFrequencies): Promise<MapDocumentFrequencies> {
    const dfs = into ?? new MapDocumentFrequencies();
    const wanted = [...new Set(terms)].filter((t) => !dfs.has(t));
    if (wanted.length === 0 && dfs.has(DOCS_FIELD)) return dfs;
    for (const [t, n] of await this.store.documentFrequencies(wanted)) dfs.set(t, n);
    return dfs;
  }
}

/** The index on Redis, shared by every worker: decisions are atomic across processes. */
export class DedupeIndex extends StoryIndex {
  constructor(redis: Redis, opts: DedupeOptions) {
    const windowHours = opts.windowHours > 0 ? opts.windowHours : DEFAULT_WINDOW_HOURS;
    super(new RedisDedupeStore(redis, { ...storeOptions(opts), windowHours }), opts);
  }
}

/** The index in memory: the pipeline's decision without Redis (command line, evaluation). */
export class MemoryDedupeIndex extends StoryIndex {
  constructor(opts: Partial<IndexOptions> = {}) {
    const windowHours = opts.windowHours && opts.windowHours > 0 ? opts.windowHours : DEFAULT_WINDOW_HOURS;
    super(new MemoryDedupeStore({ windowHours }), { ...opts, windowHours });
  }
}

function storeOptions(o: DedupeOptions): { prefix: string; lockTtlMs?: number; lockWaitMs?: number } {
  return {
    prefix: o.prefix,
    ...(o.lockTtlMs !== undefined ? { lockTtlMs: o.lockTtlMs } : {}),
    ...(o.lockWaitMs !== undefined ? { lockWaitMs: o.lockWaitMs } : {}),
  };
}

// ------------------------------------------------------------ story records

function newStory(article: CleanArticle): StorySummary {
  return {
    storyId: article.id,
    canonicalArticleId: article.id,
    canonicalUrl: article.canonicalUrl,
    earliestPublishedAt: publishedTime(article.publishedAt) === null ? null : article.publishedAt,
    outlets: [article.source],
    memberCount: 1,
  };
}

// A story whose record expired before one of its members (should not happen: the record is
// refreshed whenever a member is written): rebuilt from the member that was found.
function lostStory(member: StoredArticle): StorySummary {
  return { storyId: member.storyId, canonicalArticleId: member.id, canonicalUrl: member.url, earliestPublishedAt: null, outlets: [], memberCount: 1 };
}

function memberOf(article: CleanArticle, evidence: Evidence | null): StoryMember {
  return {
    id: article.id,
    url: article.canonicalUrl,
    source: article.source,
    publishedAt: article.publishedAt,
    similarity: evidence ? evidence.score : null,
    level: evidence ? evidence.level : null,
    evidence,
  };
}

function publishedTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

// ------------------------------------------------------------ features in the store

class MapDocumentFrequencies implements DocumentFrequencies {
  private readonly counts = new Map<string, number>();
  get docCount(): number {
    return this.counts.get(DOCS_FIELD) ?? 0;
  }
  df(term: string): number {
    return this.counts.get(term) ?? 0;
  }
  has(term: string): boolean {
    return this.counts.has(term);
  }
  set(term: string, n: number): void {
    this.counts.set(term, n);
  }
}

/** The inverted-index terms of an article: its most distinctive terms and rarest entities. */
function postedTerms(c: CompactFeatures): string[] {
  return [...c.terms.slice(0, POSTED_TERMS).map(([t]) => t), ...c.entities.slice(0, POSTED_ENTITIES)].map((t) =>
    t.length > 64 ? `h:${sha256Hex(t).slice(0, 24)}` : t,
  );
}

function termsOf(s: StoredArticle): string[] {
  return [...s.terms.map(([t]) => t), ...s.entities];
}

function encodeSignature(sig: readonly number[]): string {
  const buf = Buffer.alloc(sig.length * 4);
  sig.forEach((v, i) => buf.writeUInt32LE(v >>> 0, i * 4));
  return buf.toString('base64');
}

function storedToCompact(s: StoredArticle): CompactFeatures {
  const buf = Buffer.from(s.minhash, 'base64');
  const sig = Array.from({ length: buf.length / 4 }, (_, i) => buf.readUInt32LE(i * 4));
  return {
    terms: s.terms,
    entities: s.entities,
    minhash: sig,
    textHash: s.textHash,
    ...(s.titleTerms?.length ? { titleTerms: s.titleTerms } : {}),
    ...(s.language ? { language: s.language } : {}),
  };
}
