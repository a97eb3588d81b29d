// The dedupe index in Redis, shared by every worker: is this article a new story, or a copy of
// one seen within the window? The pure scoring is dedupe.ts; this file retrieves candidates
// without scanning (exact pointers, LSH band buckets, an inverted index of each article's most
// distinctive terms and entities), keeps document frequencies for idf, and makes the
// read-decide-write step atomic across workers with a short lock.
//
// Keys (all under one hash tag, so a Redis Cluster keeps them in one slot):
//   P:{dedupe}:lock                       the decision lock (token, PX)
//   P:{dedupe}:decision:<articleId>       JSON DedupeDecision (idempotency)
//   P:{dedupe}:art:<articleId>            JSON StoredArticle (compact features, bounded)
//   P:{dedupe}:url:<sha> / guid:<sha> / hash:<textHash>   → articleId (exact levels)
//   P:{dedupe}:lsh:<band>:<hex>           zset articleId → time (near-copy candidates)
//   P:{dedupe}:post:<term|entity>         zset articleId → time (rewrite candidates)
//   P:{dedupe}:df:<epoch>                 hash term → stories containing it, field "#docs" = count
//   P:{dedupe}:story:<storyId>            list of member article ids, first is the story's own
// Every key expires with the window plus a margin; sorted sets are also trimmed by score.
import { randomBytes } from 'node:crypto';
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
  sameSite,
  textFeatures,
  withinWindow,
  type CompactFeatures,
  type DocumentFrequencies,
  type MatchLevel,
  type PairMatch,
  type TextFeatures,
} from './dedupe.ts';
import { RetryableError } from './errors.ts';
import type { CleanArticle, Evidence, StorySummary } from './records.ts';
import { sha256Hex } from './url.ts';

/** A guid match needs at least this estimated 5-shingle Jaccard between the texts (guids get reused). */
export const GUID_MIN_JACCARD = 0.3;

export interface DedupeOptions {
  /** Key prefix, e.g. 'feedsift'; keys are `${prefix}:{dedupe}:…`. */
  prefix: string;
  /** Articles further apart in time than this never match. Default 72. */
  windowHours: number;
  /** Terms stored per article (the compact vector). Default 80. */
  maxTermsPerArticle?: number;
  /** How long a holder may keep the decision lock before Redis frees it. Default 10 000 ms. */
  lockTtlMs?: number;
  /** How long `decide` waits for the lock before failing with a retryable error. Default 30 000 ms. */
  lockWaitMs?: number;
  /** Candidates scored at the rewrite level, best inverted-index hits first. Default 50. */
  maxCandidates?: number;
}

export type DedupeDecision =
  | { kind: 'story'; articleId: string; storyId: string; story: StorySummary }
  | { kind: 'duplicate'; articleId: string; storyId: string; similarity: number; evidence: Evidence; story: StorySummary }
  /** The same article (same id, i.e. canonical URL) seen again with edited text. */
  | { kind: 'update'; articleId: string; storyId: string; previousTextHash: string; story: StorySummary };

/** What the index keeps per article: bounded whatever the article's length (~2 KB as JSON). */
interface StoredArticle {
  id: string;
  url: string;
  storyId: string;
  /** ms since the epoch: publication time when sane, else fetch time. */
  time: number;
  terms: Array<[string, number]>;
  entities: string[];
  /** MinHash signature, 128 × uint32, little-endian, base64. */
  minhash: string;
  textHash: string;
}

// Keys outlive the window by this much, so an article arriving a little late still finds the
// articles published up to a window before it.
const MARGIN_HOURS = 24;
// Terms and entities of an article posted to (and queried in) the inverted index.
const POSTED_TERMS = 30;
const POSTED_ENTITIES = 20;
// Postings read per key: the most recent ones; a term so common that more than this many
// articles in the window carry it is not what finds a story's copies.
const POSTING_READ_LIMIT = 200;
// Distinct terms counted into the document frequencies per story (most frequent first).
const DF_TERMS_PER_STORY = 400;
const DOCS_FIELD = '#docs';
const COMMIT_ATTEMPTS = 3;

// Compare-and-delete: release the lock only if it is still ours.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// Fenced commit: apply the writes only while we still hold the lock (a holder that stalled past
// the lock TTL must not overwrite what the next holder decided). ARGV[2] is a JSON list of
// [command, keyIndex, ...args]; every key is passed in KEYS so the script is Cluster-correct.
const COMMIT_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ops = cjson.decode(ARGV[2])
for _, op in ipairs(ops) do
  local args = {}
  for i = 3, #op do args[#args + 1] = op[i] end
  redis.call(op[1], KEYS[op[2]], unpack(args))
end
return 1`;

const LEVEL_RANK: Record<MatchLevel, number> = { url: 5, guid: 4, 'text-hash': 3, 'near-copy': 2, rewrite: 1 };

export class DedupeIndex {
  private readonly redis: Redis;
  private readonly opts: Required<DedupeOptions>;
  private readonly base: string;

  constructor(redis: Redis, opts: DedupeOptions) {
    this.redis = redis;
    this.opts = {
      maxTermsPerArticle: DEFAULT_MAX_TERMS,
      lockTtlMs: 10_000,
      lockWaitMs: 30_000,
      maxCandidates: 50,
      ...opts,
      windowHours: opts.windowHours > 0 ? opts.windowHours : DEFAULT_WINDOW_HOURS,
    };
    this.base = `${opts.prefix}:{dedupe}`;
  }

  private key(...parts: string[]): string {
    return [this.base, ...parts].join(':');
  }

  private get windowMs(): number {
    return this.opts.windowHours * 3_600_000;
  }

  private get ttlMs(): number {
    return (this.opts.windowHours + MARGIN_HOURS) * 3_600_000;
  }

  /**
   * Is the article a new story or a copy of one seen within the window? Idempotent: deciding
   * the same article id again returns the stored decision. Throws RetryableError when the
   * decision lock cannot be had in `lockWaitMs`.
   */
  async decide(article: CleanArticle): Promise<DedupeDecision> {
    const stored = await this.storedDecision(article.id);
    if (stored) return stored;
    const features = textFeatures(article);
    for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
      const token = await this.acquireLock();
      try {
        const again = await this.storedDecision(article.id);
        if (again) return again;
        const { decision, ops } = await this.decideLocked(article, features);
        if (await this.commit(token, ops)) return decision;
        // the lock expired under us and someone else may have written: decide again
      } finally {
        await this.releaseLock(token);
      }
    }
    throw new RetryableError('dedupe', 'LOCK_TIMEOUT', `lost the decision lock ${COMMIT_ATTEMPTS} times for ${article.id}`);
  }

  /** The members of a story, its own article first, or null when unknown or expired. */
  async story(storyId: string): Promise<{ storyId: string; articleIds: string[] } | null> {
    const ids = await this.redis.lrange(this.key('story', storyId), 0, -1);
    return ids.length ? { storyId, articleIds: ids } : null;
  }

  // ------------------------------------------------------------ the decision

  private async storedDecision(articleId: string): Promise<DedupeDecision | null> {
    const raw = await this.redis.get(this.key('decision', articleId));
    return raw ? (JSON.parse(raw) as DedupeDecision) : null;
  }

  private async decideLocked(
    article: CleanArticle,
    features: TextFeatures,
  ): Promise<{ decision: DedupeDecision; ops: Ops }> {
    const time = articleTime(article);
    const dfs = await this.loadDocumentFrequencies([...features.termCounts.keys(), ...features.entities]);
    const compact = compactFeatures(features, dfs, this.opts.maxTermsPerArticle);
    const guidKey = this.guidKey(article);

    const best = (await this.exactMatch(article, guidKey, compact, time)) ?? (await this.contentMatch(article, compact, dfs, time));
    const decision: DedupeDecision = best
      ? {
          kind: 'duplicate',
          articleId: article.id,
          storyId: best.candidate.storyId,
          similarity: best.match.score,
          evidence: {
            level: best.match.level,
            score: best.match.score,
            threshold: best.match.threshold,
            sharedTerms: best.match.sharedTerms,
            sharedEntities: best.match.sharedEntities,
            matchedArticleId: best.candidate.id,
            matchedUrl: best.candidate.url,
          },
        }
      : { kind: 'story', articleId: article.id, storyId: article.id };

    const record: StoredArticle = {
      id: article.id,
      url: article.canonicalUrl,
      storyId: decision.storyId,
      time,
      terms: compact.terms,
      entities: compact.entities,
      minhash: encodeSignature(compact.minhash),
      textHash: compact.textHash,
    };
    return { decision, ops: this.writes(article, decision, record, compact, features, guidKey) };
  }

  // Non-URL guids ("12345") are only unique within a feed: scope them by the feed.
  private guidKey(article: CleanArticle): string | null {
    const guid = article.guid?.trim();
    if (!guid) return null;
    if (/^(?:https?:\/\/|urn:|tag:)/i.test(guid)) return guid;
    return `${article.feedUrl}#${guid}`;
  }

  private async exactMatch(
    article: CleanArticle,
    guidKey: string | null,
    compact: CompactFeatures,
    time: number,
  ): Promise<{ candidate: StoredArticle; match: PairMatch } | null> {
    const hash = compact.textHash;
    const probes: Array<[MatchLevel, string]> = [['url', this.key('url', sha256Hex(article.canonicalUrl))]];
    if (guidKey) probes.push(['guid', this.key('guid', sha256Hex(guidKey))]);
    probes.push(['text-hash', this.key('hash', hash)]);
    const ids = await this.redis.mget(...probes.map(([, k]) => k));
    for (let i = 0; i < probes.length; i++) {
      const id = ids[i];
      if (!id || id === article.id) continue;
      const [candidate] = await this.loadArticles([id]);
      if (!candidate || !withinWindow(time, candidate.time, this.opts.windowHours)) continue;
      const level = probes[i]![0];
      // Sloppy CMSs reuse guids across different articles: a guid match only counts when
      // the texts are at least near each other (a copy or an edited version of it).
      if (level === 'guid' && estimateJaccard(compact.minhash, storedToCompact(candidate).minhash) < GUID_MIN_JACCARD) continue;
      return { candidate, match: { level, score: 1, threshold: 1, sharedTerms: [], sharedEntities: [] } };
    }
    return null;
  }

  private async contentMatch(
    article: CleanArticle,
    compact: CompactFeatures,
    dfs: MapDocumentFrequencies,
    time: number,
  ): Promise<{ candidate: StoredArticle; match: PairMatch } | null> {
    const ids = await this.candidateIds(compact, dfs, time);
    ids.delete(article.id);
    if (ids.size === 0) return null;
    const candidates = await this.loadArticles([...ids]);
    // the candidates' terms need idf too
    const extra = new Set<string>();
    for (const c of candidates) if (c) for (const t of [...c.terms.map(([t]) => t), ...c.entities]) extra.add(t);
    const allDfs = await this.loadDocumentFrequencies([...extra], dfs);
    let best: { candidate: StoredArticle; match: PairMatch } | null = null;
    for (const c of candidates) {
      if (!c || !withinWindow(time, c.time, this.opts.windowHours)) continue;
      const match = matchContent(compact, storedToCompact(c), allDfs, { sameSite: sameSite(article.canonicalUrl, c.url) });
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
    const min = time - this.windowMs;
    const max = time + this.windowMs;
    const bands = lshBands(compact.minhash);
    const posted = postedKeys(compact);
    const pipe = this.redis.pipeline();
    for (const b of bands) pipe.zrangebyscore(this.key('lsh', b), min, max);
    for (const t of posted) pipe.zrevrangebyscore(this.key('post', t), max, min, 'LIMIT', 0, POSTING_READ_LIMIT);
    const results = (await pipe.exec()) ?? [];
    const out = new Set<string>();
    const hits = new Map<string, number>();
    results.forEach(([err, ids], i) => {
      if (err) throw err;
      for (const id of ids as string[]) {
        if (i < bands.length) out.add(id);
        else hits.set(id, (hits.get(id) ?? 0) + idf(posted[i - bands.length]!, dfs));
      }
    });
    const ranked = [...hits].sort((a, b) => b[1] - a[1]).slice(0, this.opts.maxCandidates);
    for (const [id] of ranked) out.add(id);
    return out;
  }

  private async loadArticles(ids: string[]): Promise<Array<StoredArticle | null>> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.key('art', id)));
    return raws.map((r) => (r ? (JSON.parse(r) as StoredArticle) : null));
  }

  // ------------------------------------------------------------ document frequencies

  // Document frequencies count stories (not copies: a story syndicated twenty times must not make
  // its own words look common) in two buckets of one window each, by wall-clock time, read
  // together: the counts reflect the last one to two windows of the stream and stay bounded.
  private dfEpochs(): [string, string] {
    const epoch = Math.floor(Date.now() / this.windowMs);
    return [this.key('df', String(epoch)), this.key('df', String(epoch - 1))];
  }

  private async loadDocumentFrequencies(terms: string[], into?: MapDocumentFrequencies): Promise<MapDocumentFrequencies> {
    const dfs = into ?? new MapDocumentFrequencies();
    const wanted = [DOCS_FIELD, ...new Set(terms)].filter((t) => !dfs.has(t));
    if (wanted.length === 0) return dfs;
    const [current, previous] = this.dfEpochs();
    const [a, b] = await Promise.all([this.redis.hmget(current, ...wanted), this.redis.hmget(previous, ...wanted)]);
    wanted.forEach((t, i) => dfs.set(t, Number(a[i] ?? 0) + Number(b[i] ?? 0)));
    return dfs;
  }

  // ------------------------------------------------------------ writes

  private writes(
    article: CleanArticle,
    decision: DedupeDecision,
    record: StoredArticle,
    compact: CompactFeatures,
    features: TextFeatures,
    guidKey: string | null,
  ): Ops {
    const ops = new Ops();
    const ttl = String(this.ttlMs);
    const expireBefore = `(${record.time - this.windowMs - MARGIN_HOURS * 3_600_000}`;
    ops.add('SET', this.key('decision', article.id), JSON.stringify(decision), 'PX', ttl);
    ops.add('SET', this.key('art', article.id), JSON.stringify(record), 'PX', ttl);
    ops.add('SET', this.key('url', sha256Hex(article.canonicalUrl)), article.id, 'PX', ttl);
    if (guidKey) ops.add('SET', this.key('guid', sha256Hex(guidKey)), article.id, 'PX', ttl);
    ops.add('SET', this.key('hash', record.textHash), article.id, 'PX', ttl);
    const zsets = [
      ...lshBands(compact.minhash).map((b) => this.key('lsh', b)),
      ...postedKeys(compact).map((t) => this.key('post', t)),
    ];
    for (const z of zsets) {
      ops.add('ZREMRANGEBYSCORE', z, '-inf', expireBefore);
      ops.add('ZADD', z, String(record.time), article.id);
      ops.add('PEXPIRE', z, ttl);
    }
    ops.add('RPUSH', this.key('story', decision.storyId), article.id);
    ops.add('PEXPIRE', this.key('story', decision.storyId), ttl);
    if (decision.kind === 'story') {
      const [current] = this.dfEpochs();
      const counted = [...features.termCounts]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, DF_TERMS_PER_STORY)
        .map(([t]) => t);
      for (const t of new Set([...counted, ...features.entities])) ops.add('HINCRBY', current, t, '1');
      ops.add('HINCRBY', current, DOCS_FIELD, '1');
      ops.add('PEXPIRE', current, String(2 * this.windowMs + MARGIN_HOURS * 3_600_000));
    }
    return ops;
  }

  private async commit(token: string, ops: Ops): Promise<boolean> {
    const keys = [this.key('lock'), ...ops.keys];
    const result = await this.redis.eval(COMMIT_SCRIPT, keys.length, ...keys, token, JSON.stringify(ops.list));
    return result === 1;
  }

  // ------------------------------------------------------------ the lock

  private async acquireLock(): Promise<string> {
    const token = randomBytes(12).toString('hex');
    const deadline = Date.now() + this.opts.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      const ok = await this.redis.set(this.key('lock'), token, 'PX', this.opts.lockTtlMs, 'NX');
      if (ok === 'OK') return token;
      if (Date.now() >= deadline) {
        throw new RetryableError('dedupe', 'LOCK_TIMEOUT', `decision lock not acquired within ${this.opts.lockWaitMs} ms`);
      }
      // exponential backoff from 5 ms up to 200 ms, with jitter so waiters do not march in step
      const delay = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async releaseLock(token: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key('lock'), token);
  }
}

/** The write list of a commit: commands with their keys indexed into KEYS (lock is KEYS[1]). */
class Ops {
  readonly keys: string[] = [];
  readonly list: Array<[string, number, ...string[]]> = [];
  private readonly index = new Map<string, number>();
  add(command: string, key: string, ...args: string[]): void {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.keys.length + 1; // KEYS[1] is the lock
      this.index.set(key, i);
    }
    this.list.push([command, i, ...args]);
  }
}

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

/** The inverted-index keys of an article: its most distinctive terms and rarest entities. */
function postedKeys(c: CompactFeatures): string[] {
  return [...c.terms.slice(0, POSTED_TERMS).map(([t]) => t), ...c.entities.slice(0, POSTED_ENTITIES)].map((t) =>
    t.length > 64 ? `h:${sha256Hex(t).slice(0, 24)}` : t,
  );
}

function encodeSignature(sig: readonly number[]): string {
  const buf = Buffer.alloc(sig.length * 4);
  sig.forEach((v, i) => buf.writeUInt32LE(v >>> 0, i * 4));
  return buf.toString('base64');
}

function storedToCompact(s: StoredArticle): CompactFeatures {
  const buf = Buffer.from(s.minhash, 'base64');
  const sig = Array.from({ length: buf.length / 4 }, (_, i) => buf.readUInt32LE(i * 4));
  return { terms: s.terms, entities: s.entities, minhash: sig, textHash: s.textHash };
}
