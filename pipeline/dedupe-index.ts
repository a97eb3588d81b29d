// The dedupe index: is this article a new story, a copy of one seen within the window, or an
// edited version of an article already indexed? The pure scoring is dedupe.ts; this file
// retrieves candidates without scanning (postings of each article's most distinctive terms and
// entities, and of its exact-level names: id, canonical URL, guid, text hash), keeps document
// frequencies for idf and the story records, and takes one decision at a time per index. The
// state lives behind the `DedupeStore` interface (dedupe-store.ts, which describes the keys):
// `DedupeIndex` on Redis, shared by every worker; `MemoryDedupeIndex` in memory for the command
// line and the evaluation — one decision code path. Articles are stored compactly
// (dedupe-record.ts): terms and entities as 32-bit hashes, compared with a new article's words.
import type { Redis } from 'ioredis';
import {
  articleTime,
  compactFeatures,
  crossLanguage,
  DEFAULT_MAX_TERMS,
  DEFAULT_WINDOW_HOURS,
  signatureJaccard,
  idf,
  matchContent,
  rewriteScore,
  rewriteUpperBound,
  sameSite,
  storyCore,
  textFeatures,
  THRESHOLDS,
  topicDiscount,
  withinWindow,
  type CompactFeatures,
  type DocumentFrequencies,
  type MatchLevel,
  type PairMatch,
  type RewriteScore,
  type TextFeatures,
} from './dedupe.ts';
import { MemoryDedupeStore } from './dedupe-memory-store.ts';
import { decodeArticle, dfKey, encodeArticle, recordTermKeys, resolveAgainst, resolveShared, storedArticle, termHash, Vocabulary, type StoredArticle } from './dedupe-record.ts';
import {
  epochOf,
  MARGIN_HOURS,
  openedBy,
  RedisDedupeStore,
  type DedupeStore,
  type IndexWrites,
  type CommitInfo,
  type PostingQuery,
  type StoryMember,
  type StoryRecordState,
} from './dedupe-store.ts';
import { HashCounts } from './hash-counts.ts';
import type { CleanArticle, Evidence, StorySummary } from './records.ts';

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
/** Rewrite score (before any veto) at which another story counts as near the newcomer's topic (`inContext`). */
const NEAR_OTHER_STORY = 0.2;
// Distinct terms counted into the document frequencies per story (most frequent first).
const DF_TERMS_PER_STORY = 400;

const LEVEL_RANK: Record<MatchLevel, number> = { url: 5, guid: 4, 'text-hash': 3, 'near-copy': 2, rewrite: 1 };

type Best = { candidate: StoredArticle; match: PairMatch } | null;
/** A stored article and its number (the record's key). */
type Numbered = { n: number; article: StoredArticle };

/** What the decision reads before deciding: the exact-level names' and the posted terms' postings. */
interface Lookup {
  /** Per exact-level name (id, url, guid, text hash): article numbers, newest first. */
  names: { id: number[]; url: number[]; guid: number[]; hash: number[] };
  /** Per posted term (postedTerms order): article numbers, newest first. */
  terms: number[][];
}

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
   * returns the stored decision (after DECISION_TTL_MS: the same decision recalled from the
   * article's record, its shared terms and entities left out and the story as it stands now).
   * Decisions run side by side; each commits as if taken alone (DedupeStore.exclusive).
   * Throws RetryableError (LOCK_TIMEOUT) when the Redis decision lock cannot be had in time.
   */
  async decide(article: CleanArticle, info?: CommitInfo, features: TextFeatures = textFeatures(article)): Promise<DedupeDecision> {
    const stored = await this.store.decision(article.id, features.textHash);
    if (stored) return stored;
    return this.store.exclusive(async () => {
      // decided meanwhile (a re-delivered job taken by another worker, or waiting in this
      // process's line behind the first delivery): decideAgainstIndex finds the record it
      // committed and answers with its decision, writing nothing
      const out = await this.decideAgainstIndex(article, features);
      return { result: out.decision, writes: out.writes, stillHolds: out.stillHolds };
    }, info);
  }

  /** The story record with its members (join order), or null when unknown or expired. */
  async story(storyId: string): Promise<StoryRecordState | null> {
    const stored = await this.store.story(storyId);
    if (stored) return stored;
    // a story of one member is its article's record
    const epochs = await this.store.epochs();
    const found = await this.store.postings(epochs.map((e) => ({ hash: nameHash('i', storyId), fromEpoch: e, toEpoch: e })), POSTING_READ_LIMIT);
    const numbers = found.map((list, i) => [epochs[i]!, list] as const).sort((a, b) => b[0] - a[0]).flatMap(([, list]) => list);
    const opener = (await this.newestWith(numbers, (a) => a.id === storyId && a.storyId === storyId))?.article;
    if (!opener) return null;
    const member = openerMember(opener);
    return { ...openedBy(member), members: [member] };
  }

  /** The summary of the story `known` (an article of it) belongs to, as the store has it or as its one member makes it. */
  async storySummary(known: StoredArticle): Promise<StorySummary> {
    const stored = await this.store.storySummary(known.storyId);
    if (stored) return stored;
    return known.id === known.storyId ? openedBy(openerMember(known)) : lostStory(known);
  }

  /**
   * The stored article with this id whose time is within the window and margin of `near` (ms),
   * or null (not indexed, expired, or further away in time).
   */
  async storedArticle(id: string, near: number): Promise<StoredArticle | null> {
    const span = this.windowMs + MARGIN_HOURS * 3_600_000;
    const [found] = await this.store.postings([{ hash: nameHash('i', id), fromEpoch: epochOf(near - span), toEpoch: epochOf(near + span) }], POSTING_READ_LIMIT);
    return (await this.newestWith(found!, (a) => a.id === id))?.article ?? null;
  }

  /**
   * How the article compares with one indexed article under the current term statistics, without
   * deciding or writing anything; null when that article is not in the index (within the window
   * and margin of the article's time).
   */
  async compareWith(article: CleanArticle, indexedId: string): Promise<PairScore | null> {
    const other = await this.storedArticle(indexedId, articleTime(article));
    if (!other) return null;
    const features = textFeatures(article);
    const dfs = await this.loadFrequencies([...features.termCounts.keys(), ...features.entities].map(dfKey));
    const compact = compactFeatures(features, dfs, this.opts.maxTermsPerArticle);
    const vocabulary = new Vocabulary(compact);
    const theirs = resolveAgainst(other, vocabulary);
    await this.loadFrequencies(recordTermKeys(other), dfs);
    const mine = vocabulary.mine(compact);
    return {
      match: matchContent(mine, theirs, dfs, { sameSite: sameSite(article.canonicalUrl, other.url) }),
      rewrite: rewriteScore(mine, theirs, dfs).score,
      jaccard: signatureJaccard(mine, theirs),
    };
  }

  // ------------------------------------------------------------ the decision

  private async decideAgainstIndex(
    article: CleanArticle,
    features: TextFeatures,
  ): Promise<{ decision: DedupeDecision; writes: IndexWrites | null; stillHolds?: (committed: number[]) => Promise<boolean> }> {
    const time = articleTime(article);
    const dfs = await this.loadFrequencies([...features.termCounts.keys(), ...features.entities].map(dfKey));
    const compact = compactFeatures(features, dfs, this.opts.maxTermsPerArticle);
    const vocabulary = new Vocabulary(compact);
    const guidKey = this.guidKey(article);
    const record = this.record(article, compact, time, guidKey);
    const lookup = await this.lookup(article, guidKey, compact, time);

    const previous = await this.newestWith(lookup.names.id, (a) => a.id === article.id);
    if (previous && previous.article.textHash === compact.textHash) {
      // committed by another worker since `decide` looked (decisions are taken without the lock):
      // its decision record was written with the record, and says more than the record recalls
      const stored = await this.store.decision(article.id, features.textHash);
      return { decision: stored ?? (await this.recalled(previous.article)), writes: null };
    }
    // the content candidates judged (none when an earlier level decided)
    const judged: StoredArticle[] = [];
    const stillHolds = (committed: number[]): Promise<boolean> => this.stillHolds(committed, { article, guidKey, compact, vocabulary, dfs, lookup, time, judged });
    if (previous) {
      const writes = await this.update(article, record, compact, previous);
      return { decision: writes.decision, writes, stillHolds };
    }

    const best =
      (await this.exactMatch(article, guidKey, lookup, compact, vocabulary, time)) ??
      (await this.contentMatch(article, compact, vocabulary, dfs, lookup, time, judged));
    const writes = best
      ? this.duplicateWrites(article, record, compact, best, await this.storySummary(best.candidate))
      : this.storyWrites(article, features, record, compact);
    return { decision: writes.decision, writes, stillHolds };
  }

  /**
   * Under the lock: whether articles committed while a decision was taken (`committed`, posted
   * under hashes it looked up; nothing else it read touched) leave it as it is, so that taking it
   * again would come to the same. True only when, for each of them, it shares no exact-level name
   * with the article (id, URL, guid, text hash), and, within the window, it would have been one
   * more content candidate that cannot matter (`mayMatter` false, as the candidates' judging
   * decides) in no story of a judged candidate (a story's members are judged together), with room
   * among the candidates and no posting list read at its limit (where a new posting would have
   * pushed an older one out). Anything it cannot tell (a record gone) answers false: taken again.
   */
  private async stillHolds(
    committed: number[],
    d: { article: CleanArticle; guidKey: string | null; compact: CompactFeatures; vocabulary: Vocabulary; dfs: MapDocumentFrequencies; lookup: Lookup; time: number; judged: StoredArticle[] },
  ): Promise<boolean> {
    const { names, terms } = d.lookup;
    if ([names.id, names.url, names.guid, names.hash, ...terms].some((l) => l.length >= POSTING_READ_LIMIT)) return false;
    const loaded = await this.load(committed);
    if (loaded.length !== committed.length) return false;
    const guid = d.guidKey ? termHash(d.guidKey) : null;
    const candidates: StoredArticle[] = [];
    for (const { article: c } of loaded) {
      if (c.id === d.article.id || c.url === d.article.canonicalUrl || c.textHash === d.compact.textHash || (guid !== null && c.guidHash === guid)) return false;
      if (withinWindow(d.time, c.time, this.opts.windowHours)) candidates.push(c);
    }
    if (candidates.length === 0) return true;
    if (d.judged.length + candidates.length > this.opts.maxCandidates) return false;
    const stories = new Set(d.judged.map((c) => c.storyId));
    const mine = d.vocabulary.mine(d.compact);
    return candidates.every((c) => !stories.has(c.storyId) && !mayMatter(mine, resolveShared(c, d.vocabulary), d.dfs));
  }

  /** The decision of a version already indexed whose decision record has expired, from its record. */
  private async recalled(a: StoredArticle): Promise<DedupeDecision> {
    const story = await this.storySummary(a);
    const d = a.decided;
    if (d.kind === 'update') return { kind: 'update', articleId: a.id, storyId: a.storyId, previousTextHash: d.previousTextHash, story };
    if (d.kind === 'story') return { kind: 'story', articleId: a.id, storyId: a.storyId, story };
    const evidence: Evidence = {
      level: d.level,
      score: d.score,
      threshold: d.threshold,
      sharedTerms: [],
      sharedEntities: [],
      matchedArticleId: d.matchedArticleId,
      matchedUrl: d.matchedUrl,
    };
    return { kind: 'duplicate', articleId: a.id, storyId: a.storyId, similarity: d.score, evidence, story };
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
    const time = articleTime(article);
    const record = this.record(article, compact, time, this.guidKey(article));
    const c = copyOf?.candidate;
    let match: PairMatch | null = null;
    if (c && withinWindow(record.time, c.time, this.opts.windowHours)) {
      const vocabulary = new Vocabulary(compact);
      match = matchContent(vocabulary.mine(compact), resolveAgainst(c, vocabulary), dfs, { sameSite: sameSite(article.canonicalUrl, c.url) });
    }
    if (!c || !match) return this.storyWrites(article, features, record, compact);
    return this.duplicateWrites(article, record, compact, { candidate: c, match }, copyOf.story);
  }

  private record(article: CleanArticle, compact: CompactFeatures, time: number, guidKey: string | null): StoredArticle {
    // an article stored without its language is never judged across languages
    return storedArticle(
      { id: article.id, url: article.canonicalUrl, storyId: article.id, source: article.source, publishedAt: article.publishedAt, time, guidKey },
      compact,
      this.opts.crossLanguage,
    );
  }

  /** The hashes an article is posted under: its exact-level names, then its posted terms. */
  private postingsOf(article: CleanArticle, record: StoredArticle, compact: CompactFeatures): number[] {
    const guidKey = this.guidKey(article);
    return [
      nameHash('i', article.id),
      nameHash('u', article.canonicalUrl),
      nameHash('h', record.textHash),
      ...(guidKey ? [nameHash('g', guidKey)] : []),
      ...postedTerms(compact).map(termHash),
    ];
  }

  /**
   * A story of one member has no record of its own (its article's record stands for it): the
   * member to write first when the record is made (`known` is the story's article at hand).
   */
  private openerOf(story: StorySummary, known: StoredArticle): StoryMember | null {
    return story.memberCount === 1 && known.id === story.storyId && this.opts.maxStoryMembers > 0 ? openerMember(known) : null;
  }

  private writes(article: CleanArticle, record: StoredArticle, compact: CompactFeatures, rest: Pick<IndexWrites, 'decision' | 'story' | 'member' | 'opener' | 'countTerms' | 'replaces'>): IndexWrites {
    return {
      ...rest,
      textHash: record.textHash,
      articleId: article.id,
      record: encodeArticle(record),
      time: record.time,
      postings: this.postingsOf(article, record, compact),
    };
  }

  private storyWrites(article: CleanArticle, features: TextFeatures, record: StoredArticle, compact: CompactFeatures): IndexWrites {
    const story = newStory(article);
    const counted = [...features.termCounts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, DF_TERMS_PER_STORY)
      .map(([t]) => t);
    return this.writes(article, record, compact, {
      decision: { kind: 'story', articleId: article.id, storyId: article.id, story },
      story,
      member: memberOf(article, null),
      opener: null,
      countTerms: [...new Set([...counted, ...features.entities].map(dfKey))],
      replaces: null,
    });
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
    record.decided = { kind: 'duplicate', level: evidence.level, score: evidence.score, threshold: evidence.threshold, matchedArticleId: evidence.matchedArticleId, matchedUrl: evidence.matchedUrl };
    return this.writes(article, record, compact, {
      decision: { kind: 'duplicate', articleId: article.id, storyId, similarity: best.match.score, evidence, story },
      story,
      member: before.memberCount < this.opts.maxStoryMembers ? memberOf(article, evidence) : null,
      opener: this.openerOf(before, best.candidate),
      countTerms: [],
      replaces: null,
    });
  }

  // The same article with other text: its record is replaced by the new version's (so later
  // copies are compared with what the outlet says now), its story stays as it is.
  private async update(article: CleanArticle, record: StoredArticle, compact: CompactFeatures, previous: Numbered): Promise<IndexWrites> {
    const storyId = previous.article.storyId;
    record.storyId = storyId;
    record.decided = { kind: 'update', previousTextHash: previous.article.textHash };
    const story = await this.storySummary(previous.article);
    return this.writes(article, record, compact, {
      decision: { kind: 'update', articleId: article.id, storyId, previousTextHash: previous.article.textHash, story },
      story,
      member: null,
      opener: this.openerOf(story, previous.article),
      countTerms: [],
      replaces: previous.n,
    });
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

  /** One read of every posting the decision needs: the exact-level names (window and margin) and the posted terms (window). */
  private async lookup(article: CleanArticle, guidKey: string | null, compact: CompactFeatures, time: number): Promise<Lookup> {
    const span = this.windowMs + MARGIN_HOURS * 3_600_000;
    const wide = { fromEpoch: epochOf(time - span), toEpoch: epochOf(time + span) };
    const window = { fromEpoch: epochOf(time - this.windowMs), toEpoch: epochOf(time + this.windowMs) };
    const names: PostingQuery[] = [
      { hash: nameHash('i', article.id), ...wide },
      { hash: nameHash('u', article.canonicalUrl), ...wide },
      { hash: nameHash('h', compact.textHash), ...wide },
    ];
    if (guidKey) names.push({ hash: nameHash('g', guidKey), ...wide });
    const terms = postedTerms(compact).map((t): PostingQuery => ({ hash: termHash(t), ...window }));
    const found = await this.store.postings([...names, ...terms], POSTING_READ_LIMIT);
    return {
      names: { id: found[0]!, url: found[1]!, hash: found[2]!, guid: guidKey ? found[3]! : [] },
      terms: found.slice(names.length),
    };
  }

  /** Decoded records by number, in the order given, the missing (expired, replaced) left out. */
  private async load(numbers: number[]): Promise<Numbered[]> {
    const raw = await this.store.records(numbers);
    const out: Numbered[] = [];
    raw.forEach((b, i) => {
      if (b) out.push({ n: numbers[i]!, article: decodeArticle(b) });
    });
    return out;
  }

  /** The newest of the posted articles that is really the one named (a posting may carry another hash's check). */
  private async newestWith(numbers: number[], is: (a: StoredArticle) => boolean): Promise<Numbered | null> {
    if (numbers.length === 0) return null;
    for (const r of await this.load(numbers)) if (is(r.article)) return r;
    return null;
  }

  private async exactMatch(article: CleanArticle, guidKey: string | null, lookup: Lookup, compact: CompactFeatures, vocabulary: Vocabulary, time: number): Promise<Best> {
    const guid = guidKey ? termHash(guidKey) : null;
    const probes: Array<[MatchLevel, number[], (a: StoredArticle) => boolean]> = [['url', lookup.names.url, (a) => a.url === article.canonicalUrl]];
    if (guidKey) probes.push(['guid', lookup.names.guid, (a) => a.guidHash === guid]);
    probes.push(['text-hash', lookup.names.hash, (a) => a.textHash === compact.textHash]);
    for (const [level, numbers, is] of probes) {
      // the article this name was last written for
      const candidate = (await this.newestWith(numbers, is))?.article;
      if (!candidate || candidate.id === article.id) continue;
      if (!withinWindow(time, candidate.time, this.opts.windowHours)) continue;
      // Sloppy CMSs reuse guids across different articles: a guid match only counts when
      // the texts are at least near each other (a copy or an edited version of it).
      if (level === 'guid' && signatureJaccard(vocabulary.mine(compact), resolveAgainst(candidate, vocabulary)) < GUID_MIN_JACCARD) continue;
      return { candidate, match: { level, score: 1, threshold: 1, sharedTerms: [], sharedEntities: [] } };
    }
    return null;
  }

  /** `judgedOut`: filled with the candidates judged. */
  private async contentMatch(
    article: CleanArticle,
    compact: CompactFeatures,
    vocabulary: Vocabulary,
    dfs: MapDocumentFrequencies,
    lookup: Lookup,
    time: number,
    judgedOut: StoredArticle[] = [],
  ): Promise<Best> {
    const candidates = await this.candidates(article, compact, dfs, lookup, time);
    judgedOut.push(...candidates);
    if (candidates.length === 0) return null;
    const mine = vocabulary.mine(compact);
    const judged = candidates.map((c) => new Judged(c, vocabulary));
    for (const j of judged) j.matters = mayMatter(mine, resolveShared(j.c, vocabulary), dfs);
    // the candidates' own terms need idf too, for the candidates that may matter
    await this.loadFrequencies(judged.flatMap((j) => (j.matters ? recordTermKeys(j.c) : [])), dfs);
    for (const j of judged) {
      j.rewrite = j.matters ? rewriteScore(mine, j.features, dfs) : null;
      j.near = j.rewrite !== null && j.rewrite.score >= NEAR_OTHER_STORY;
    }
    let best: Best = null;
    for (const j of judged) {
      const { c, rewrite } = j;
      if (!rewrite) continue;
      const features = j.features;
      let match = matchContent(mine, features, dfs, { sameSite: sameSite(article.canonicalUrl, c.url), rewrite });
      if (match?.level === 'rewrite' && !crossLanguage(mine, features)) match = this.inContext(mine, c, features, judged, dfs, article);
      if (!match) continue;
      const better =
        !best ||
        LEVEL_RANK[match.level] > LEVEL_RANK[best.match.level] ||
        (match.level === best.match.level && match.score > best.match.score);
      if (better) best = { candidate: c, match };
    }
    return best;
  }

  /**
   * A rewrite-level match judged among the other candidates: the vocabulary the newcomer shares
   * with other stories it is near is discounted (`topicDiscount`), and a story of several members
   * in the window must be matched on what its members share (`storyCore`).
   */
  private inContext(
    mine: CompactFeatures,
    c: StoredArticle,
    features: CompactFeatures,
    judged: ReadonlyArray<{ c: StoredArticle; features: CompactFeatures; near: boolean }>,
    dfs: DocumentFrequencies,
    article: CleanArticle,
  ): PairMatch | null {
    const others = new Map<string, CompactFeatures[]>();
    for (const j of judged) {
      if (!j.near || j.c.storyId === c.storyId) continue;
      others.set(j.c.storyId, [...(others.get(j.c.storyId) ?? []), j.features]);
    }
    const discount = topicDiscount(mine, [...others.values()]);
    const opts = { sameSite: sameSite(article.canonicalUrl, c.url), discount };
    const match = matchContent(mine, features, dfs, opts);
    if (!match) return null;
    const members = judged.filter((j) => j.c.storyId === c.storyId).map((j) => j.features);
    if (members.length < 2) return match;
    return matchContent(mine, { ...features, ...storyCore([features, ...members.filter((m) => m !== features)]) }, dfs, opts) ? match : null;
  }

  /**
   * The `maxCandidates` articles within the window with the most idf-weighted posted terms in
   * common with this one (each term's newest POSTING_READ_LIMIT postings): read in rank order
   * until that many are in the window.
   */
  private async candidates(article: CleanArticle, compact: CompactFeatures, dfs: DocumentFrequencies, lookup: Lookup, time: number): Promise<StoredArticle[]> {
    const posted = postedTerms(compact);
    const hits = new Map<number, number>();
    lookup.terms.forEach((numbers, i) => {
      const weight = idf(posted[i]!, dfs);
      for (const n of numbers) hits.set(n, (hits.get(n) ?? 0) + weight);
    });
    const ranking = new Ranking(hits);
    const out: StoredArticle[] = [];
    for (let batch = ranking.next(this.opts.maxCandidates); batch.length > 0; batch = ranking.next(this.opts.maxCandidates - out.length)) {
      for (const { article: a } of await this.load(batch)) {
        if (a.id !== article.id && withinWindow(time, a.time, this.opts.windowHours)) out.push(a);
      }
    }
    return out;
  }

  /** Reads the frequencies of the keys (`dfKey`) not yet in `into`, and the stories counted when `into` has none. */
  private async loadFrequencies(keys: readonly number[], into?: MapDocumentFrequencies): Promise<MapDocumentFrequencies> {
    // a decision reads its own keys and then its candidates' (~3,350 in all with 50 candidates)
    const dfs = into ?? new MapDocumentFrequencies(DECISION_KEYS);
    const wanted: number[] = [];
    const seen = new HashCounts(keys.length);
    for (const k of keys) {
      if (seen.has(k) || dfs.hasKey(k)) continue;
      seen.set(k, 0);
      wanted.push(k);
    }
    if (wanted.length === 0 && dfs.hasDocs) return dfs;
    const { docs, counts } = await this.store.documentFrequencies(wanted);
    dfs.setDocs(docs);
    wanted.forEach((k, i) => dfs.setKey(k, counts[i]!));
    return dfs;
  }
}

/**
 * A candidate of `contentMatch`: whether it may matter is decided on what it shares with the
 * newcomer (`resolveShared`); its full features, with a placeholder for each hash the newcomer
 * does not have, are made only when asked for (most candidates never are), once.
 */
class Judged {
  matters = false;
  rewrite: RewriteScore | null = null;
  near = false;
  readonly c: StoredArticle;
  private readonly vocabulary: Vocabulary;
  private full: CompactFeatures | null = null;
  constructor(c: StoredArticle, vocabulary: Vocabulary) {
    this.c = c;
    this.vocabulary = vocabulary;
  }
  get features(): CompactFeatures {
    return (this.full ??= resolveAgainst(this.c, this.vocabulary));
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

/**
 * Article numbers by score, highest first, ties in the order they were first hit (what a stable
 * sort of the map gives), handed out `k` at a time: each call selects the next `k` in one pass
 * over the hits instead of sorting them all. A look-up at 1M indexed hits ~10,000 articles, of
 * which a decision loads the first `maxCandidates` (and a few more when some are out of the window).
 */
export class Ranking {
  private readonly numbers: number[];
  private readonly scores: number[];
  // the last one handed out: the next start strictly after it in rank order
  private lastScore = Number.POSITIVE_INFINITY;
  private lastAt = -1;

  constructor(hits: ReadonlyMap<number, number>) {
    this.numbers = [...hits.keys()];
    this.scores = [...hits.values()];
  }

  /** The next `k` article numbers in rank order (fewer at the end; none once all are handed out, or for k ≤ 0). */
  next(k: number): number[] {
    if (k <= 0) return [];
    const { scores, lastScore, lastAt } = this;
    // the best k after the cursor, in rank order: positions into scores
    const best: number[] = [];
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (s > lastScore || (s === lastScore && i <= lastAt)) continue;
      // equal to the worst kept: the worst came first, it stays ahead
      if (best.length === k && !(s > scores[best[k - 1]!]!)) continue;
      // after every kept one with a score ≥ s (they came first)
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (scores[best[mid]!]! >= s) lo = mid + 1;
        else hi = mid;
      }
      best.splice(lo, 0, i);
      if (best.length > k) best.pop();
    }
    if (best.length > 0) {
      this.lastAt = best.at(-1)!;
      this.lastScore = scores[this.lastAt]!;
    }
    return best.map((i) => this.numbers[i]!);
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

/** The opening member of a story, from its article's record. */
function openerMember(a: StoredArticle): StoryMember {
  return { id: a.id, url: a.url, source: a.source, publishedAt: a.publishedAt, similarity: null, level: null, evidence: null };
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

/**
 * Document frequencies by term key (dedupe-record.ts `dfKey`, the hash a term, an entity or a
 * placeholder is counted under), and the stories counted.
 */
export class MapDocumentFrequencies implements DocumentFrequencies {
  protected readonly counts: HashCounts;
  private docs: number | null = null;
  idfMemo = new Map<string, number>();
  /** `expected`: how many keys it will hold (it grows beyond). */
  constructor(expected = 0) {
    this.counts = new HashCounts(expected);
  }
  get docCount(): number {
    return this.docs ?? 0;
  }
  /** Whether the stories counted were read. */
  get hasDocs(): boolean {
    return this.docs !== null;
  }
  df(term: string): number {
    // hashing the string again costs less than a Map of strings to their keys did (a decision asks for ~3,350)
    return this.counts.countOf(dfKey(term));
  }
  hasKey(key: number): boolean {
    return this.counts.has(key);
  }
  setKey(key: number, n: number): void {
    this.counts.set(key, n);
    this.changed();
  }
  /** Adds `n` to a term key's count (a commit's HINCRBY). */
  addToKey(key: number, n: number): void {
    this.counts.add(key, n);
    this.changed();
  }
  setDocs(n: number): void {
    this.docs = n;
    this.changed();
  }
  /** Adds `n` stories to the count. */
  addDocs(n: number): void {
    this.docs = (this.docs ?? 0) + n;
    this.changed();
  }
  // a new memo, not the old one emptied: what was computed with the old one is known by it (dedupe.ts `weighted`)
  private changed(): void {
    if (this.idfMemo.size) this.idfMemo = new Map();
  }
}

/**
 * Whether a candidate can matter to the decision: match at any level, or be near enough to count
 * for the topic (`NEAR_OTHER_STORY`). Decided before the candidate's own terms are read, from
 * what it shares with the newcomer (`rewriteUpperBound`): a candidate that cannot is left out
 * and its terms' frequencies are never read, which changes no decision.
 */
function mayMatter(mine: CompactFeatures, theirs: CompactFeatures, dfs: DocumentFrequencies): boolean {
  if (mine.textHash === theirs.textHash || crossLanguage(mine, theirs)) return true;
  if (signatureJaccard(mine, theirs) >= THRESHOLDS.nearCopy) return true;
  // a margin for rounding: the bound and the score sum in different orders
  return rewriteUpperBound(mine, theirs, dfs) >= Math.min(THRESHOLDS.rewrite, NEAR_OTHER_STORY) - 1e-9;
}

/** Frequencies a decision is made ready for (its table grows beyond). */
const DECISION_KEYS = 4096;

/** The inverted-index terms of an article: its most distinctive terms and rarest entities. */
function postedTerms(c: CompactFeatures): string[] {
  return [...c.terms.slice(0, POSTED_TERMS).map(([t]) => t), ...c.entities.slice(0, POSTED_ENTITIES)];
}

/** An exact-level name (i: id, u: canonical URL, g: guid key, h: text hash) as a posted hash, apart from any word. */
function nameHash(kind: 'i' | 'u' | 'g' | 'h', value: string): number {
  return termHash(`\u0000${kind}${value}`);
}
