// Where the dedupe index keeps its state. The decision (dedupe-index.ts) runs against the
// `DedupeStore` interface; two implementations share it:
//  - RedisDedupeStore (here): shared by every worker; a decision runs under a short lock and its
//    writes are applied by one fenced Lua script, so two workers never decide against each
//    other's half-written state;
//  - MemoryDedupeStore (dedupe-memory-store.ts): one process, no Redis (`feedsift compare`,
//    `feedsift cluster`, evaluation), with the same numbering, buckets and caps, so it takes the
//    decisions the Redis store takes.
//
// Redis keys, all under one hash tag so that a Redis Cluster keeps them in one slot (the scripts
// touch keys of any article and story; a script's keys must share a slot):
//   P:{dedupe}:lock                  the decision lock (token, PX)
//   P:{dedupe}:seq                   counter: the next article number (a record's key, what postings name)
//   P:{dedupe}:a:<n>                 the article record: compact binary (dedupe-record.ts), ~0.9 KB
//   P:{dedupe}:x:<epoch>:<bucket>    posting bucket: 6-byte postings, 2-byte check + 4-byte article
//                                    number (big-endian), in commit order until BUCKET_CAP are
//                                    held; from then on a ring of the newest BUCKET_CAP with a
//                                    2-byte trailer, the index of the oldest (overwritten next);
//                                    epoch = article time / 1 day, bucket = top 15 bits of the
//                                    posted hash (base 36), check = its low 16 bits
//   P:{dedupe}:d:<digest>            the DedupeDecision of one version (id + text hash, digested)
//                                    as a JSON array, kept DECISION_TTL_MS only (re-delivered
//                                    jobs); afterwards the record answers (dedupe-index.ts `recalled`)
//   P:{dedupe}:s:<storyId>           a story of two members or more: line 1 the summary, then one
//                                    line per member kept (JSON arrays, members capped by the
//                                    index); a story of one member is its article's record
//   P:{dedupe}:epochs                zset posting epoch → wall-clock time of its last write: look-ups
//                                    skip the epochs not in it; finds an article by id alone
//                                    (`StoryIndex.story`)
//   P:{dedupe}:df:<n>                hash term hash (base 36) → stories containing it, "#docs" =
//                                    count; n = wall-clock time / window (two read together)
//   P:{dedupe}:last                  the number of the last article committed
//   P:{dedupe}:log                   zset article number → commit entry (encodeCommitEntry: what
//                                    the commit touched), the newest COMMIT_LOG_CAP kept
// A posting is a 32-bit hash: a content term or entity an article is found by, or one of its
// exact-level names (id, canonical URL, guid, text hash); the names are checked against the
// record read, a posting whose check matches another hash is a false candidate and is dropped
// there. Nothing is scanned but the buckets of the hashes asked for, in the epochs of the window:
// the cost of a lookup is bounded by BUCKET_CAP, not by the size of the index.
// A decision is taken without the lock, against the index as it stood (optimistic); under the lock
// the commits that landed meanwhile are read from the log, and the decision is committed as it is
// when none of them touched what it read (a posting slot it looked up, a record it loaded, a story
// it read), or taken again under the lock otherwise — unless the commits touched only posting
// slots and the decision's own check (`Attempt.stillHolds`, StoryIndex.stillHolds) finds that the
// articles they posted could not have changed it: then it is committed as taken ("confirmed").
// So decisions of several workers run side by side and the lock is held for a check and a commit
// (taking the lock also reads the last commit's number and numbers this one; the commit script
// releases it: two round trips under the lock when nothing landed meanwhile). The one thing a
// commit changes that is not checked is the document frequencies: a decision uses them as this
// process last read them (kept up to dfCacheMs, its own commits added).
// Every key expires: records, posting buckets and stories with the window plus a margin after
// their last write, decisions after DECISION_TTL_MS, frequencies after two windows.
// Measured (`npm run bench -- --only dedupe`, 100k articles): ~2.5 KB of Redis per article — the
// record ~1.15 KB, decision records ~0.5 KB while they live, postings ~0.35 KB, stories ~0.25 KB.
// The record is most of what remains: 80 term hashes with counts, up to 60 entity hashes and 128
// MinHash slots are what the scoring reads. Its slots are kept to 8 bits since record version 2
// (MEMORY USAGE of 3,000 records of the bench's stream: 988 B each on average, 1,141 B with 16-bit
// slots); storing fewer terms or entities would change the scores.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DedupeDecision } from './dedupe-index.ts';
import type { MatchLevel } from './dedupe.ts';
import { base36 } from './dedupe-record.ts';
import { RetryableError } from './errors.ts';
import { ABSENT, HashCounts } from './hash-counts.ts';
import type { Evidence, StorySummary } from './records.ts';

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
  /** The article's id (the decision record's key with `textHash`). */
  articleId: string;
  /** The encoded record (dedupe-record.ts); the store gives it the next article number. */
  record: Buffer;
  /** Article time: the epoch of the postings. */
  time: number;
  /** Hashes the article is posted under (content terms and entities, exact-level names). */
  postings: number[];
  /** The number of the record this one replaces (an update): deleted. */
  replaces: number | null;
  /** The story as it stands after this decision. */
  story: StorySummary;
  /** Appended to the story's members when the story keeps fewer than the cap. */
  member: StoryMember | null;
  /**
   * The member that opened the story, when the story has no record of its own yet (one member:
   * it lives in that member's article record): written first when the record is made.
   */
  opener: StoryMember | null;
  /** Document-frequency keys (`dfKey`: term hashes) to count (a new story); empty otherwise. */
  countTerms: number[];
}

/** How a decision was committed (filled by `exclusive`). */
export interface CommitInfo {
  /** Taken again under the lock: a commit made while it was taken touched what it read. */
  retaken: boolean;
  /** Committed as taken although a commit made meanwhile touched postings it read: its `stillHolds` said that changed nothing. */
  confirmed?: boolean;
}

/** Posting lookups: a hash and the epochs to read it in. */
export interface PostingQuery {
  hash: number;
  fromEpoch: number;
  toEpoch: number;
}

/**
 * What a decision returns to `exclusive`: its result, its writes (null: nothing to write) and,
 * optionally, `stillHolds`: asked under the lock with the numbers of the articles committed
 * meanwhile that were posted under a hash the decision looked up (and touched nothing else it
 * read), it answers true when none of them could have changed the decision — then it is
 * committed as taken instead of being taken again.
 */
export interface Attempt<T> {
  result: T;
  writes: IndexWrites | null;
  stillHolds?: (committed: number[]) => Promise<boolean>;
}

export interface DedupeStore {
  /**
   * Runs `fn` and applies the writes it returns (null: nothing to write) atomically, so that the
   * outcome is one `fn` would have had with no other decision on the same index interleaved (the
   * document frequencies aside: see the top of this file). May run `fn` more than once: again
   * under the lock when another commit touched what it read (unless its `stillHolds` says the
   * commit could not have changed it), or when the Redis lock was lost before the commit.
   */
  exclusive<T>(fn: () => Promise<Attempt<T>>, info?: CommitInfo): Promise<T>;
  /** The stored decision of one version (id + text hash) of an article, while it is kept. */
  decision(articleId: string, textHash: string): Promise<DedupeDecision | null>;
  /** Encoded records by article number (null: gone). */
  records(numbers: number[]): Promise<Array<Buffer | null>>;
  /**
   * Per query, the article numbers posted under the hash (or under another hash with the same
   * bucket and check) in its epochs, newest first (epoch, then commit order), at most `limit`.
   */
  postings(queries: PostingQuery[], limit: number): Promise<number[][]>;
  /** Document frequencies of the keys (`dfKey`: term hashes), in their order, and the stories counted. */
  documentFrequencies(keys: readonly number[]): Promise<Frequencies>;
  /** The story's record; null also for a story of one member (see `IndexWrites.opener`) — except in memory. */
  storySummary(storyId: string): Promise<StorySummary | null>;
  story(storyId: string): Promise<StoryRecordState | null>;
  /** The epochs postings were written in lately (for finding an article without knowing its time). */
  epochs(): Promise<number[]>;
}

/** What `documentFrequencies` returns: `counts[i]` is the frequency of `keys[i]`; `docs` the stories counted. */
export interface Frequencies {
  docs: number;
  counts: Uint32Array;
}

/** The field that counts stories in a frequency hash; a term's field is `base36` of its hash. */
export const DOCS_FIELD = '#docs';
/** Keys outlive the window by this much, so an article arriving a little late still finds the articles up to a window before it. */
export const MARGIN_HOURS = 24;
/** How long a decision record is kept: long enough for a re-delivered job; later the article record answers. */
export const DECISION_TTL_MS = 10 * 60_000;
/** Postings are grouped by article time in epochs of this length (the unit of expiry and of a lookup). */
export const EPOCH_MS = 24 * 3_600_000;
/** Posting buckets per epoch: the top BUCKET_BITS bits of a hash. */
export const BUCKET_BITS = 15;
/**
 * Postings kept per bucket and epoch (the newest): bounds a lookup's cost and an epoch's memory.
 * A full bucket, 1022 postings and its 2-byte trailer, is 6,134 bytes: Redis keeps it in 6,200
 * (`MEMORY USAGE`), where 1024 postings (6,144 bytes) took 7,224 — the allocator's next size class.
 * A full bucket is told by its length (cap + trailer): changing the cap needs new bucket key names,
 * or the rings written under the old cap would be taken for buckets with room.
 */
export const BUCKET_CAP = 1022;
/** Bytes of one posting: 2-byte check, 4-byte article number. */
export const POSTING_BYTES = 6;
/** Bytes after the postings of a full bucket: the index of its oldest posting, big-endian (next overwritten). */
export const RING_TRAILER = 2;

export interface StoreLimits {
  /** Articles further apart in time than this never match. */
  windowHours: number;
}

export function epochOf(time: number): number {
  return Math.floor(time / EPOCH_MS);
}

/** A hash's bucket (top bits) and check (low 16 bits). */
export function bucketOf(hash: number): number {
  return hash >>> (32 - BUCKET_BITS);
}
export function checkOf(hash: number): number {
  return hash & 0xffff;
}

/** A hash's posting slot, any epoch: its bucket and check (what a posting lookup can tell apart). */
export function slotOf(hash: number): number {
  return bucketOf(hash) * 0x10000 + checkOf(hash);
}

/**
 * The article numbers of the postings with `check` in `buckets` (posting buckets, newest first;
 * null: none), newest first, at most `limit`.
 */
export function matchingPostings(buckets: ReadonlyArray<Buffer | null>, check: number, limit: number): number[] {
  const out: number[] = [];
  const hi = check >>> 8;
  const lo = check & 0xff;
  for (const b of buckets) {
    if (!b) continue;
    const count = Math.floor(b.length / POSTING_BYTES);
    // a bucket with room holds its postings in commit order; a full one (RING_TRAILER) is a ring
    // whose trailer is the index of the oldest: the newest sits just before it
    const ring = b.length % POSTING_BYTES === RING_TRAILER;
    const newest = ring ? b.readUInt16BE(b.length - RING_TRAILER) - 1 : count - 1;
    for (let k = 0; k < count && out.length < limit; k++) {
      const o = ((newest - k + count) % count) * POSTING_BYTES;
      if (b[o] === hi && b[o + 1] === lo) out.push(b.readUInt32BE(o + 2));
    }
    if (out.length >= limit) break;
  }
  return out;
}

/** What one decision read from the index (while deciding without the lock). */
export interface ReadSet {
  /** Posting slots looked up (slotOf). */
  slots: Set<number>;
  /** Article records loaded, by number. */
  records: Set<number>;
  /** Story records read, by story id. */
  stories: Set<string>;
}

export function emptyReadSet(): ReadSet {
  return { slots: new Set(), records: new Set(), stories: new Set() };
}

/** One commit as the commit log keeps it: what it changed that a decision may have read. */
export interface CommitEntry {
  /** The committed article's number. */
  n: number;
  /** The record it deleted (an update), or null. */
  replaces: number | null;
  /** The story it wrote (a new story: its own id). */
  storyId: string;
  /** The posting slots it appended to. */
  slots: number[];
}

const NO_RECORD = 0xffffffff;

/** n, replaces (NO_RECORD: none), slot count (4 bytes each), the slots, then the story id (UTF-8). */
export function encodeCommitEntry(e: CommitEntry): Buffer {
  const id = Buffer.from(e.storyId, 'utf8');
  const b = Buffer.alloc(12 + 4 * e.slots.length + id.length);
  b.writeUInt32BE(e.n, 0);
  b.writeUInt32BE(e.replaces ?? NO_RECORD, 4);
  b.writeUInt32BE(e.slots.length, 8);
  e.slots.forEach((s, i) => b.writeUInt32BE(s, 12 + 4 * i));
  id.copy(b, 12 + 4 * e.slots.length);
  return b;
}

export function decodeCommitEntry(b: Buffer): CommitEntry {
  const count = b.readUInt32BE(8);
  const replaces = b.readUInt32BE(4);
  return {
    n: b.readUInt32BE(0),
    replaces: replaces === NO_RECORD ? null : replaces,
    slots: Array.from({ length: count }, (_, i) => b.readUInt32BE(12 + 4 * i)),
    storyId: b.subarray(12 + 4 * count).toString('utf8'),
  };
}

/** Whether a decision that read `reads` might have come out otherwise had `entry` been committed before it. */
export function touches(entry: CommitEntry, reads: ReadSet): boolean {
  return touchesBeyondPostings(entry, reads) || entry.slots.some((s) => reads.slots.has(s));
}

/** Whether `entry` replaced a record the decision loaded or changed a story it read (what no `stillHolds` can vouch for). */
function touchesBeyondPostings(entry: CommitEntry, reads: ReadSet): boolean {
  return (entry.replaces !== null && reads.records.has(entry.replaces)) || reads.stories.has(entry.storyId);
}

/** The key suffix of a decision record: a digest of the article id and text hash. */
export function decisionDigest(articleId: string, textHash: string): string {
  return createHash('sha256').update(`${articleId}\n${textHash}`).digest('base64url').slice(0, 16);
}

// ---------------------------------------------------------------- story lines

type SummaryRow = [string, string, string, string | null, string[], number];
type EvidenceRow = [MatchLevel, number, number, string[], string[], string, string];
type MemberRow = [string, string, string, string | null, EvidenceRow | null];

/** The summary of a story that `m` opened and nothing joined yet. */
export function openedBy(m: StoryMember): StorySummary {
  const t = m.publishedAt ? Date.parse(m.publishedAt) : Number.NaN;
  return {
    storyId: m.id,
    canonicalArticleId: m.id,
    canonicalUrl: m.url,
    earliestPublishedAt: Number.isFinite(t) ? m.publishedAt : null,
    outlets: [m.source],
    memberCount: 1,
  };
}

/** A story summary as its record's first line (a JSON array: no field names). */
export function summaryLine(s: StorySummary): string {
  return JSON.stringify(summaryRow(s));
}

export function parseSummary(line: string): StorySummary {
  return fromSummaryRow(JSON.parse(line) as SummaryRow);
}

type DecisionRow =
  | ['story', string, string, SummaryRow]
  | ['duplicate', string, string, number, EvidenceRow, SummaryRow]
  | ['update', string, string, string, SummaryRow];

function summaryRow(s: StorySummary): SummaryRow {
  return [s.storyId, s.canonicalArticleId, s.canonicalUrl, s.earliestPublishedAt, s.outlets, s.memberCount];
}
function fromSummaryRow([storyId, canonicalArticleId, canonicalUrl, earliestPublishedAt, outlets, memberCount]: SummaryRow): StorySummary {
  return { storyId, canonicalArticleId, canonicalUrl, earliestPublishedAt, outlets, memberCount };
}
function evidenceRow(e: Evidence): EvidenceRow {
  return [e.level, e.score, e.threshold, e.sharedTerms, e.sharedEntities, e.matchedArticleId, e.matchedUrl];
}
function fromEvidenceRow(e: EvidenceRow): Evidence {
  return { level: e[0], score: e[1], threshold: e[2], sharedTerms: e[3], sharedEntities: e[4], matchedArticleId: e[5], matchedUrl: e[6] };
}

/** A decision record's value: a JSON array, no field names. */
export function decisionLine(d: DedupeDecision): string {
  const row: DecisionRow =
    d.kind === 'story'
      ? ['story', d.articleId, d.storyId, summaryRow(d.story)]
      : d.kind === 'duplicate'
        ? ['duplicate', d.articleId, d.storyId, d.similarity, evidenceRow(d.evidence), summaryRow(d.story)]
        : ['update', d.articleId, d.storyId, d.previousTextHash, summaryRow(d.story)];
  return JSON.stringify(row);
}

export function parseDecision(line: string): DedupeDecision {
  const row = JSON.parse(line) as DecisionRow;
  if (row[0] === 'story') return { kind: 'story', articleId: row[1], storyId: row[2], story: fromSummaryRow(row[3]) };
  if (row[0] === 'duplicate') {
    return { kind: 'duplicate', articleId: row[1], storyId: row[2], similarity: row[3], evidence: fromEvidenceRow(row[4]), story: fromSummaryRow(row[5]) };
  }
  return { kind: 'update', articleId: row[1], storyId: row[2], previousTextHash: row[3], story: fromSummaryRow(row[4]) };
}

/** A member as one line of its story's record (similarity and level are the evidence's). */
export function memberLine(m: StoryMember): string {
  const e = m.evidence;
  const row: MemberRow = [m.id, m.url, m.source, m.publishedAt, e ? evidenceRow(e) : null];
  return JSON.stringify(row);
}

export function parseMember(line: string): StoryMember {
  const [id, url, source, publishedAt, e] = JSON.parse(line) as MemberRow;
  const evidence = e ? fromEvidenceRow(e) : null;
  return { id, url, source, publishedAt, similarity: evidence ? evidence.score : null, level: evidence ? evidence.level : null, evidence };
}

// ---------------------------------------------------------------- Redis

export interface RedisStoreOptions extends StoreLimits {
  /** Key prefix, e.g. 'feedsift'; keys are `${prefix}:{dedupe}:…`. */
  prefix: string;
  /** How long a holder may keep the decision lock before Redis frees it. Default 10 000 ms. */
  lockTtlMs?: number;
  /** How long a decision waits for the lock before failing with a retryable error. Default 30 000 ms. */
  lockWaitMs?: number;
  /**
   * Document frequencies read are kept in the process this long and reused (0: never), with this
   * process's own commits added as they are made; other processes' commits show after at most
   * this long. Default DF_CACHE_MS.
   */
  dfCacheMs?: number;
}

/** Default of `dfCacheMs`. */
export const DF_CACHE_MS = 10_000;
/** Frequencies the cache holds at most (it starts afresh beyond). */
const DF_CACHE_MAX = 500_000;

const COMMIT_ATTEMPTS = 3;
/** Commits the log keeps: a decision that started before more commits than this is taken again under the lock. */
export const COMMIT_LOG_CAP = 1024;
// The read set of the decision running in this async context (RedisDedupeStore.exclusive).
const reading = new AsyncLocalStorage<ReadSet>();
const noop = (): void => undefined;
// The lock for a decision's check and commit, in one round trip: KEYS lock, last, seq; ARGV token,
// TTL (ms). Taken: {1, the number of the last commit, a new article number}; held by another: {0}.
const LOCK_SCRIPT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {0} end
return {1, redis.call('GET', KEYS[2]) or '0', redis.call('INCR', KEYS[3])}`;
// Compare-and-delete: release the lock only if it is still ours.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// Fenced commit: apply the writes only while we still hold the lock (a holder that stalled past
// the lock TTL must not overwrite what the next holder decided), then release it. ARGV[2] is a
// JSON list of [command, keyIndex, ...args]; an argument that is a JSON number n stands for
// ARGV[n] (binary values); every key is passed in KEYS so the script is Cluster-correct. Three
// commands of its own (an article's ~50 postings and ~100 counted terms as one command each: a
// command is a Lua table or two to build, and they were most of the script's time):
//   POSTS - n cap ttl "k c k c …"
//                                per pair, add the 6-byte posting (check c, article n) to the
//                                bucket KEYS[k], keeping the newest `cap` bytes: appended while
//                                the bucket has room; the posting that fills it also adds the
//                                ring trailer; a full bucket (cap + 2 bytes) has its oldest
//                                posting overwritten in place and the trailer moved on
//   COUNT key "f f …" "n n …"    HINCRBY key f n, pair by pair
//   STORY key summary member opener ttl
//                                replace the summary line, append the member line ('': none); a
//                                missing record is made, with the opener's line first ('': none)
const COMMIT_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ops = cjson.decode(ARGV[2])
local floor = math.floor
local function post(key, c, n, cap, ttl)
  local p = string.char(floor(c / 256), c % 256, floor(n / 16777216) % 256, floor(n / 65536) % 256, floor(n / 256) % 256, n % 256)
  if redis.call('STRLEN', key) == cap + ${RING_TRAILER} then
    local t = redis.call('GETRANGE', key, cap, cap + ${RING_TRAILER - 1})
    local h = string.byte(t, 1) * 256 + string.byte(t, 2)
    redis.call('SETRANGE', key, h * ${POSTING_BYTES}, p)
    h = (h + 1) % (cap / ${POSTING_BYTES})
    redis.call('SETRANGE', key, cap, string.char(floor(h / 256), h % 256))
    redis.call('PEXPIRE', key, ttl)
  else
    local s = (redis.call('GET', key) or '') .. p
    if #s > cap then s = string.sub(s, #s - cap + 1) end
    if #s == cap then s = s .. string.char(0, 0) end
    redis.call('SET', key, s, 'PX', ttl)
  end
end
for _, op in ipairs(ops) do
  local args = {}
  for i = 3, #op do
    local a = op[i]
    if type(a) == 'number' then a = ARGV[a] end
    args[#args + 1] = a
  end
  local key = KEYS[op[2]]
  if op[1] == 'POSTS' then
    local n, cap, ttl = tonumber(args[1]), tonumber(args[2]), args[3]
    local nums = string.gmatch(args[4], '%d+')
    for k in nums do post(KEYS[tonumber(k)], tonumber(nums()), n, cap, ttl) end
  elseif op[1] == 'COUNT' then
    local counts = string.gmatch(args[2], '%S+')
    for f in string.gmatch(args[1], '%S+') do redis.call('HINCRBY', key, f, counts()) end
  elseif op[1] == 'STORY' then
    local v = redis.call('GET', key)
    local rest = ''
    if v then
      local nl = string.find(v, '\\n', 1, true)
      if nl then rest = string.sub(v, nl) end
    elseif args[3] ~= '' then
      rest = '\\n' .. args[3]
    end
    local out = args[1] .. rest
    if args[2] ~= '' then out = out .. '\\n' .. args[2] end
    redis.call('SET', key, out, 'PX', args[4])
  else
    redis.call(op[1], key, unpack(args))
  end
end
redis.call('DEL', KEYS[1])
return 1`;
// Document frequencies: ARGV[1] the keys (base-36 hashes and "#docs", never a space), separated
// by spaces; per key the sum of its counts in KEYS[1] and KEYS[2], 4 bytes big-endian, in order.
const DF_SCRIPT = `
local fields = {}
for f in string.gmatch(ARGV[1], '%S+') do fields[#fields + 1] = f end
local out = {}
for from = 1, #fields, 4000 do
  local to = math.min(from + 3999, #fields)
  local a = redis.call('HMGET', KEYS[1], unpack(fields, from, to))
  local b = redis.call('HMGET', KEYS[2], unpack(fields, from, to))
  for i = 1, to - from + 1 do
    out[#out + 1] = struct.pack('>I4', (tonumber(a[i]) or 0) + (tonumber(b[i]) or 0))
  end
end
return table.concat(out)`;

export class RedisDedupeStore implements DedupeStore {
  private readonly redis: Redis;
  private readonly opts: Required<RedisStoreOptions>;
  private readonly base: string;

  constructor(redis: Redis, opts: RedisStoreOptions) {
    this.redis = redis;
    this.opts = { lockTtlMs: 10_000, lockWaitMs: 30_000, dfCacheMs: DF_CACHE_MS, ...opts };
    this.base = `${opts.prefix}:{dedupe}`;
  }

  /** The key of one index entry, e.g. `key('s', storyId)`. */
  key(...parts: string[]): string {
    return [this.base, ...parts].join(':');
  }

  private get windowMs(): number {
    return this.opts.windowHours * 3_600_000;
  }

  private get ttlMs(): number {
    return (this.opts.windowHours + MARGIN_HOURS) * 3_600_000;
  }

  private recordKey(n: number): string {
    return this.key('a', n.toString(36));
  }

  private bucketKey(epoch: number, bucket: number): string {
    return this.key('x', String(epoch), bucket.toString(36));
  }

  /**
   * How the decisions of this store were committed: as taken without the lock (`confirmed`: a
   * commit made meanwhile was posted under a hash it looked up, and its `stillHolds` said that
   * could not change it), or taken again under it.
   */
  readonly commits = { asTaken: 0, confirmed: 0, retaken: 0 };

  async exclusive<T>(fn: () => Promise<Attempt<T>>, info?: CommitInfo): Promise<T> {
    // The decisions of this process are taken one at a time, in arrival order (taken side by side
    // they would mostly make each other stale: measured, a third of them retaken in one process
    // with four at once; taking the next one while the previous one committed retook 68–137 of
    // 1,000 in one process where none were, and its articles/s stayed within the spread of runs);
    // each is taken without the Redis lock, so decisions of other processes run beside it, and
    // holds the lock only for the check and the commit.
    const turn = this.localTail.then(async () => this.commitInTurn(await this.withoutLock(fn), fn, info));
    this.localTail = turn.then(noop, noop);
    return turn;
  }

  private localTail: Promise<void> = Promise.resolve();

  private async withoutLock<T>(fn: () => Promise<Attempt<T>>): Promise<{ since: number; reads: ReadSet; attempt: Attempt<T> }> {
    // every commit up to `since` is wholly visible to the reads that follow (a commit is one script)
    const since = Number((await this.redis.get(this.key('last'))) ?? 0);
    const reads = emptyReadSet();
    const attempt = await reading.run(reads, fn);
    return { since, reads, attempt };
  }

  private async commitInTurn<T>(taken: { since: number; reads: ReadSet; attempt: Attempt<T> }, fn: () => Promise<Attempt<T>>, info?: CommitInfo): Promise<T> {
    const { since, reads, attempt } = taken;
    if (!attempt.writes) return attempt.result;
    for (let n = 1; n <= COMMIT_ATTEMPTS; n++) {
      // one round trip: the lock, the number of the last commit and this commit's number
      const { token, last, number } = await this.acquireLock((t) => this.lockForCommit(t));
      let held = true;
      try {
        let out = attempt;
        const touched = n > 1 ? 'unknown' : await this.touchedSince(since, last, reads);
        if (touched !== 'unknown' && touched.length === 0) {
          this.commits.asTaken++;
        } else if (touched !== 'unknown' && (await this.stillHolds(attempt, touched, reads))) {
          this.commits.confirmed++;
          if (info) info.confirmed = true;
        } else {
          // taken again as if alone: with the frequencies as they are now (the commits made
          // meanwhile may have counted stories the cached ones miss), read past the cache and
          // written into it — the cache itself is kept for the decisions that follow (emptying
          // it made each of them read thousands of frequencies again)
          this.dfFresh = true;
          try {
            out = await fn();
          } finally {
            this.dfFresh = false;
          }
          this.commits.retaken++;
          if (info) info.retaken = true;
        }
        if (!out.writes) return out.result;
        // the commit script releases the lock with the commit
        if (await this.commit(token, out.writes, number)) {
          held = false;
          return out.result;
        }
        // the lock expired under us and someone else may have written: decide again
      } finally {
        if (held) await this.releaseLock(token);
      }
    }
    throw new RetryableError('dedupe', 'LOCK_TIMEOUT', `lost the decision lock ${COMMIT_ATTEMPTS} times`);
  }

  /** Under the lock: the commits after `since` that touched what the decision read ('unknown': can no longer be told). */
  private async touchedSince(since: number, last: number, reads: ReadSet): Promise<CommitEntry[] | 'unknown'> {
    if (last === since) return [];
    if (last < since || last - since > COMMIT_LOG_CAP) return 'unknown';
    const entries = await this.redis.zrangebyscoreBuffer(this.key('log'), `(${since}`, '+inf');
    // a commit missing from the log (trimmed, or the log expired) cannot be checked
    const seen = entries.map(decodeCommitEntry);
    if (seen.length === 0 || seen.at(-1)!.n !== last) return 'unknown';
    return seen.filter((e) => touches(e, reads));
  }

  /** Whether commits that touched only posting slots the decision read leave it as it is (its own `stillHolds` judges). */
  private async stillHolds(attempt: Attempt<unknown>, touched: CommitEntry[], reads: ReadSet): Promise<boolean> {
    if (!attempt.stillHolds) return false;
    if (touched.some((e) => touchesBeyondPostings(e, reads))) return false;
    return attempt.stillHolds(touched.map((e) => e.n));
  }

  async decision(articleId: string, textHash: string): Promise<DedupeDecision | null> {
    const raw = await this.redis.get(this.key('d', decisionDigest(articleId, textHash)));
    return raw ? parseDecision(raw) : null;
  }

  async records(numbers: number[]): Promise<Array<Buffer | null>> {
    if (numbers.length === 0) return [];
    const reads = reading.getStore();
    if (reads) for (const n of numbers) reads.records.add(n);
    return this.redis.mgetBuffer(...numbers.map((n) => this.recordKey(n)));
  }

  // The buckets are read whole (one MGET) and searched here: per query, the article numbers of
  // the postings whose check is the query's, newest first (epoch, then commit order), at most
  // `limit` across its epochs (no more are ever used). Measured with every bucket at its cap and
  // 200 matches a term, the search in a Lua script was ~7 ms of Redis time per lookup of 94
  // terms, what Redis gives back by MGET a fraction of that (see docs/scaling.md).
  async postings(queries: PostingQuery[], limit: number): Promise<number[][]> {
    const reads = reading.getStore();
    if (reads) for (const q of queries) reads.slots.add(slotOf(q.hash));
    // only the epochs written to (the registry is written with the postings, and outlives them)
    const live = new Set(await this.epochs());
    // per query, its (epoch, bucket) keys newest first, each key named once
    const index = new Map<string, number>();
    const keys: string[] = [];
    const plans = queries.map((q) => {
      const at: number[] = [];
      for (let e = q.toEpoch; e >= q.fromEpoch; e--) {
        if (!live.has(e)) continue;
        const k = this.bucketKey(e, bucketOf(q.hash));
        let i = index.get(k);
        if (i === undefined) {
          keys.push(k);
          index.set(k, (i = keys.length - 1));
        }
        at.push(i);
      }
      return at;
    });
    if (keys.length === 0) return queries.map(() => []);
    const buckets = await this.redis.mgetBuffer(...keys);
    return queries.map((q, j) => matchingPostings(plans[j]!.map((i) => buckets[i] ?? null), checkOf(q.hash), limit));
  }

  // Document frequencies count stories in two buckets of one window each, by wall-clock time,
  // read together: the counts reflect the last one to two windows of the stream and stay bounded.
  private dfEpochs(): [string, string] {
    const epoch = Math.floor(Date.now() / this.windowMs);
    return [this.key('df', String(epoch)), this.key('df', String(epoch - 1))];
  }

  // Frequencies read lately, by key, for the window pair `dfCache.current` (a decision reads
  // thousands, and consecutive decisions share most of them: measured, the frequency script was
  // ~7.7 ms of Redis time per decision with 10k articles indexed).
  private dfCache = { current: '', born: 0, docs: ABSENT, counts: new HashCounts() };
  /** While a decision is taken again under the lock: frequencies are read from Redis, not the cache. */
  private dfFresh = false;

  /** The cache for the current window pair, started afresh when it is too old, too big or of the previous windows. */
  private freshDfCache(current: string): typeof this.dfCache {
    const c = this.dfCache;
    const now = Date.now();
    if (c.current !== current || now - c.born > this.opts.dfCacheMs || c.counts.size > DF_CACHE_MAX) {
      this.dfCache = { current, born: now, docs: ABSENT, counts: new HashCounts() };
    }
    return this.dfCache;
  }

  /** This process's own increments, written through to the cache (keys not cached stay out). */
  private countedInCache(current: string, { counts, stories }: Counted): void {
    const c = this.dfCache;
    if (c.current !== current || stories === 0) return;
    for (const [h, n] of counts) {
      const had = c.counts.get(h);
      if (had !== ABSENT) c.counts.set(h, had + n);
    }
    if (c.docs !== ABSENT) c.docs += stories;
  }

  async documentFrequencies(keys: readonly number[]): Promise<Frequencies> {
    const [current, previous] = this.dfEpochs();
    const cache = this.opts.dfCacheMs > 0 ? this.freshDfCache(current) : null;
    // read under the lock (dfFresh): from Redis, and into the cache
    const from = this.dfFresh ? null : cache;
    const counts = new Uint32Array(keys.length);
    let docs = from ? from.docs : ABSENT;
    // positions of the keys not cached
    const wanted: number[] = [];
    keys.forEach((h, i) => {
      const n = from ? from.counts.get(h) : ABSENT;
      if (n === ABSENT) wanted.push(i);
      else counts[i] = n;
    });
    if (wanted.length === 0 && docs !== ABSENT) return { docs, counts };
    // one round trip and one reply of 4 bytes per field: a decision reads thousands of keys (its
    // own terms and its candidates'), and a reply element per key per hash cost more than Redis's lookups
    const fields = wanted.map((i) => base36(keys[i]!));
    if (docs === ABSENT) fields.unshift(DOCS_FIELD);
    const packed = (await this.redis.callBuffer('EVAL', DF_SCRIPT, 2, current, previous, fields.join(' '))) as Buffer;
    if (packed.length !== fields.length * 4) throw new Error(`dedupe store: ${packed.length / 4} frequencies for ${fields.length} keys`);
    let at = 0;
    if (docs === ABSENT) {
      docs = packed.readUInt32BE(0);
      at = 4;
      if (cache) cache.docs = docs;
    }
    for (const i of wanted) {
      const n = packed.readUInt32BE(at);
      at += 4;
      counts[i] = n;
      cache?.counts.set(keys[i]!, n);
    }
    return { docs, counts };
  }

  async storySummary(storyId: string): Promise<StorySummary | null> {
    reading.getStore()?.stories.add(storyId);
    const raw = await this.redis.get(this.key('s', storyId));
    if (!raw) return null;
    const nl = raw.indexOf('\n');
    return parseSummary(nl < 0 ? raw : raw.slice(0, nl));
  }

  async story(storyId: string): Promise<StoryRecordState | null> {
    reading.getStore()?.stories.add(storyId);
    const raw = await this.redis.get(this.key('s', storyId));
    if (!raw) return null;
    const [first, ...members] = raw.split('\n');
    return { ...parseSummary(first!), members: members.map(parseMember) };
  }

  async epochs(): Promise<number[]> {
    return (await this.redis.zrange(this.key('epochs'), '0', '-1')).map(Number);
  }

  /** Applies the writes as article number `n` and releases the lock, if the lock is still `token`'s. */
  private async commit(token: string, w: IndexWrites, n: number): Promise<boolean> {
    const ops = new Ops(this.key('lock'));
    this.writeOps(ops, w, n);
    const counted = countedBy([w]);
    this.countOps(ops, counted);
    const result = await this.redis.eval(COMMIT_SCRIPT, ops.keys.length, ...ops.keys, token, JSON.stringify(ops.list), ...ops.blobs);
    if (result === 1) this.countedInCache(this.dfEpochs()[0], counted);
    return result === 1;
  }

  /** The commands of one decision's commit but its document-frequency increments (`countOps`), in order, for article number `n`. */
  private writeOps(ops: Ops, w: IndexWrites, n: number): void {
    const ttl = String(this.ttlMs);
    ops.add('SET', this.key('d', decisionDigest(w.articleId, w.textHash)), decisionLine(w.decision), 'PX', String(Math.min(DECISION_TTL_MS, this.ttlMs)));
    ops.add('SET', this.recordKey(n), ops.blob(w.record), 'PX', ttl);
    // the counter outlives every record it numbered
    ops.add('PEXPIRE', this.key('seq'), ttl);
    if (w.replaces !== null) ops.add('DEL', this.recordKey(w.replaces));
    const epoch = epochOf(w.time);
    const cap = String(BUCKET_CAP * POSTING_BYTES);
    const posts = [...new Set(w.postings)].map((h) => `${ops.keyIndex(this.bucketKey(epoch, bucketOf(h)))} ${checkOf(h)}`);
    if (posts.length) ops.addKeyless('POSTS', String(n), cap, ttl, posts.join(' '));
    // the commit log, for the decisions taken meanwhile (exclusive)
    const entry = encodeCommitEntry({ n, replaces: w.replaces, storyId: w.story.storyId, slots: [...new Set(w.postings.map(slotOf))] });
    ops.add('ZADD', this.key('log'), String(n), ops.blob(entry));
    ops.add('ZREMRANGEBYSCORE', this.key('log'), '-inf', String(n - COMMIT_LOG_CAP));
    ops.add('PEXPIRE', this.key('log'), ttl);
    ops.add('SET', this.key('last'), String(n), 'PX', ttl);
    ops.add('ZADD', this.key('epochs'), String(Date.now()), String(epoch));
    ops.add('ZREMRANGEBYSCORE', this.key('epochs'), '-inf', `(${Date.now() - this.ttlMs}`);
    ops.add('PEXPIRE', this.key('epochs'), ttl);
    // a new story is its article's record until a second member joins
    if (w.decision.kind !== 'story') {
      ops.add('STORY', this.key('s', w.story.storyId), summaryLine(w.story), w.member ? memberLine(w.member) : '', w.opener ? memberLine(w.opener) : '', ttl);
    }
  }

  /** The document-frequency increments of the stories `counted` (none: no commands). */
  private countOps(ops: Ops, counted: Counted): void {
    if (counted.stories === 0) return;
    const [current] = this.dfEpochs();
    const fields = [...[...counted.counts.keys()].map(base36), DOCS_FIELD];
    ops.add('COUNT', current, fields.join(' '), [...counted.counts.values(), counted.stories].join(' '));
    ops.add('PEXPIRE', current, this.dfTtl());
  }

  private dfTtl(): string {
    return String(2 * this.windowMs + MARGIN_HOURS * 3_600_000);
  }

  /**
   * Applies the writes of decisions taken elsewhere (StoryIndex.writesFor), in order, as one
   * commit under the decision lock: for filling an index quickly (the benchmarks). The state is
   * what committing each one would leave: the same commands and article numbers, except that the
   * document-frequency increments of the batch are added up per term (one HINCRBY each).
   */
  async bulkWrite(writes: IndexWrites[]): Promise<void> {
    if (writes.length === 0) return;
    const last = await this.redis.incrby(this.key('seq'), writes.length);
    const ops = new Ops(this.key('lock'));
    writes.forEach((w, i) => this.writeOps(ops, w, last - writes.length + 1 + i));
    const counted = countedBy(writes);
    this.countOps(ops, counted);
    const token = await this.acquireLock((t) => this.lockOnly(t));
    // the commit script releases the lock when it commits
    const done = await this.redis.eval(COMMIT_SCRIPT, ops.keys.length, ...ops.keys, token, JSON.stringify(ops.list), ...ops.blobs).catch(async (err: unknown) => {
      await this.releaseLock(token);
      throw err;
    });
    if (done !== 1) throw new RetryableError('dedupe', 'LOCK_TIMEOUT', 'lost the decision lock during a bulk write');
    this.countedInCache(this.dfEpochs()[0], counted);
  }

  /** Takes the lock with `tryOnce(token)` (null: held by another), waiting and retrying until lockWaitMs. */
  private async acquireLock<R>(tryOnce: (token: string) => Promise<R | null>): Promise<R> {
    const token = randomBytes(12).toString('hex');
    const deadline = Date.now() + this.opts.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      const got = await tryOnce(token);
      if (got !== null) return got;
      if (Date.now() >= deadline) {
        throw new RetryableError('dedupe', 'LOCK_TIMEOUT', `decision lock not acquired within ${this.opts.lockWaitMs} ms`);
      }
      // The lock is held for a check and a commit (about a millisecond; a decision retaken under
      // it: tens), and one waiter per process polls (the others wait in line in exclusive()), its
      // own decisions waiting behind it: backoff from 0.5 ms up to 4 ms, with jitter so that
      // waiters do not march in step
      const delay = Math.min(4, 0.5 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** The bare lock. */
  private async lockOnly(token: string): Promise<string | null> {
    return (await this.redis.set(this.key('lock'), token, 'PX', this.opts.lockTtlMs, 'NX')) === 'OK' ? token : null;
  }

  /** The lock, with the number of the last commit and a number for this one. */
  private async lockForCommit(token: string): Promise<{ token: string; last: number; number: number } | null> {
    const got = (await this.redis.eval(LOCK_SCRIPT, 3, this.key('lock'), this.key('last'), this.key('seq'), token, String(this.opts.lockTtlMs))) as [number, string, number] | [0];
    if (got[0] !== 1) return null;
    return { token, last: Number(got[1]), number: Number(got[2]) };
  }

  private async releaseLock(token: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key('lock'), token);
  }
}

/** Lists of article numbers, newest epoch first, each in commit order: newest first, at most `limit`. */
export function newestFirst(byEpoch: number[][], limit: number): number[] {
  const out: number[] = [];
  for (const list of byEpoch) {
    for (let i = list.length - 1; i >= 0 && out.length < limit; i--) out.push(list[i]!);
    if (out.length >= limit) break;
  }
  return out;
}

/** What committing some decisions adds to the document frequencies: the new stories, and by key how many of them have it. */
interface Counted {
  stories: number;
  counts: Map<number, number>;
}

/** The document-frequency increments of `writes` (each new story's distinct `countTerms` once, and the story). */
function countedBy(writes: readonly IndexWrites[]): Counted {
  const counts = new Map<number, number>();
  let stories = 0;
  for (const w of writes) {
    if (!w.countTerms.length) continue;
    for (const h of new Set(w.countTerms)) counts.set(h, (counts.get(h) ?? 0) + 1);
    stories++;
  }
  return { stories, counts };
}

/** The write list of a commit: commands with their keys indexed into KEYS (the lock is KEYS[1]) and binary values into ARGV. */
class Ops {
  readonly keys: string[];
  readonly list: Array<[string, number, ...Array<string | number>]> = [];
  readonly blobs: Buffer[] = [];
  private readonly index = new Map<string, number>();
  constructor(lockKey: string) {
    this.keys = [lockKey];
  }
  /** A binary value: its ARGV index (ARGV[1] is the token, ARGV[2] the list). */
  blob(b: Buffer): number {
    this.blobs.push(b);
    return this.blobs.length + 2;
  }
  /** The key's index in KEYS (1-based, as Lua's), adding it the first time. */
  keyIndex(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.keys.length;
      this.index.set(key, i);
    }
    return i;
  }
  add(command: string, key: string, ...args: Array<string | number>): void {
    this.list.push([command, this.keyIndex(key), ...args]);
  }
  /** A command whose keys are among its arguments (as KEYS indices: POSTS). */
  addKeyless(command: string, ...args: Array<string | number>): void {
    this.list.push([command, 0, ...args]);
  }
}
