// The dedupe index's state in one process's memory: the same reads and writes as the Redis store
// (dedupe-store.ts), with the same ordering of candidates, so a decision taken here is the one
// the pipeline takes. Used by `feedsift compare`, `feedsift cluster` and the evaluation.
// Differences from Redis, on purpose: no wall-clock expiry (a dry run over a dump has no clock;
// postings are still trimmed by the articles' own times) and one document-frequency bucket.
import type { DedupeDecision } from './dedupe-index.ts';
import {
  DOCS_FIELD,
  trimBefore,
  type DedupeStore,
  type IndexWrites,
  type Postings,
  type StoreLimits,
  type StoredArticle,
  type StoryMember,
  type StoryRecordState,
} from './dedupe-store.ts';
import type { StorySummary } from './records.ts';

export class MemoryDedupeStore implements DedupeStore {
  private readonly limits: StoreLimits;
  private readonly decisions = new Map<string, DedupeDecision>();
  private readonly stored = new Map<string, StoredArticle>();
  private readonly pointerMap = new Map<string, string>();
  private readonly zsets = new Map<string, Map<string, number>>();
  private readonly dfs = new Map<string, number>();
  private readonly stories = new Map<string, { summary: StorySummary; members: StoryMember[] }>();
  // decisions run one at a time, as under the Redis lock
  private queue: Promise<unknown> = Promise.resolve();

  constructor(limits: StoreLimits) {
    this.limits = limits;
  }

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
    const d = this.decisions.get(`${articleId}\u0000${textHash}`);
    return d ? structuredClone(d) : null;
  }

  async articles(ids: string[]): Promise<Array<StoredArticle | null>> {
    return ids.map((id) => this.stored.get(id) ?? null);
  }

  async pointers(names: string[]): Promise<Array<string | null>> {
    return names.map((n) => this.pointerMap.get(n) ?? null);
  }

  async postings(bandKeys: string[], termKeys: string[], minTime: number, maxTime: number, termLimit: number): Promise<Postings> {
    // Redis orders members of equal score by their bytes; the ids compared here are ASCII
    const inRange = (key: string): Array<[string, number]> =>
      [...(this.zsets.get(key) ?? [])]
        .filter(([, t]) => t >= minTime && t <= maxTime)
        .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return {
      bands: bandKeys.map((k) => inRange(k).map(([id]) => id)),
      terms: termKeys.map((k) =>
        inRange(k)
          .reverse()
          .slice(0, termLimit)
          .map(([id]) => id),
      ),
    };
  }

  async documentFrequencies(terms: string[]): Promise<Map<string, number>> {
    return new Map([DOCS_FIELD, ...terms].map((t) => [t, this.dfs.get(t) ?? 0]));
  }

  async storySummary(storyId: string): Promise<StorySummary | null> {
    const s = this.stories.get(storyId);
    return s ? structuredClone(s.summary) : null;
  }

  async story(storyId: string): Promise<StoryRecordState | null> {
    const s = this.stories.get(storyId);
    return s ? structuredClone({ ...s.summary, members: s.members }) : null;
  }

  private apply(w: IndexWrites): void {
    const id = w.article.id;
    this.decisions.set(`${id}\u0000${w.textHash}`, structuredClone(w.decision));
    this.stored.set(id, w.article);
    for (const p of w.pointers) this.pointerMap.set(p, id);
    const oldest = trimBefore(w.article.time, this.limits.windowHours);
    for (const key of w.postings) {
      let z = this.zsets.get(key);
      if (!z) this.zsets.set(key, (z = new Map()));
      for (const [member, t] of z) if (t < oldest) z.delete(member);
      z.set(id, w.article.time);
    }
    const story = this.stories.get(w.story.storyId) ?? { summary: w.story, members: [] };
    story.summary = structuredClone(w.story);
    if (w.member) story.members.push(structuredClone(w.member));
    this.stories.set(w.story.storyId, story);
    if (w.countTerms.length) {
      for (const t of new Set(w.countTerms)) this.dfs.set(t, (this.dfs.get(t) ?? 0) + 1);
      this.dfs.set(DOCS_FIELD, (this.dfs.get(DOCS_FIELD) ?? 0) + 1);
    }
  }
}
