// The dedupe index on real Redis: one story out of the five seed copies whatever the order,
// unrelated articles left alone, idempotency, exact levels, the time window, and one story when
// two workers decide two copies at the same moment.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { DedupeIndex, type DedupeDecision } from '../../pipeline/dedupe-index.ts';
import type { CleanArticle } from '../../pipeline/records.ts';
import { urlId } from '../../pipeline/url.ts';
import { seedDocs, zyteDocs, zyteSameEvent, type Doc } from '../../scripts/eval-dedupe.ts';
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
    expect(story?.articleIds.sort()).toEqual(seeds.map((s) => s.id).sort());
  });

  it('returns the stored decision when an article is decided again', async () => {
    const first = await decideAll(seeds.slice(0, 3));
    const again = await decideAll(seeds.slice(0, 3));
    expect(again).toEqual(first);
    expect((await index.story(first[0]!.storyId))?.articleIds).toHaveLength(3);
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
      expect((await index.story(firsts[0]!.storyId))?.articleIds).toHaveLength(2);
    } finally {
      other.disconnect();
    }
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
  const zyte = hasEval ? zyteDocs(EVAL_DIR) : [];

  it('keeps 30 unrelated articles as their own stories beside the seeds', async () => {
    // 30 pages of different events (pages labelled as reporting the same event as another are skipped)
    const picked: Doc[] = [];
    for (const z of zyte) {
      if (picked.length === 30) break;
      if (zyte.some((o) => o !== z && zyteSameEvent(z.url, o.url))) continue;
      picked.push(z);
    }
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
