// The dedupe index on real Redis: one story out of the five seed copies whatever the order,
// unrelated articles left alone, idempotency, exact levels, the time window, one story when
// several workers decide copies at the same moment, the story record (members, canonical copy,
// outlets), updates of an article, key hygiene (hash tags, expiry), and the in-memory index
// taking exactly the decisions the Redis one takes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { compactFeatures, MemoryDocumentFrequencies, textFeatures, textHash } from '../../pipeline/dedupe.ts';
import { DedupeIndex, MemoryDedupeIndex, StoryIndex, type DedupeDecision } from '../../pipeline/dedupe-index.ts';
import { BUCKET_BITS, BUCKET_CAP, POSTING_BYTES, RING_TRAILER, openedBy, RedisDedupeStore, type Attempt, type CommitInfo, type IndexWrites } from '../../pipeline/dedupe-store.ts';
import { MemoryDedupeStore } from '../../pipeline/dedupe-memory-store.ts';
import type { CleanArticle } from '../../pipeline/records.ts';
import { urlId } from '../../pipeline/url.ts';
import { seedDocs, zyteDocs, zyteLabels, zyteTitles, type Doc } from '../../scripts/lib/dedupe-eval.ts';
import { EVAL_DIR, hasEval } from '../helpers/eval.ts';
import { deletePrefix, newRedis, uniquePrefix } from '../helpers/redis.ts';

const BASE_TIME = Date.parse('2025-08-27T08:00:00Z');

function article(doc: Doc, minutesAfterBase: number, over: Partial<CleanArticle> = {}): CleanArticle {
  const url = over.canonicalUrl ?? doc.url;
  const at = new Date(BASE_TIME + minutesAfterBase * 60_000).toISOString();
  return {
    id: urlId(url),
    url,
    canonicalUrl: url,
    guid: url,
    feedId: 'feed',
    feedUrl: `${new URL(url).origin}/feed.xml`,
    source: new URL(url).hostname,
    title: doc.title,
    byline: null,
    publishedAt: at,
    fetchedAt: at,
    language: doc.language,
    languageConfidence: 1,
    text: doc.text,
    wordCount: doc.text.split(/\s+/).length,
    removed: [],
    siteName: null,
    leadImage: null,
    extractedFrom: 'page',
    ...over,
  };
}

// identity levels must match whatever the text says
const UNRELATED_TEXT = 'Tomato growers in the valley reported an early harvest this year after a warm spring.';
const seeds = seedDocs().map((d, i) => article(d, i * 30));

let redis: Redis;
let prefix: string;
let index: DedupeIndex;

beforeEach(() => {
  redis = newRedis();
  prefix = uniquePrefix('fstest-dedupe');
  index = new DedupeIndex(redis, { prefix, windowHours: 72 });
});

afterEach(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** The keys matching a pattern (SCAN: the shared Redis may hold many other keys). */
async function keysLike(pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...batch);
  } while (cursor !== '0');
  return out;
}

async function decideAll(articles: CleanArticle[]): Promise<DedupeDecision[]> {
  const out: DedupeDecision[] = [];
  for (const a of articles) out.push(await index.decide(a));
  return out;
}

function expectOneStory(decisions: DedupeDecision[], ids: string[]): string {
  const stories = decisions.filter((d) => d.kind === 'story');
  expect(stories).toHaveLength(1);
  const storyId = stories[0]!.storyId;
  for (const d of decisions) {
    expect(d.storyId).toBe(storyId);
    if (d.kind === 'duplicate') {
      expect(d.evidence.level).toBe('rewrite');
      expect(d.evidence.score).toBeGreaterThanOrEqual(d.evidence.threshold);
      expect(d.evidence.sharedTerms.length).toBeGreaterThan(0);
      expect(d.evidence.sharedEntities.length).toBeGreaterThan(0);
      expect(ids).toContain(d.evidence.matchedArticleId);
      expect(d.evidence.matchedArticleId).not.toBe(d.articleId);
      expect(d.evidence.matchedUrl).toMatch(/^https:\/\/seed-outlet-/);
    }
  }
  return storyId;
}

describe('DedupeIndex on the founding case', () => {
  const orders: Array<[string, number[]]> = [
    ['file order', [0, 1, 2, 3, 4]],
    ['reversed', [4, 3, 2, 1, 0]],
    ['interleaved', [2, 4, 0, 3, 1]],
  ];
  it.each(orders)('groups the five seeds as one story, first articles of the index (%s)', async (_name, order) => {
    const decisions = await decideAll(order.map((i) => seeds[i]!));
    const storyId = expectOneStory(
      decisions,
      seeds.map((s) => s.id),
    );
    expect(storyId).toBe(seeds[order[0]!]!.id);
    expect(decisions.filter((d) => d.kind === 'duplicate')).toHaveLength(4);
    const story = await index.story(storyId);
    expect(story?.members.map((m) => m.id)).toEqual(order.map((i) => seeds[i]!.id));
    expect(story?.memberCount).toBe(5);
  });

  it('returns the stored decision when an article is decided again', async () => {
    const first = await decideAll(seeds.slice(0, 3));
    const again = await decideAll(seeds.slice(0, 3));
    expect(again).toEqual(first);
    expect((await index.story(first[0]!.storyId))?.members).toHaveLength(3);
  });

  it('answers a re-delivered article from its record once the short-lived decision record is gone, writing nothing', async () => {
    const first = await decideAll(seeds.slice(0, 3));
    const keysBefore = (await keysLike(`${prefix}:*`)).sort();
    // the decision records (d:) expire after minutes; the article records stay for the window
    const decisionKeys = await keysLike(`${prefix}:{dedupe}:d:*`);
    expect(decisionKeys).toHaveLength(3);
    await redis.del(...decisionKeys);
    const again = await decideAll(seeds.slice(0, 3));
    const story = (await index.story(first[0]!.storyId))!;
    again.forEach((d, k) => {
      const was = first[k]!;
      expect(d).toMatchObject({ kind: was.kind, articleId: was.articleId, storyId: was.storyId, story: { memberCount: 3 } });
      if (d.kind === 'duplicate' && was.kind === 'duplicate') {
        expect(d.evidence).toEqual({ ...was.evidence, sharedTerms: [], sharedEntities: [] });
        expect(d.similarity).toBe(was.similarity);
      }
    });
    // no second copy of anything: the same keys (the decisions aside) and the same story
    expect((await keysLike(`${prefix}:*`)).filter((k) => !k.includes(':d:')).sort()).toEqual(keysBefore.filter((k) => !k.includes(':d:')));
    expect(story.members.map((m) => m.id)).toEqual(seeds.slice(0, 3).map((s) => s.id));
  });

  it('gives one story and one duplicate when two workers decide two copies at once', async () => {
    const other = newRedis();
    try {
      const indexes = [index, new DedupeIndex(other, { prefix, windowHours: 72 })];
      const copies = [seeds[1]!, seeds[3]!];
      const calls = Array.from({ length: 10 }, (_, i) => indexes[i % 2]!.decide(copies[Math.floor(i / 2) % 2]!));
      const decisions = await Promise.all(calls);
      const byArticle = new Map<string, DedupeDecision[]>();
      for (const d of decisions) byArticle.set(d.articleId, [...(byArticle.get(d.articleId) ?? []), d]);
      expect(byArticle.size).toBe(2);
      for (const list of byArticle.values()) for (const d of list) expect(d).toEqual(list[0]);
      const firsts = [...byArticle.values()].map((l) => l[0]!);
      expect(firsts.filter((d) => d.kind === 'story')).toHaveLength(1);
      expect(new Set(firsts.map((d) => d.storyId)).size).toBe(1);
      expect((await index.story(firsts[0]!.storyId))?.members).toHaveLength(2);
    } finally {
      other.disconnect();
    }
  });
});

describe('DedupeIndex: decisions of one process side by side (FEEDSIFT_DEDUPE_CONCURRENCY)', () => {
  it('takes them one at a time in arrival order: the five seeds at once make one story, opened by the first to arrive', async () => {
    for (const order of [[0, 1, 2, 3, 4], [4, 2, 0, 3, 1]]) {
      await deletePrefix(redis, prefix);
      const fresh = new DedupeIndex(redis, { prefix, windowHours: 72 });
      const decisions = await Promise.all(order.map((i) => fresh.decide(seeds[i]!)));
      const storyId = expectOneStory(decisions, seeds.map((s) => s.id));
      expect(storyId).toBe(seeds[order[0]!]!.id);
      expect((await fresh.story(storyId))?.members.map((m) => m.id)).toEqual(order.map((i) => seeds[i]!.id));
    }
  });

  it('answers an article that waits in line behind its own first delivery with that decision, writing nothing more', async () => {
    const fresh = new DedupeIndex(redis, { prefix, windowHours: 72 });
    await fresh.decide(seeds[0]!);
    // both deliveries look for a stored decision before either has one, then wait their turn
    const [first, again] = await Promise.all([fresh.decide(seeds[1]!), fresh.decide(seeds[1]!)]);
    expect(first).toMatchObject({ kind: 'duplicate', storyId: seeds[0]!.id });
    expect(again).toEqual(first);
    expect(await keysLike(`${prefix}:{dedupe}:a:*`)).toHaveLength(2);
    expect((await fresh.story(seeds[0]!.id))?.members.map((m) => m.id)).toEqual([seeds[0]!.id, seeds[1]!.id]);
  });
});

describe('DedupeIndex: the decision lock', () => {
  const lockKey = (): string => `${prefix}:{dedupe}:lock`;

  it('waits while another holder has the lock, then commits and releases it with the commit', async () => {
    await redis.set(lockKey(), 'another-worker', 'PX', 10_000);
    let done = false;
    const pending = index.decide(seeds[0]!).then((d) => ((done = true), d));
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    expect(await keysLike(`${prefix}:{dedupe}:a:*`)).toHaveLength(0);
    await redis.del(lockKey());
    expect(await pending).toMatchObject({ kind: 'story', storyId: seeds[0]!.id });
    expect(await redis.exists(lockKey())).toBe(0);
    expect(await keysLike(`${prefix}:{dedupe}:a:*`)).toHaveLength(1);
    // numbered after the last commit: the next decision finds it
    expect(await index.decide(seeds[1]!)).toMatchObject({ kind: 'duplicate', storyId: seeds[0]!.id });
    expect(await redis.exists(lockKey())).toBe(0);
  });

  it('fails with LOCK_TIMEOUT when the lock is not had in time, writing nothing and leaving the other holder its lock', async () => {
    await redis.set(lockKey(), 'another-worker', 'PX', 10_000);
    const impatient = new StoryIndex(new RedisDedupeStore(redis, { prefix, windowHours: 72, lockWaitMs: 200 }), { windowHours: 72 });
    await expect(impatient.decide(seeds[0]!)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', retryable: true });
    expect(await redis.get(lockKey())).toBe('another-worker');
    expect(await keysLike(`${prefix}:{dedupe}:a:*`)).toHaveLength(0);
    expect(await redis.get(`${prefix}:{dedupe}:last`)).toBeNull();
  });
});

/** A store whose first decision, once taken (without the lock), waits for `release()` before it commits. */
class HeldStore extends RedisDedupeStore {
  calls = 0;
  readonly taken: Promise<void>;
  private onTaken!: () => void;
  private readonly gate: Promise<void>;
  release!: () => void;
  constructor(r: Redis, p: string) {
    super(r, { prefix: p, windowHours: 72 });
    this.taken = new Promise((res) => (this.onTaken = res));
    this.gate = new Promise((res) => (this.release = res));
  }
  override exclusive<T>(fn: () => Promise<Attempt<T>>, info?: CommitInfo): Promise<T> {
    return super.exclusive(async () => {
      const out = await fn();
      if (++this.calls === 1) {
        this.onTaken();
        await this.gate;
      }
      return out;
    }, info);
  }
}

describe('DedupeIndex: decisions taken without the lock, checked against the commits made meanwhile', () => {
  async function heldWhile(held: CleanArticle, meanwhile: CleanArticle): Promise<{ store: HeldStore; late: DedupeDecision; early: DedupeDecision; info: CommitInfo }> {
    const store = new HeldStore(redis, prefix);
    const info: CommitInfo = { retaken: false, confirmed: false };
    const pending = new StoryIndex(store, { windowHours: 72 }).decide(held, info);
    await store.taken;
    const early = await index.decide(meanwhile);
    store.release();
    return { store, late: await pending, early, info };
  }

  it('takes a decision again under the lock when a copy of its story was committed meanwhile', async () => {
    const { store, late, early, info } = await heldWhile(seeds[1]!, seeds[0]!);
    expect(early).toMatchObject({ kind: 'story', storyId: seeds[0]!.id });
    // taken against the empty index it was a new story; taken again it is the copy it is
    expect(late).toMatchObject({ kind: 'duplicate', storyId: seeds[0]!.id, story: { memberCount: 2 } });
    expect(store.commits).toEqual({ asTaken: 0, confirmed: 0, retaken: 1 });
    expect(info).toEqual({ retaken: true, confirmed: false });
    expect(store.calls).toBe(2);
    expect((await index.story(seeds[0]!.id))?.members.map((m) => m.id)).toEqual([seeds[0]!.id, seeds[1]!.id]);
    // exactly the decision taken alone after the copy: the frequencies the copy counted included
    const serial = new DedupeIndex(redis, { prefix: `${prefix}-serial`, windowHours: 72 });
    try {
      await serial.decide(seeds[0]!);
      expect(late).toEqual(await serial.decide(seeds[1]!));
    } finally {
      await deletePrefix(redis, `${prefix}-serial`);
    }
  });

  it('commits a decision as taken when what was committed meanwhile touched nothing it read', async () => {
    const unrelated = article({ key: 'tomatoes', url: 'https://farm-news.example/tomatoes', title: 'Tomatoes', language: 'en', text: Array.from({ length: 12 }, (_, i) => `${UNRELATED_TEXT} Crate ${i + 1} of the valley cooperative.`).join(' ') }, 5);
    const { store, late, early } = await heldWhile(seeds[1]!, unrelated);
    expect(early.kind).toBe('story');
    expect(late).toMatchObject({ kind: 'story', storyId: seeds[1]!.id });
    expect(store.commits).toEqual({ asTaken: 1, confirmed: 0, retaken: 0 });
    expect(store.calls).toBe(1);
  });

  it('commits a decision as taken when an article committed meanwhile shares a looked-up term but cannot matter to it (confirmed, not taken again)', async () => {
    // one of the held seed's posted content words, though not a leading one (the bound on a single shared term is
    // its share of the seed's vector), in a long farm report: posted under the same hash, far from a copy
    const word = compactFeatures(textFeatures(seeds[1]!), new MemoryDocumentFrequencies()).terms[12]![0];
    const crops = ['tomato', 'pepper', 'onion', 'carrot', 'melon', 'cabbage', 'lettuce', 'barley', 'walnut', 'apricot', 'cherry', 'spinach'];
    const places = ['Alder', 'Birch', 'Cedar', 'Dunmore', 'Elmwood', 'Fairhaven', 'Glenrock', 'Hartwell', 'Ivybridge', 'Juniper', 'Kestrel', 'Larkspur'];
    const text = crops
      .map((crop, i) => `The ${crop} growers of ${places[i]} reported ${i + 2} crates a hectare, ${word} ${word} ${word}, after a ${['wet', 'dry', 'mild'][i % 3]} spring on the ${places[(i + 5) % 12]} road.`)
      .join(' ');
    const sharing = article({ key: 'tomatoes-sharing', url: 'https://farm-news.example/tomatoes-2', title: 'Tomatoes', language: 'en', text }, 5);
    const { store, late, early, info } = await heldWhile(seeds[1]!, sharing);
    expect(early.kind).toBe('story');
    expect(late).toMatchObject({ kind: 'story', storyId: seeds[1]!.id });
    expect(store.commits).toEqual({ asTaken: 0, confirmed: 1, retaken: 0 });
    expect(info).toEqual({ retaken: false, confirmed: true });
    expect(store.calls).toBe(1);
    // the decision taken alone after the farm report comes to the same
    const serial = new DedupeIndex(redis, { prefix: `${prefix}-serial`, windowHours: 72 });
    try {
      await serial.decide(sharing);
      expect(await serial.decide(seeds[1]!)).toMatchObject({ kind: 'story', storyId: seeds[1]!.id });
    } finally {
      await deletePrefix(redis, `${prefix}-serial`);
    }
  });

  it('answers with the stored decision, writing nothing, when the same article was decided meanwhile (a re-delivered job)', async () => {
    const { store, late, early } = await heldWhile(seeds[2]!, seeds[2]!);
    expect(late).toEqual(early);
    expect(store.commits).toEqual({ asTaken: 0, confirmed: 0, retaken: 1 });
    expect(await keysLike(`${prefix}:{dedupe}:a:*`)).toHaveLength(1);
  });
});

describe('DedupeIndex exact levels and the window', () => {
  it('matches the same canonical URL at level url', async () => {
    const first = seeds[0]!;
    await index.decide(first);
    // another id (e.g. from a feed link) but the same canonical page, text changed by an update
    const d = await index.decide({ ...seeds[2]!, id: 'other-id', canonicalUrl: first.canonicalUrl, text: UNRELATED_TEXT });
    expect(d.kind).toBe('duplicate');
    if (d.kind === 'duplicate') {
      expect(d.evidence.level).toBe('url');
      expect(d.evidence.matchedArticleId).toBe(first.id);
    }
  });

  it('matches the same guid at level guid when the text is an edited version', async () => {
    const first = { ...seeds[0]!, guid: 'urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427' };
    await index.decide(first);
    // the same item re-published under another URL with a paragraph added at the end
    const edited = `${first.text}\n\nUpdate: the ministry confirmed the figures on Thursday evening.`;
    const d = await index.decide({ ...seeds[4]!, guid: first.guid, text: edited });
    expect(d.kind === 'duplicate' && d.evidence.level).toBe('guid');
  });

  it('does not merge two different articles that reuse one guid (sloppy CMS)', async () => {
    const first = { ...seeds[0]!, guid: 'urn:uuid:0b0e28ba-2fa1-11d2-883f-0016d3cca427' };
    await index.decide(first);
    const d = await index.decide({ ...seeds[4]!, guid: first.guid, text: UNRELATED_TEXT.repeat(3), title: 'Tomato harvest' });
    expect(d.kind).toBe('story');
  });

  it('matches an exact text copy under another URL at level text-hash', async () => {
    const first = seeds[0]!;
    await index.decide(first);
    const url = 'https://copycat.example/news/1';
    const copy = { ...first, id: urlId(url), url, canonicalUrl: url, guid: url, text: `  ${first.text.toUpperCase().replace(/\n/g, '\n\n')}  ` };
    const d = await index.decide(copy);
    expect(d.kind === 'duplicate' && d.evidence.level).toBe('text-hash');
    expect(d.storyId).toBe(first.id);
  });

  it('never matches articles further apart than the window', async () => {
    const first = seeds[0]!;
    await index.decide(first);
    const late = new Date(Date.parse(first.publishedAt!) + 73 * 3_600_000).toISOString();
    const url = 'https://copycat.example/news/2';
    const exactCopyLate = { ...first, id: urlId(url), url, canonicalUrl: url, guid: url, publishedAt: late, fetchedAt: late };
    const rewriteLate = { ...seeds[1]!, publishedAt: late, fetchedAt: late };
    const d1 = await index.decide(exactCopyLate);
    const d2 = await index.decide(rewriteLate);
    expect(d1.kind).toBe('story');
    // the two late articles are within the window of each other, and are one story
    expect(d2.kind === 'duplicate' && d2.evidence.matchedArticleId).toBe(exactCopyLate.id);
  });
});

describe.skipIf(!hasEval)('DedupeIndex with unrelated real articles', () => {
  const zyte = hasEval ? zyteDocs(undefined, EVAL_DIR) : [];

  it('keeps 30 unrelated articles as their own stories beside the seeds', async () => {
    // 30 pages of different events (pages labelled as one story, or one topic, with another are skipped)
    const labels = zyteLabels();
    const labelled = new Set([...labels.groups, ...labels.related].flatMap((g) => g.keys));
    const picked: Doc[] = zyte.filter((z) => !labelled.has(z.key)).slice(0, 30);
    expect(picked).toHaveLength(30);
    const articles = [...seeds.slice(0, 2), ...picked.map((z, i) => article(z, 5 + i)), ...seeds.slice(2)];
    const decisions = await decideAll(articles);
    const zyteDecisions = decisions.slice(2, 32);
    expect(zyteDecisions.every((d) => d.kind === 'story')).toBe(true);
    expectOneStory([...decisions.slice(0, 2), ...decisions.slice(32)], seeds.map((s) => s.id));
  });

  it('still groups the seeds after 181 unrelated articles, and never with them', async () => {
    const before = await decideAll(zyte.map((z, i) => article(z, -600 + i)));
    const zyteIds = new Set(before.map((d) => d.articleId));
    const decisions = await decideAll(seeds);
    const storyId = expectOneStory(decisions, seeds.map((s) => s.id));
    expect(zyteIds.has(storyId)).toBe(false);
    expect(before.some((d) => d.storyId === storyId)).toBe(false);
  });
});

describe.skipIf(!hasEval)('DedupeIndex judges a rewrite among the other stories in the window', () => {
  // real pages of the Zyte set on one topic each, labelled as different events (fixtures/expected/zyte-stories.json)
  let byKey: Map<string, Doc>;
  let background: Doc[];
  beforeAll(async () => {
    const docs = zyteDocs(undefined, EVAL_DIR, await zyteTitles(EVAL_DIR));
    byKey = new Map(docs.map((d) => [d.key.slice(0, 6), d]));
    const labels = zyteLabels();
    const labelled = new Set([...labels.groups, ...labels.related].flatMap((g) => g.keys));
    background = docs.filter((d) => !labelled.has(d.key)).slice(0, 30);
  });
  // 30 unrelated pages first, so that the index has learnt some term statistics (on an empty
  // index every word is equally rare and the inquiry and layoffs reports stay together)
  const pages = (...keys: string[]): CleanArticle[] => [
    ...background.map((d, i) => article(d, -60 + i)),
    ...keys.map((k, i) => article(byKey.get(k)!, i)),
  ];

  it.each([
    // BBC: Big Machine lets Taylor Swift play her songs at the AMAs; Fox News: Scooter Braun "frustrated"
    // with his partner amid the feud. Alone they pass the rewrite threshold on the feud's names;
    // after a third, other piece on the feud (a digest) those names are the topic, not the event.
    ['two developments of one feud', ['70cb2d', 'eb62ac'], ['55bb63', '70cb2d', 'eb62ac']],
    // two reports of the New York attorney general's inquiry into WeWork, then WeWork's layoffs: the
    // layoffs report matches one inquiry report on the company's names, not what both inquiry reports say
    ['an inquiry and layoffs at one company', ['06e512', 'bc13ff'], ['06e512', '1ace8c', 'bc13ff']],
  ])('%s', async (_name, alone, inContext) => {
    const pair = (await decideAll(pages(...alone))).slice(-2);
    expect(pair.map((d) => d.kind)).toEqual(['story', 'duplicate']);
    await deletePrefix(redis, prefix);
    const three = (await decideAll(pages(...inContext))).slice(-3);
    const last = three.at(-1)!;
    expect(last.kind).toBe('story');
    expect(three.slice(0, -1).some((d) => d.storyId === last.storyId)).toBe(false);
  });
});

describe('RedisDedupeStore document frequencies', () => {
  it('reads thousands of keys in one call, in their order: the two windows summed, unknown keys 0, "#docs" always', async () => {
    const store = new RedisDedupeStore(redis, { prefix, windowHours: 72 });
    const epoch = Math.floor(Date.now() / (72 * 3_600_000));
    const [current, previous] = [`${prefix}:{dedupe}:df:${epoch}`, `${prefix}:{dedupe}:df:${epoch - 1}`];
    // 9,000 keys: more than one HMGET chunk of the script; counts past 16 bits; hashes past 2^31
    const hashes = Array.from({ length: 9000 }, (_, i) => (i * 477_218_579 + 13) >>> 0);
    expect(hashes.some((h) => h >= 2 ** 31)).toBe(true);
    const keys = hashes.map((h) => h.toString(36));
    const expected = new Map<string, number>();
    await redis.hset(current, '#docs', 70_000);
    await redis.hset(previous, '#docs', 123);
    const writes: Array<Promise<unknown>> = [];
    keys.forEach((k, i) => {
      if (i % 3 === 0) return; // unknown: 0
      const a = i % 5 === 0 ? 0 : (i % 97) + 1;
      const b = i % 2 === 0 ? 100_000 + i : 0;
      if (a) writes.push(redis.hset(current, k, a));
      if (b) writes.push(redis.hset(previous, k, b));
      expected.set(k, a + b);
    });
    await Promise.all(writes);
    const got = await store.documentFrequencies([...hashes, hashes[1]!]);
    expect(got.docs).toBe(70_000 + 123);
    expect(got.counts.length).toBe(keys.length + 1);
    [...keys, keys[1]!].forEach((k, i) => expect(got.counts[i], k).toBe(expected.get(k) ?? 0));
  });

  it('keeps what it read for dfCacheMs, with its own commits added; another process\'s increments show once that has passed', async () => {
    const epoch = Math.floor(Date.now() / (72 * 3_600_000));
    const current = `${prefix}:{dedupe}:df:${epoch}`;
    const cached = new RedisDedupeStore(redis, { prefix, windowHours: 72, dfCacheMs: 2000 });
    const uncached = new RedisDedupeStore(redis, { prefix, windowHours: 72, dfCacheMs: 0 });
    const cachedIndex = new StoryIndex(cached, { windowHours: 72 });
    // the terms of the first seed, read once (a decision reads them all) and cached
    const first = await cachedIndex.decide(seeds[0]!);
    expect(first.kind).toBe('story');
    const terms = (await redis.hkeys(current)).filter((k) => k !== '#docs').map((k) => parseInt(k, 36));
    expect(terms.length).toBeGreaterThan(100);
    const before = await cached.documentFrequencies(terms);
    expect(before).toEqual(await uncached.documentFrequencies(terms));
    // its own commit (an unrelated new story) is added to what it keeps
    const unrelated = article({ key: 'tomatoes', url: 'https://farm-news.example/tomatoes', title: 'Tomatoes', language: 'en', text: Array.from({ length: 12 }, (_, i) => `${UNRELATED_TEXT} Crate ${i + 1} of the valley cooperative.`).join(' ') }, 5);
    await cachedIndex.decide(unrelated);
    expect(await cached.documentFrequencies(terms)).toEqual(await uncached.documentFrequencies(terms));
    expect((await cached.documentFrequencies([])).docs).toBe(2);
    // another process counts a story: not seen until the cache has aged out
    await redis.hincrby(current, terms[0]!.toString(36), 5);
    await redis.hincrby(current, '#docs', 1);
    const stale = await cached.documentFrequencies([terms[0]!]);
    const fresh = await uncached.documentFrequencies([terms[0]!]);
    expect(fresh.counts[0]).toBe(stale.counts[0]! + 5);
    expect(fresh.docs).toBe(3);
    expect(stale.docs).toBe(2);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await cached.documentFrequencies([terms[0]!])).toEqual(fresh);
  });
});

/** The writes of article `i` opening its own story, posted under `postings` (a one-byte record). */
function storyWrites(i: number, time: number, postings: number[]): IndexWrites {
  const member = { id: `a${i}`, url: `https://example.org/${i}`, source: 'example.org', publishedAt: null, similarity: null, level: null, evidence: null };
  const story = openedBy(member);
  return {
    decision: { kind: 'story', articleId: member.id, storyId: member.id, story },
    textHash: `t${i}`,
    articleId: member.id,
    record: Buffer.from([i & 0xff]),
    time,
    postings,
    replaces: null,
    story,
    member,
    opener: null,
    countTerms: [],
  };
}

describe('RedisDedupeStore posting lookups', () => {
  it('gives the newest postings of a hash, at most the limit, newest first, from a bucket crowded with it and its bucket neighbours', async () => {
    const store = new RedisDedupeStore(redis, { prefix, windowHours: 72 });
    const hash = 0x12345678;
    const neighbour = 0x1234abcd; // same bucket, another check
    const time = BASE_TIME;
    const writes = Array.from({ length: 700 }, (_, i) => storyWrites(i, time, i % 3 === 2 ? [neighbour] : [hash]));
    await store.bulkWrite(writes);
    // article numbers 1…700 in commit order; the hash's are those with i % 3 !== 2
    const mine = Array.from({ length: 700 }, (_, i) => i + 1).filter((n) => (n - 1) % 3 !== 2).reverse();
    const epoch = Math.floor(time / 86_400_000);
    for (const limit of [1, 200, 466, 1000]) {
      const [found] = await store.postings([{ hash, fromEpoch: epoch - 1, toEpoch: epoch + 1 }], limit);
      expect(found, `limit ${limit}`).toEqual(mine.slice(0, limit));
    }
    const [other] = await store.postings([{ hash: neighbour, fromEpoch: epoch, toEpoch: epoch }], 1000);
    expect(other).toHaveLength(233);
    expect(other!.every((n) => (n - 1) % 3 === 2)).toBe(true);
  });
  it('takes at most the limit across epochs, newest epoch first, as the memory store does, with two queries in one bucket', async () => {
    const store = new RedisDedupeStore(redis, { prefix, windowHours: 72 });
    const memory = new MemoryDedupeStore({ windowHours: 72 });
    const day = 86_400_000;
    const epoch = Math.floor(BASE_TIME / day);
    const a = 0x2345_0001;
    const b = 0x2345_0002; // same bucket as a
    const c = 0x9999_0001; // another bucket, a's check
    // four epochs (oldest first), each with postings of a, b and c interleaved in commit order
    const counts = [[150, 20, 5], [0, 7, 0], [120, 0, 9], [90, 3, 300]];
    const writes: IndexWrites[] = [];
    counts.forEach((perHash, e) => {
      // dealt in turn, so the hashes' postings interleave in the shared bucket
      for (let i = 0; i < Math.max(...perHash); i++) {
        perHash.forEach((n, h) => {
          if (i < n) writes.push(storyWrites(writes.length, BASE_TIME + (e - 3) * day, [[a, b, c][h]!]));
        });
      }
    });
    await store.bulkWrite(writes);
    for (const w of writes) await memory.exclusive(async () => ({ result: null, writes: w }));
    const queries = [a, b, c].map((hash) => ({ hash, fromEpoch: epoch - 4, toEpoch: epoch + 1 }));
    for (const limit of [1, 50, 200, 260, 400]) {
      const fromRedis = await store.postings(queries, limit);
      expect(fromRedis, `limit ${limit}`).toEqual(await memory.postings(queries, limit));
      fromRedis.forEach((found, q) => {
        const total = counts.reduce((n, perHash) => n + perHash[q]!, 0);
        expect(found, `limit ${limit}, query ${q}`).toHaveLength(Math.min(limit, total));
        // newest first: article numbers fall (numbers are given in commit order, epochs oldest first)
        expect(found.every((n, i) => i === 0 || n < found[i - 1]!)).toBe(true);
      });
    }
    // the newest epoch's postings come first: a's newest 90 are all from the last epoch
    const [newestA] = await store.postings([queries[0]!], 90);
    expect(newestA!.every((n) => writes[n - 1]!.time === BASE_TIME)).toBe(true);
  });
  it('keeps the newest BUCKET_CAP postings of a bucket written far past its cap, as the memory store does, the full bucket a ring of fixed length', async () => {
    const store = new RedisDedupeStore(redis, { prefix, windowHours: 72 });
    const memory = new MemoryDedupeStore({ windowHours: 72 });
    const a = 0x3456_0001;
    const b = 0x3456_0002; // a's bucket
    const epoch = Math.floor(BASE_TIME / 86_400_000);
    const bucketKey = `${prefix}:{dedupe}:x:${epoch}:${(a >>> (32 - BUCKET_BITS)).toString(36)}`;
    const total = Math.round(BUCKET_CAP * 2.5);
    // 1 in 5 postings is b's
    const writes = Array.from({ length: total }, (_, i) => storyWrites(i, BASE_TIME, [i % 5 === 4 ? b : a]));
    // in batches that straddle the cap (one commit adds many postings to the bucket), then one at a time
    const split = total - 40;
    for (let at = 0; at < split; at += 333) await store.bulkWrite(writes.slice(at, Math.min(at + 333, split)));
    for (const w of writes.slice(split)) await store.bulkWrite([w]);
    for (const w of writes) await memory.exclusive(async () => ({ result: null, writes: w }));
    expect(await redis.strlen(bucketKey)).toBe(BUCKET_CAP * POSTING_BYTES + RING_TRAILER);
    const queries = [a, b].map((hash) => ({ hash, fromEpoch: epoch - 1, toEpoch: epoch + 1 }));
    const [foundA, foundB] = await store.postings(queries, 5000);
    expect([foundA, foundB]).toEqual(await memory.postings(queries, 5000));
    // the newest BUCKET_CAP, article numbers 1…total in commit order
    const newest = Array.from({ length: total }, (_, i) => total - i).slice(0, BUCKET_CAP);
    expect(foundA).toEqual(newest.filter((n) => (n - 1) % 5 !== 4));
    expect(foundB).toEqual(newest.filter((n) => (n - 1) % 5 === 4));
    expect(await store.postings(queries, 17)).toEqual(await memory.postings(queries, 17));
  });

  it('turns a full bucket of an earlier version (cap postings, no trailer) into a ring of the newest, losing none of them', async () => {
    const store = new RedisDedupeStore(redis, { prefix, windowHours: 72 });
    const a = 0x4567_0001;
    const epoch = Math.floor(BASE_TIME / 86_400_000);
    const bucketKey = `${prefix}:{dedupe}:x:${epoch}:${(a >>> (32 - BUCKET_BITS)).toString(36)}`;
    // as the store wrote it up to now: 1024 postings of a, numbers 1001…2024, no trailer
    const old = Buffer.alloc(1024 * POSTING_BYTES);
    for (let i = 0; i < 1024; i++) {
      old.writeUInt16BE(a & 0xffff, i * POSTING_BYTES);
      old.writeUInt32BE(1001 + i, i * POSTING_BYTES + 2);
    }
    await redis.set(bucketKey, old);
    await redis.zadd(`${prefix}:{dedupe}:epochs`, Date.now(), String(epoch));
    await redis.set(`${prefix}:{dedupe}:seq`, '5000');
    const writes = Array.from({ length: 3 }, (_, i) => storyWrites(i, BASE_TIME, [a]));
    for (const w of writes) await store.bulkWrite([w]);
    expect(await redis.strlen(bucketKey)).toBe(BUCKET_CAP * POSTING_BYTES + RING_TRAILER);
    const [found] = await store.postings([{ hash: a, fromEpoch: epoch, toEpoch: epoch }], 5000);
    const olds = Array.from({ length: 1024 }, (_, i) => 2024 - i);
    expect(found).toEqual([5003, 5002, 5001, ...olds].slice(0, BUCKET_CAP));
  });
});

describe('DedupeIndex story record', () => {
  it('carries the story as it stands after each article: size, outlets in join order, earliest-published copy', async () => {
    // arrival order 3, 1, 4, 0, 2 while publication order is the file order (0 earliest)
    const order = [3, 1, 4, 0, 2];
    const decisions = await decideAll(order.map((i) => seeds[i]!));
    const storyId = seeds[3]!.id;
    const earliestSoFar = (k: number): number => Math.min(...order.slice(0, k + 1));
    decisions.forEach((d, k) => {
      expect(d.story.storyId).toBe(storyId);
      expect(d.story.memberCount).toBe(k + 1);
      expect(d.story.outlets).toEqual(order.slice(0, k + 1).map((i) => seeds[i]!.source));
      const canonical = seeds[earliestSoFar(k)]!;
      expect(d.story.canonicalArticleId).toBe(canonical.id);
      expect(d.story.canonicalUrl).toBe(canonical.canonicalUrl);
      expect(d.story.earliestPublishedAt).toBe(canonical.publishedAt);
    });
    const record = await index.story(storyId);
    expect(record).toMatchObject({ ...decisions.at(-1)!.story });
    expect(record!.members.map((m) => [m.id, m.url, m.source, m.publishedAt])).toEqual(
      order.map((i) => [seeds[i]!.id, seeds[i]!.canonicalUrl, seeds[i]!.source, seeds[i]!.publishedAt]),
    );
    // the member that opened the story has no match; every other one carries its decision's evidence
    expect(record!.members[0]).toMatchObject({ similarity: null, level: null, evidence: null });
    decisions.slice(1).forEach((d, k) => {
      if (d.kind !== 'duplicate') throw new Error('expected a duplicate');
      expect(record!.members[k + 1]).toMatchObject({ similarity: d.similarity, level: d.evidence.level, evidence: d.evidence });
    });
  });

  it('keeps a story of one member in its article record, and gives it back like any story record', async () => {
    const [d] = await decideAll([seeds[2]!]);
    expect(await keysLike(`${prefix}:{dedupe}:s:*`)).toEqual([]);
    const memory = new MemoryDedupeIndex({ windowHours: 72 });
    await memory.decide(seeds[2]!);
    const record = await index.story(d!.storyId);
    expect(record).toEqual(await memory.story(d!.storyId));
    expect(record).toMatchObject({ ...d!.story, members: [{ id: seeds[2]!.id, url: seeds[2]!.canonicalUrl, source: seeds[2]!.source, publishedAt: seeds[2]!.publishedAt, evidence: null }] });
    // the second member makes the story its record, the opener first
    await index.decide(seeds[0]!);
    expect((await index.story(d!.storyId))!.members.map((m) => m.id)).toEqual([seeds[2]!.id, seeds[0]!.id]);
    expect(await index.story('no-such-story')).toBeNull();
  });

  it('prefers any published date over none, and keeps the first seen when no copy has one', async () => {
    const undated = seeds.slice(0, 3).map((s) => ({ ...s, publishedAt: null }));
    const [a, b] = await decideAll(undated.slice(0, 2));
    expect(a!.story).toMatchObject({ canonicalArticleId: undated[0]!.id, earliestPublishedAt: null });
    expect(b!.story).toMatchObject({ canonicalArticleId: undated[0]!.id, earliestPublishedAt: null, memberCount: 2 });
    const dated = await index.decide(seeds[3]!);
    expect(dated.story).toMatchObject({ canonicalArticleId: seeds[3]!.id, earliestPublishedAt: seeds[3]!.publishedAt, memberCount: 3 });
  });

  it('counts an outlet once, and counts members (and outlets) beyond the cap without keeping them', async () => {
    const small = new DedupeIndex(redis, { prefix, windowHours: 72, maxStoryMembers: 3 });
    const sameOutlet = seeds.map((s) => ({ ...s, source: s === seeds[2] ? seeds[0]!.source : s.source }));
    const decisions: DedupeDecision[] = [];
    for (const s of sameOutlet) decisions.push(await small.decide(s));
    const last = decisions.at(-1)!.story;
    expect(last.memberCount).toBe(5);
    // seed 2 comes from seed 0's outlet; the fourth distinct outlet is beyond the cap of 3
    expect(last.outlets).toEqual([seeds[0]!.source, seeds[1]!.source, seeds[3]!.source]);
    const record = await small.story(last.storyId);
    expect(record!.members.map((m) => m.id)).toEqual(seeds.slice(0, 3).map((s) => s.id));
    expect(record!.memberCount).toBe(5);
  });
});

describe('DedupeIndex updates of an article', () => {
  const edited = (text: string): string => `${text}\n\nUpdate: the ministry confirmed the figures on Thursday evening, officials said.`;

  it('recognises the same id with other text as an update: story unchanged, features replaced', async () => {
    const [first, second] = await decideAll(seeds.slice(0, 2));
    const v2 = { ...seeds[0]!, text: edited(seeds[0]!.text) };
    const update = await index.decide(v2);
    expect(update).toEqual({
      kind: 'update',
      articleId: seeds[0]!.id,
      storyId: first!.storyId,
      previousTextHash: textHash(seeds[0]!.text),
      story: second!.story,
    });
    // deciding the same version again: the same answer; the first version's own decision is kept
    expect(await index.decide(v2)).toEqual(update);
    expect(await index.decide(seeds[0]!)).toEqual(first);
    // the index now holds the new version: an exact copy of it elsewhere matches at level text-hash
    const url = 'https://copycat.example/news/v2';
    const copy = await index.decide({ ...v2, id: urlId(url), url, canonicalUrl: url, guid: url, source: 'copycat.example' });
    expect(copy.kind === 'duplicate' && copy.evidence).toMatchObject({ level: 'text-hash', matchedArticleId: seeds[0]!.id });
    expect(copy.story.memberCount).toBe(3);
    // an update neither joins nor counts: the story record has the two copies and the copycat
    expect((await index.story(first!.storyId))?.members.map((m) => m.id)).toEqual([seeds[0]!.id, seeds[1]!.id, urlId(url)]);
  });

  it('chains updates: each names the version it replaces', async () => {
    const v1 = seeds[2]!;
    const v2 = { ...v1, text: edited(v1.text) };
    const v3 = { ...v1, text: `${v2.text}\n\nCorrection: an earlier version misstated the date.` };
    const [d1, d2, d3] = await decideAll([v1, v2, v3]);
    expect(d1!.kind).toBe('story');
    expect(d2).toMatchObject({ kind: 'update', previousTextHash: textHash(v1.text), storyId: v1.id });
    expect(d3).toMatchObject({ kind: 'update', previousTextHash: textHash(v2.text), storyId: v1.id });
    expect(d3!.story).toEqual(d1!.story);
  });
});

describe('DedupeIndex keys', () => {
  it('writes every key of a story under one hash tag, each with an expiry', async () => {
    await decideAll([...seeds, { ...seeds[0]!, text: `${seeds[0]!.text}\n\nUpdated.` }]);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const kinds = new Set(keys.map((k) => k.slice(prefix.length).split(':')[2]));
    expect([...kinds].sort()).toEqual(['a', 'd', 'df', 'epochs', 'last', 'log', 's', 'seq', 'x']);
    const windowMs = 72 * 3_600_000;
    for (const key of keys) {
      // Redis Cluster hashes only the part between the first { and the next }
      const tag = /\{([^}]*)\}/.exec(key)?.[1];
      expect(tag, key).toBe('dedupe');
      expect(key.startsWith(`${prefix}:{dedupe}:`), key).toBe(true);
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      // the window plus a one-day margin; the term statistics live two windows
      expect(ttl, key).toBeLessThanOrEqual(key.includes(':df:') ? 2 * windowMs + 86_400_000 : windowMs + 86_400_000);
    }
  });
});

describe('DedupeIndex under concurrency', () => {
  it('gives one story and four duplicates when three workers decide the five seeds at once, round after round', async () => {
    const others = [newRedis(), newRedis()];
    try {
      for (let round = 0; round < 8; round++) {
        const roundPrefix = `${prefix}-r${round}`;
        const indexes = [redis, ...others].map((r) => new DedupeIndex(r, { prefix: roundPrefix, windowHours: 72 }));
        // each article delivered twice, to different workers (a re-delivered job)
        const calls = [...seeds, ...seeds].map((s, i) => indexes[(i + round) % 3]!.decide(s));
        const decisions = await Promise.all(calls);
        const firsts = decisions.slice(0, 5);
        expect(decisions.slice(5)).toEqual(firsts);
        expect(firsts.filter((d) => d.kind === 'story')).toHaveLength(1);
        expect(firsts.filter((d) => d.kind === 'duplicate')).toHaveLength(4);
        const storyId = firsts.find((d) => d.kind === 'story')!.storyId;
        expect(firsts.every((d) => d.storyId === storyId)).toBe(true);
        const record = await indexes[0]!.story(storyId);
        expect(record!.memberCount).toBe(5);
        expect(new Set(record!.members.map((m) => m.id))).toEqual(new Set(seeds.map((s) => s.id)));
        // the summaries grew one member at a time: every size from 1 to 5 was handed out once
        expect(firsts.map((d) => d.story.memberCount).sort()).toEqual([1, 2, 3, 4, 5]);
        expect(record!.canonicalArticleId).toBe(seeds[0]!.id);
      }
    } finally {
      for (const o of others) o.disconnect();
    }
  });
});

describe.skipIf(!hasEval)('the in-memory index', () => {
  const zyte = hasEval ? zyteDocs(undefined, EVAL_DIR) : [];

  it('takes exactly the decisions the Redis index takes, on a stream of seeds, unrelated pages and an update', async () => {
    const stream = [
      ...zyte.slice(0, 40).map((z, i) => article(z, -300 + i * 5)),
      seeds[2]!,
      ...zyte.slice(40, 80).map((z, i) => article(z, -100 + i * 5)),
      ...seeds.filter((s) => s !== seeds[2]),
      { ...seeds[0]!, text: `${seeds[0]!.text}\n\nUpdated with a statement from the ministry.` },
      ...zyte.slice(80).map((z, i) => article(z, 200 + i)),
    ];
    const memory = new MemoryDedupeIndex({ windowHours: 72 });
    const fromRedis = await decideAll(stream);
    const fromMemory: DedupeDecision[] = [];
    for (const a of stream) fromMemory.push(await memory.decide(a));
    expect(fromMemory).toEqual(fromRedis);
    // and what makes the comparison worth something: the stream has every kind of decision
    expect(new Set(fromRedis.map((d) => d.kind))).toEqual(new Set(['story', 'duplicate', 'update']));
    const storyId = fromRedis.find((d) => d.articleId === seeds[0]!.id)!.storyId;
    expect(await memory.story(storyId)).toEqual(await index.story(storyId));
  });
});

describe.skipIf(!hasEval)('across languages (crossLanguage: true), in the Redis index as in the evaluation', () => {
  const redis: Redis = newRedis();
  const prefix = uniquePrefix('fsxl');
  afterEach(async () => {
    await deletePrefix(redis, prefix);
  });

  interface Side { url: string; title: string; text: string }
  // the body is collected even when the suite is skipped: read the set only where it exists
  const lines = hasEval ? readFileSync(path.join(EVAL_DIR, 'news-pairs', 'pairs.jsonl'), 'utf8').trim().split('\n') : [];
  const pairs = (lines.map((l) => JSON.parse(l)) as Array<{
    pair_id: string; lang1: string; lang2: string; overall: number; a: Side; b: Side;
  }>).filter((p) => p.lang1 !== p.lang2);
  const asArticle = (side: Side, language: string, minutes: number): CleanArticle =>
    article({ url: side.url, title: side.title, text: side.text, language } as Doc, minutes);

  it.each(pairs.filter((p) => p.overall <= 1.5).map((p) => [p.pair_id, p] as const))(
    'links the same story told in German and in English (%s), with the language-neutral anchors as evidence',
    async (_id, p) => {
      const index = new DedupeIndex(redis, { prefix: `${prefix}-${p.pair_id}`, windowHours: 72, crossLanguage: true });
      const first = await index.decide(asArticle(p.a, p.lang1, 0));
      const second = await index.decide(asArticle(p.b, p.lang2, 60));
      expect(first.kind).toBe('story');
      expect(second.kind).toBe('duplicate');
      if (second.kind === 'duplicate') expect(second.evidence.sharedEntities.length).toBeGreaterThan(0);
      await deletePrefix(redis, `${prefix}-${p.pair_id}`);
    },
  );

  it('keeps different stories in two languages apart when both arrive within the window', async () => {
    let merged = 0;
    const different = pairs.filter((p) => p.overall >= 3.5);
    for (const p of different) {
      const index = new DedupeIndex(redis, { prefix: `${prefix}-${p.pair_id}`, windowHours: 72, crossLanguage: true });
      await index.decide(asArticle(p.a, p.lang1, 0));
      if ((await index.decide(asArticle(p.b, p.lang2, 60))).kind === 'duplicate') merged++;
      await deletePrefix(redis, `${prefix}-${p.pair_id}`);
    }
    console.log(`[cross-language] different-story pairs merged within an hour: ${merged} of ${different.length}`);
    expect(different.length).toBe(7);
    // measured: 2 of the 7 (Leonard Cohen, Lufthansa) share enough names to merge when they arrive
    // an hour apart; in the real stream they were 145 h and 1,138 h apart, outside the window
    expect(merged).toBeLessThanOrEqual(2);
  });

  it('does not judge across languages unless asked to (the default)', async () => {
    const p = pairs.find((x) => x.overall <= 1.5)!;
    const index = new DedupeIndex(redis, { prefix: `${prefix}-off`, windowHours: 72 });
    await index.decide(asArticle(p.a, p.lang1, 0));
    expect((await index.decide(asArticle(p.b, p.lang2, 60))).kind).toBe('story');
    await deletePrefix(redis, `${prefix}-off`);
  });
});
