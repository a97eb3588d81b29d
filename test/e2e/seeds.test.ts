// End to end: the five seed outlets, the unrelated real pages and the broken feeds go through
// the whole pipeline (fixture server on loopback → BullMQ on real Redis → output queues),
// exactly as `feedsift demo` runs them.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExpectedSeeds, outlets, brokenFeeds } from '../../fixtures/manifest.ts';
import type { DuplicateRecord, OutputRecord, StoryRecord } from '../../pipeline/records.ts';
import { demoRun } from '../../workers/cli/demo.ts';
import type { OnceResult } from '../../workers/cli/run.ts';
import { testRedisUrl } from '../helpers/redis.ts';

const expected = loadExpectedSeeds();
const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();
/** A URL without its port (the fixture server's port changes per run). */
const portless = (url: string): string => url.replace(/^(https?:\/\/[^/:]+):(\d+|\{\{PORT\}\})/, '$1');

let result: OnceResult;
let records: OutputRecord[];
let seedRecords: Map<string, OutputRecord>;

beforeAll(async () => {
  result = await demoRun({ redisUrl: testRedisUrl(), timeoutMs: 240_000 });
  records = result.records;
  seedRecords = new Map();
  for (const e of expected) {
    const r = records.find((x) => portless(x.url) === portless(e.url));
    if (r) seedRecords.set(e.seed, r);
  }
}, 300_000);

describe('the founding case: five outlets, one story', () => {
  it('publishes every seed copy', () => {
    expect([...seedRecords.keys()].sort()).toEqual(expected.map((e) => e.seed).sort());
  });

  it('makes exactly one story record and four duplicate notices pointing to it, with evidence', () => {
    const copies = [...seedRecords.values()];
    const stories = copies.filter((r): r is StoryRecord => r.kind === 'story');
    const dups = copies.filter((r): r is DuplicateRecord => r.kind === 'duplicate');
    expect(stories).toHaveLength(1);
    expect(dups).toHaveLength(4);
    const storyId = stories[0]!.storyId;
    expect(stories[0]!.id).toBe(storyId);
    for (const d of dups) {
      expect(d.storyId).toBe(storyId);
      expect(d.similarity).toBeGreaterThanOrEqual(d.evidence.threshold);
      expect(['rewrite', 'near-copy']).toContain(d.evidence.level);
      expect(d.evidence.sharedTerms.length + d.evidence.sharedEntities.length).toBeGreaterThan(0);
      expect(copies.map((c) => c.id)).toContain(d.evidence.matchedArticleId);
    }
    // one record per story in the whole output: the story id is never published twice
    expect(records.filter((r) => r.kind === 'story' && r.storyId === storyId)).toHaveLength(1);
  });

  it('keeps the story record: five outlets, the earliest-published copy as canonical', () => {
    const copies = [...seedRecords.values()];
    const latest = copies.reduce((a, b) => (a.story.memberCount >= b.story.memberCount ? a : b));
    expect(latest.story.memberCount).toBe(5);
    expect(new Set(latest.story.outlets)).toEqual(new Set(copies.map((c) => c.source)));
    const earliest = copies.reduce((a, b) => (Date.parse(a.publishedAt!) <= Date.parse(b.publishedAt!) ? a : b));
    expect(latest.story.canonicalArticleId).toBe(earliest.id);
    expect(latest.story.earliestPublishedAt).toBe(earliest.publishedAt);
    // each record's summary counts the members known when it was decided: 1, 2, 3, 4, 5
    expect(copies.map((c) => c.story.memberCount).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('detects every copy as English', () => {
    for (const [seed, r] of seedRecords) expect(r.language, seed).toBe('en');
  });

  it.each(expected.map((e) => [e.seed, e] as const))('keeps every paragraph of %s', (seed, e) => {
    const text = norm(seedRecords.get(seed)!.text);
    for (const p of e.mustKeep) expect(text, `lost from ${seed}: ${p.slice(0, 80)}`).toContain(norm(p));
  });

  it.each(expected.map((e) => [e.seed, e] as const))('removes and records what is not the article in %s', (seed, e) => {
    const r = seedRecords.get(seed)!;
    const text = norm(r.text);
    for (const m of e.mustRemove) {
      const t = norm(m.text);
      // a removed line must not survive as a block of its own in the text
      expect(r.text.split('\n\n').map(norm), `still in ${seed}: ${t}`).not.toContain(t);
      const rec = r.removed.find((x) => norm(x.text).includes(t));
      expect(rec, `not recorded as removed in ${seed}: ${t}`).toBeDefined();
      expect(rec!.reason).toBe(m.reason);
      if (m.language) expect(rec!.language).toBe(m.language);
    }
    expect(text).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('strips seed 004: share widget, the Chinese item (language zh) and Read More', () => {
    const r = seedRecords.get('004_ad09c38be325a5b8.txt')!;
    expect(r.text).not.toContain('share this news');
    expect(r.text).not.toContain('看看这些相关内容');
    expect(r.text).not.toContain('Read More');
    expect(r.removed.some((x) => x.reason === 'share-widget')).toBe(true);
    const chinese = r.removed.filter((x) => /[\u4e00-\u9fff]/.test(x.text));
    expect(chinese.length).toBeGreaterThan(0);
    for (const c of chinese) expect(c.language).toBe('zh');
  });

  it('strips seed 003: Latest news', () => {
    const r = seedRecords.get('003_a6aa7ec54f97f0ae.txt')!;
    expect(r.text).not.toMatch(/Latest news/i);
    expect(r.removed.some((x) => /Latest news/i.test(x.text))).toBe(true);
  });
});

describe('unrelated articles', () => {
  it('publishes each unrelated real page as its own story, never merged', () => {
    const unrelated = outlets.find((o) => o.kind === 'unrelated')!;
    const host = unrelated.host;
    const zyte = records.filter((r) => new URL(r.url).hostname === host);
    expect(zyte).toHaveLength(unrelated.pages.length);
    expect(unrelated.pages.length).toBeGreaterThanOrEqual(10);
    for (const r of zyte) {
      expect(r.kind, r.url).toBe('story');
      expect(records.filter((x) => x.storyId === r.storyId), r.url).toHaveLength(1);
    }
  });

  it('merges nothing but the four seed copies anywhere in the run', () => {
    const dups = records.filter((r) => r.kind === 'duplicate');
    const seedIds = new Set([...seedRecords.values()].map((r) => r.id));
    expect(dups).toHaveLength(4);
    for (const d of dups) expect(seedIds.has(d.id), `unexpected merge: ${d.url}`).toBe(true);
  });

  it('publishes every record in the documented schema', async () => {
    const { outputRecordSchema } = await import('../../pipeline/records.ts');
    for (const r of records) expect(outputRecordSchema.safeParse(r).success, r.url).toBe(true);
  });
});

describe('broken feeds', () => {
  it('reports each failing feed with its reason and completes the run for every other feed', () => {
    const { failures, stats } = result.summary;
    const byUrl = (id: string): string => portless(brokenFeeds.find((b) => b.id === id)!.url);
    const failureOf = (id: string) => failures.find((f) => f.queue === 'poll' && portless(f.target) === byUrl(id));
    expect(failureOf('broken-500')?.reason).toMatch(/^\[HTTP_RETRYABLE_STATUS\] fetch-feed: HTTP 500/);
    expect(failureOf('broken-500')?.attempts).toBeGreaterThan(1);
    expect(failureOf('broken-unresolvable')?.reason).toMatch(/^\[DNS_NOT_FOUND\]/);
    expect(failureOf('broken-not-a-feed')?.reason).toMatch(/^\[NOT_A_FEED\]/);
    // the truncated feed is read leniently: its complete items are kept and the feed is flagged
    const warned = result.summary.warnings.find((w) => portless(w.feedUrl) === byUrl('broken-malformed'));
    expect(warned?.warning).toMatch(/not well-formed XML/);
    // every good feed was polled
    expect(stats['feeds.polled']).toBe(outlets.length + 1);
    expect(stats['feeds.failed']).toBe(3);
  });
});
