// The dedupe index's state in one process's memory: the same reads and writes as the Redis store
// (dedupe-store.ts) — the same article numbers, posting buckets, checks, caps and ordering — so a
// decision taken here is the one the pipeline takes. Used by `feedsift compare`, `feedsift
// cluster` and the evaluation.
// Stories are kept here from their first member on (Redis keeps a story of one member in its
// article's record: the decisions read the same summaries).
// Differences from Redis, on purpose: no expiry (a dry run over a dump has no clock, and its
// articles' times may come in any order; Redis expires by wall-clock time, so for the length of
// one run nothing expires there either, decisions aside: kept here) and one document-frequency
// bucket.
import type { DedupeDecision } from './dedupe-index.ts';
import {
  bucketOf,
  BUCKET_CAP,
  checkOf,
  decisionDigest,
  epochOf,
  newestFirst,
  type DedupeStore,
  type Frequencies,
  type IndexWrites,
  type PostingQuery,
  type StoreLimits,
  type StoryMember,
  type StoryRecordState,
} from './dedupe-store.ts';
import { HashCounts } from './hash-counts.ts';
import type { StorySummary } from './records.ts';

export class MemoryDedupeStore implements DedupeStore {
  private readonly decisions = new Map<string, DedupeDecision>();
  private readonly stored = new Map<number, Buffer>();
  /** epoch → bucket → postings [check, article number] in commit order. */
  private readonly postingBuckets = new Map<number, Map<number, Array<[number, number]>>>();
  private readonly dfs = new HashCounts();
  private docs = 0;
  private readonly stories = new Map<string, { summary: StorySummary; members: StoryMember[] }>();
  private seq = 0;
  // decisions run one at a time, as under the Redis lock
  private queue: Promise<unknown> = Promise.resolve();

  // the limits the Redis store expires by; nothing expires here
  constructor(_limits: StoreLimits) {}

  exclusive<T>(fn: () => Promise<{ result: T; writes: IndexWrites | null }>): Promise<T> {
    const run = this.queue.then(async () => {
      const { result, writes } = await fn();
      if (writes) this.apply(writes);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async decision(articleId: string, textHash: string): Promise<DedupeDecision | null> {
    const d = this.decisions.get(decisionDigest(articleId, textHash));
    return d ? structuredClone(d) : null;
  }

  async records(numbers: number[]): Promise<Array<Buffer | null>> {
    return numbers.map((n) => this.stored.get(n) ?? null);
  }

  async postings(queries: PostingQuery[], limit: number): Promise<number[][]> {
    return queries.map((q) => {
      const byEpoch: number[][] = [];
      for (let e = q.toEpoch; e >= q.fromEpoch; e--) {
        const bucket = this.postingBuckets.get(e)?.get(bucketOf(q.hash)) ?? [];
        byEpoch.push(bucket.filter(([c]) => c === checkOf(q.hash)).map(([, n]) => n));
      }
      return newestFirst(byEpoch, limit);
    });
  }

  async documentFrequencies(keys: readonly number[]): Promise<Frequencies> {
    return { docs: this.docs, counts: Uint32Array.from(keys, (h) => this.dfs.countOf(h)) };
  }

  async storySummary(storyId: string): Promise<StorySummary | null> {
    const s = this.stories.get(storyId);
    return s ? structuredClone(s.summary) : null;
  }

  async story(storyId: string): Promise<StoryRecordState | null> {
    const s = this.stories.get(storyId);
    return s ? structuredClone({ ...s.summary, members: s.members }) : null;
  }

  async epochs(): Promise<number[]> {
    return [...this.postingBuckets.keys()];
  }

  private apply(w: IndexWrites): void {
    const n = ++this.seq;
    this.decisions.set(decisionDigest(w.articleId, w.textHash), structuredClone(w.decision));
    this.stored.set(n, w.record);
    if (w.replaces !== null) this.stored.delete(w.replaces);
    const epoch = epochOf(w.time);
    let buckets = this.postingBuckets.get(epoch);
    if (!buckets) this.postingBuckets.set(epoch, (buckets = new Map()));
    for (const h of new Set(w.postings)) {
      let list = buckets.get(bucketOf(h));
      if (!list) buckets.set(bucketOf(h), (list = []));
      list.push([checkOf(h), n]);
      if (list.length > BUCKET_CAP) list.shift();
    }
    const story = this.stories.get(w.story.storyId) ?? { summary: w.story, members: [] };
    story.summary = structuredClone(w.story);
    if (w.member) story.members.push(structuredClone(w.member));
    this.stories.set(w.story.storyId, story);
    if (w.countTerms.length) {
      for (const h of new Set(w.countTerms)) this.dfs.add(h, 1);
      this.docs++;
    }
  }
}
