// Where the dedupe index keeps its state. The decision (dedupe-index.ts) runs against the
// `DedupeStore` interface; two implementations share it:
//  - RedisDedupeStore (here): shared by every worker; a decision runs under a short lock and its
//    writes are applied by one fenced Lua script, so two workers never decide against each
//    other's half-written state;
//  - MemoryDedupeStore (dedupe-memory-store.ts): one process, no Redis (`feedsift compare`,
//    `feedsift cluster`, evaluation).
//
// Redis keys, all under one hash tag so that a Redis Cluster keeps them in one slot (the commit
// script touches keys of any article and story; a script's keys must share a slot):
//   P:{dedupe}:lock                            the decision lock (token, PX)
//   P:{dedupe}:decision:<articleId>:<textHash> JSON DedupeDecision of one version (idempotency)
//   P:{dedupe}:art:<articleId>                 JSON StoredArticle (compact features, bounded)
//   P:{dedupe}:url:<sha> / guid:<sha> / hash:<textHash>   → articleId (exact levels)
//   P:{dedupe}:lsh:<band>:<hex>                zset articleId → time (near-copy candidates)
//   P:{dedupe}:post:<term|entity>              zset articleId → time (rewrite candidates)
//   P:{dedupe}:df:<epoch>                      hash term → stories containing it, "#docs" = count
//   P:{dedupe}:story:<storyId>                 JSON StorySummary
//   P:{dedupe}:members:<storyId>               list of JSON StoryMember, in join order, capped
// Every key expires with the window plus a margin; sorted sets are also trimmed by score.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { MatchLevel } from './dedupe.ts';
import type { DedupeDecision } from './dedupe-index.ts';
import { RetryableError } from './errors.ts';
import type { Evidence, StorySummary } from './records.ts';

/** What the index keeps per article: bounded whatever the article's length (~2 KB as JSON). */
export interface StoredArticle {
  id: string;
  /** Canonical URL. */
  url: string;
  storyId: string;
  /** ms since the epoch: publication time when sane, else fetch time. */
  time: number;
  terms: Array<[string, number]>;
  entities: string[];
  /** Headline content terms (absent when the article had no headline, or was stored before they were kept). */
  titleTerms?: string[];
  /** MinHash signature, 128 × uint32, little-endian, base64. */
  minhash: string;
  textHash: string;
  /** Primary language subtag when known: two articles in different languages are judged on shared anchors. */
  language?: string;
}

/** One member of a story, as kept in the story record. */
export interface StoryMember {
  id: string;
  /** Canonical URL. */
  url: string;
  source: string;
  publishedAt: string | null;
  /** Similarity to the member it matched; null for the article that opened the story. */
  similarity: number | null;
  level: MatchLevel | null;
  evidence: Evidence | null;
}

/** The full story record: the summary every decision carries, and the members kept. */
export interface StoryRecordState extends StorySummary {
  /** The first `maxStoryMembers` members in join order (`memberCount` counts them all). */
  members: StoryMember[];
}

/** Everything one decision writes, applied atomically by the store. */
export interface IndexWrites {
  decision: DedupeDecision;
  textHash: string;
  article: StoredArticle;
  /** Exact-level pointers (`url:<sha>`, `guid:<sha>`, `hash:<textHash>`) set to the article's id. */
  pointers: string[];
  /** Sorted sets (`lsh:<band>`, `post:<term>`) the article is posted to, scored by its time. */
  postings: string[];
  /** The story as it stands after this decision. */
  story: StorySummary;
  /** Appended to the story's members when the story keeps fewer than the cap. */
  member: StoryMember | null;
  /** Terms and entities to count in the document frequencies (a new story); empty otherwise. */
  countTerms: string[];
}

/** Candidate ids found by the LSH bands and the inverted index. */
export interface Postings {
  /** Per band key: ids within the time range (oldest first). */
  bands: string[][];
  /** Per term key: the `limit` most recent ids within the time range (newest first). */
  terms: string[][];
}

export interface DedupeStore {
  /**
   * Runs `fn` so that no other decision on the same index interleaves with it, then applies the
   * writes it returns (null: nothing to write) atomically. May run `fn` more than once when the
   * Redis lock was lost before the commit.
   */
  exclusive<T>(fn: () => Promise<{ result: T; writes: IndexWrites | null }>): Promise<T>;
  /** The stored decision of one version (id + text hash) of an article. */
  decision(articleId: string, textHash: string): Promise<DedupeDecision | null>;
  articles(ids: string[]): Promise<Array<StoredArticle | null>>;
  /** The article ids the exact-level pointers name. */
  pointers(names: string[]): Promise<Array<string | null>>;
  postings(bandKeys: string[], termKeys: string[], minTime: number, maxTime: number, termLimit: number): Promise<Postings>;
  /** Document frequencies of the terms, plus `DOCS_FIELD` (stories counted). */
  documentFrequencies(terms: string[]): Promise<Map<string, number>>;
  storySummary(storyId: string): Promise<StorySummary | null>;
  story(storyId: string): Promise<StoryRecordState | null>;
}

export const DOCS_FIELD = '#docs';
/** Keys outlive the window by this much, so an article arriving a little late still finds the articles up to a window before it. */
export const MARGIN_HOURS = 24;

export interface StoreLimits {
  /** Articles further apart in time than this never match. */
  windowHours: number;
}

/** Postings older than this (relative to the article being written) are trimmed. */
export function trimBefore(time: number, windowHours: number): number {
  return time - (windowHours + MARGIN_HOURS) * 3_600_000;
}

// ---------------------------------------------------------------- Redis

export interface RedisStoreOptions extends StoreLimits {
  /** Key prefix, e.g. 'feedsift'; keys are `${prefix}:{dedupe}:…`. */
  prefix: string;
  /** How long a holder may keep the decision lock before Redis frees it. Default 10 000 ms. */
  lockTtlMs?: number;
  /** How long a decision waits for the lock before failing with a retryable error. Default 30 000 ms. */
  lockWaitMs?: number;
}

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

export class RedisDedupeStore implements DedupeStore {
  private readonly redis: Redis;
  private readonly opts: Required<RedisStoreOptions>;
  private readonly base: string;

  constructor(redis: Redis, opts: RedisStoreOptions) {
    this.redis = redis;
    this.opts = { lockTtlMs: 10_000, lockWaitMs: 30_000, ...opts };
    this.base = `${opts.prefix}:{dedupe}`;
  }

  /** The key of one index entry, e.g. `key('story', id)`. */
  key(...parts: string[]): string {
    return [this.base, ...parts].join(':');
  }

  private get windowMs(): number {
    return this.opts.windowHours * 3_600_000;
  }

  private get ttlMs(): number {
    return (this.opts.windowHours + MARGIN_HOURS) * 3_600_000;
  }

  async exclusive<T>(fn: () => Promise<{ result: T; writes: IndexWrites | null }>): Promise<T> {
    for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
      const token = await this.acquireLock();
      try {
        const { result, writes } = await fn();
        if (!writes) return result;
        if (await this.commit(token, writes)) return result;
        // the lock expired under us and someone else may have written: decide again
      } finally {
        await this.releaseLock(token);
      }
    }
    throw new RetryableError('dedupe', 'LOCK_TIMEOUT', `lost the decision lock ${COMMIT_ATTEMPTS} times`);
  }

  async decision(articleId: string, textHash: string): Promise<DedupeDecision | null> {
    const raw = await this.redis.get(this.key('decision', articleId, textHash));
    return raw ? (JSON.parse(raw) as DedupeDecision) : null;
  }

  async articles(ids: string[]): Promise<Array<StoredArticle | null>> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => this.key('art', id)));
    return raws.map((r) => (r ? (JSON.parse(r) as StoredArticle) : null));
  }

  async pointers(names: string[]): Promise<Array<string | null>> {
    if (names.length === 0) return [];
    return this.redis.mget(...names.map((n) => this.key(n)));
  }

  async postings(bandKeys: string[], termKeys: string[], minTime: number, maxTime: number, termLimit: number): Promise<Postings> {
    const pipe = this.redis.pipeline();
    for (const b of bandKeys) pipe.zrangebyscore(this.key(b), minTime, maxTime);
    for (const t of termKeys) pipe.zrevrangebyscore(this.key(t), maxTime, minTime, 'LIMIT', 0, termLimit);
    const results = (await pipe.exec()) ?? [];
    const lists = results.map(([err, ids]) => {
      if (err) throw err;
      return ids as string[];
    });
    return { bands: lists.slice(0, bandKeys.length), terms: lists.slice(bandKeys.length) };
  }

  // Document frequencies count stories in two buckets of one window each, by wall-clock time,
  // read together: the counts reflect the last one to two windows of the stream and stay bounded.
  private dfEpochs(): [string, string] {
    const epoch = Math.floor(Date.now() / this.windowMs);
    return [this.key('df', String(epoch)), this.key('df', String(epoch - 1))];
  }

  async documentFrequencies(terms: string[]): Promise<Map<string, number>> {
    const wanted = [DOCS_FIELD, ...new Set(terms)];
    const [current, previous] = this.dfEpochs();
    const [a, b] = await Promise.all([this.redis.hmget(current, ...wanted), this.redis.hmget(previous, ...wanted)]);
    return new Map(wanted.map((t, i) => [t, Number(a[i] ?? 0) + Number(b[i] ?? 0)]));
  }

  async storySummary(storyId: string): Promise<StorySummary | null> {
    const raw = await this.redis.get(this.key('story', storyId));
    return raw ? (JSON.parse(raw) as StorySummary) : null;
  }

  async story(storyId: string): Promise<StoryRecordState | null> {
    const [summary, members] = await Promise.all([
      this.storySummary(storyId),
      this.redis.lrange(this.key('members', storyId), 0, -1),
    ]);
    return summary ? { ...summary, members: members.map((m) => JSON.parse(m) as StoryMember) } : null;
  }

  private async commit(token: string, w: IndexWrites): Promise<boolean> {
    const ops = new Ops(this.key('lock'));
    this.writeOps(ops, w, true);
    const result = await this.redis.eval(COMMIT_SCRIPT, ops.keys.length, ...ops.keys, token, JSON.stringify(ops.list));
    return result === 1;
  }

  /**
   * The commands of one decision's commit, in order. `countTerms`: false leaves out the
   * document-frequency increments (bulkWrite adds them up over a batch).
   */
  private writeOps(ops: Ops, w: IndexWrites, countTerms: boolean): void {
    const ttl = String(this.ttlMs);
    const id = w.article.id;
    ops.add('SET', this.key('decision', id, w.textHash), JSON.stringify(w.decision), 'PX', ttl);
    ops.add('SET', this.key('art', id), JSON.stringify(w.article), 'PX', ttl);
    for (const p of w.pointers) ops.add('SET', this.key(p), id, 'PX', ttl);
    const expireBefore = `(${trimBefore(w.article.time, this.opts.windowHours)}`;
    for (const z of w.postings) {
      ops.add('ZREMRANGEBYSCORE', this.key(z), '-inf', expireBefore);
      ops.add('ZADD', this.key(z), String(w.article.time), id);
      ops.add('PEXPIRE', this.key(z), ttl);
    }
    const storyId = w.story.storyId;
    ops.add('SET', this.key('story', storyId), JSON.stringify(w.story), 'PX', ttl);
    if (w.member) ops.add('RPUSH', this.key('members', storyId), JSON.stringify(w.member));
    // refreshed on every decision touching the story, so the members outlive the summary never
    ops.add('PEXPIRE', this.key('members', storyId), ttl);
    if (countTerms && w.countTerms.length) {
      const [current] = this.dfEpochs();
      for (const t of new Set(w.countTerms)) ops.add('HINCRBY', current, t, '1');
      ops.add('HINCRBY', current, DOCS_FIELD, '1');
      ops.add('PEXPIRE', current, this.dfTtl());
    }
  }

  private dfTtl(): string {
    return String(2 * this.windowMs + MARGIN_HOURS * 3_600_000);
  }

  /**
   * Applies the writes of decisions taken elsewhere (StoryIndex.writesFor), in order, as one
   * commit under the decision lock: for filling an index quickly (the benchmarks). The state is
   * what committing each one would leave: the same commands, except that the document-frequency
   * increments of the batch are added up per term (one HINCRBY each).
   */
  async bulkWrite(writes: IndexWrites[]): Promise<void> {
    if (writes.length === 0) return;
    const ops = new Ops(this.key('lock'));
    const counts = new Map<string, number>();
    for (const w of writes) {
      this.writeOps(ops, w, false);
      if (!w.countTerms.length) continue;
      for (const t of new Set(w.countTerms)) counts.set(t, (counts.get(t) ?? 0) + 1);
      counts.set(DOCS_FIELD, (counts.get(DOCS_FIELD) ?? 0) + 1);
    }
    if (counts.size) {
      const [current] = this.dfEpochs();
      for (const [t, n] of counts) ops.add('HINCRBY', current, t, String(n));
      ops.add('PEXPIRE', current, this.dfTtl());
    }
    const token = await this.acquireLock();
    try {
      const done = await this.redis.eval(COMMIT_SCRIPT, ops.keys.length, ...ops.keys, token, JSON.stringify(ops.list));
      if (done !== 1) throw new RetryableError('dedupe', 'LOCK_TIMEOUT', 'lost the decision lock during a bulk write');
    } finally {
      await this.releaseLock(token);
    }
  }

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

/** The write list of a commit: commands with their keys indexed into KEYS (the lock is KEYS[1]). */
class Ops {
  readonly keys: string[];
  readonly list: Array<[string, number, ...string[]]> = [];
  private readonly index = new Map<string, number>();
  constructor(lockKey: string) {
    this.keys = [lockKey];
  }
  add(command: string, key: string, ...args: string[]): void {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.keys.length; // Lua's KEYS is 1-based
      this.index.set(key, i);
    }
    this.list.push([command, i, ...args]);
  }
}
