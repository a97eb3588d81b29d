// `feedsift compare` and `feedsift cluster` as a user runs them: child processes fed JSON Lines.
import { describe, expect, it } from 'vitest';
import { textHash } from '../../pipeline/dedupe.ts';
import { seedDocs, zyteDocs, zyteLabels, type Doc } from '../../scripts/lib/dedupe-eval.ts';
import { feedsift } from '../helpers/cli.ts';
import { EVAL_DIR, hasEval } from '../helpers/eval.ts';

type Line = Record<string, unknown> & { id: string };

async function run(command: 'compare' | 'cluster', lines: string[]): Promise<Line[]> {
  const r = await feedsift([command], {}, `${lines.join('\n')}\n\n`);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

const seeds = seedDocs();
const side = (d: Doc, over: Record<string, unknown> = {}) => ({ title: d.title, text: d.text, url: d.url, publishedAt: '2025-08-27T08:00:00Z', ...over });
const seedPairs: Array<[number, number]> = [];
for (let i = 0; i < seeds.length; i++) for (let j = i + 1; j < seeds.length; j++) seedPairs.push([i, j]);

// Zyte pages of different events (pages labelled as one story, or one topic, with another are left out)
const labelled = hasEval ? new Set([...zyteLabels().groups, ...zyteLabels().related].flatMap((g) => g.keys)) : new Set<string>();
const zyte = hasEval ? zyteDocs(undefined, EVAL_DIR).filter((z) => !labelled.has(z.key)) : [];

describe('feedsift compare', () => {
  it('says the ten seed pairs are one story, with the evidence of the rewrite level', async () => {
    const out = await run(
      'compare',
      seedPairs.map(([i, j]) => JSON.stringify({ id: `${i}-${j}`, a: side(seeds[i]!), b: side(seeds[j]!) })),
    );
    expect(out.map((o) => o.id)).toEqual(seedPairs.map(([i, j]) => `${i}-${j}`));
    for (const o of out) {
      expect(o, o.id).toMatchObject({ sameStory: true, level: 'rewrite' });
      const ev = o.evidence as { score: number; threshold: number; sharedEntities: string[]; matchedArticleId: string; matchedUrl: string };
      expect(o.score).toBe(ev.score);
      expect(ev.score).toBeGreaterThanOrEqual(ev.threshold);
      expect(ev.sharedEntities.length).toBeGreaterThan(0);
      expect(ev.matchedArticleId).toBe('a');
      expect(ev.matchedUrl).toMatch(/^https:\/\/seed-outlet-\d\.example\//);
    }
  }, 60_000);

  it('answers each kind of pair, in order, and a bad line without stopping the run', async () => {
    const s0 = seeds[0]!;
    const copyText = `${s0.text.toUpperCase()}  `;
    const nearText = `${s0.text.split('\n').slice(0, -1).join('\n')}\n\nThis article was syndicated by a partner agency. All rights reserved.`;
    const cases: Array<[string, unknown, Record<string, unknown> | 'error']> = [
      ['exact text elsewhere', { a: side(s0), b: side(s0, { text: copyText, url: 'https://copy.example/1' }) }, { sameStory: true, level: 'text-hash', score: 1 }],
      ['same page, tracking parameter', { a: side(s0), b: side(seeds[3]!, { url: `${s0.url}?utm_source=x` }) }, { sameStory: true, level: 'url' }],
      ['new headline and footer', { a: side(s0), b: side(s0, { title: 'Another headline', text: nearText, url: 'https://copy.example/2' }) }, { sameStory: true, level: 'near-copy' }],
      ['beyond the window', { a: side(s0), b: side(s0, { url: 'https://copy.example/3', publishedAt: '2025-08-31T09:00:00Z' }) }, { sameStory: false, level: null, evidence: null }],
      ['no URLs, no dates, no language', { a: { title: '', text: s0.text }, b: { title: '', text: seeds[4]!.text } }, { sameStory: true, level: 'rewrite' }],
      ['missing b', { a: side(s0) }, 'error'],
      ['text not a string', { a: side(s0), b: { title: 'x', text: 3 } }, 'error'],
      ['bad date', { a: side(s0), b: side(seeds[1]!, { publishedAt: 'yesterday' }) }, 'error'],
    ];
    const lines = [...cases.map(([id, pair]) => JSON.stringify({ id, ...(pair as object) })), '{"id": "cut', JSON.stringify({ id: 'last', a: side(seeds[1]!), b: side(seeds[2]!) })];
    const out = await run('compare', lines);
    expect(out).toHaveLength(cases.length + 2);
    cases.forEach(([id, , expected], i) => {
      expect(out[i]!.id).toBe(id);
      if (expected === 'error') {
        expect(out[i]!.error, id).toMatchObject({ code: 'INVALID_JOB', message: expect.stringMatching(new RegExp(`^dedupe: line ${i + 1}\\b`)) });
      } else {
        expect(out[i], id).toMatchObject(expected);
      }
    });
    // an unparseable line is named by its number; the line after it is still answered
    expect(out[cases.length]).toMatchObject({ id: String(cases.length + 1), error: { code: 'INVALID_JOB' } });
    expect(out[cases.length + 1]).toMatchObject({ id: 'last', sameStory: true });
  }, 60_000);

  it.skipIf(!hasEval)('says a seed and an unrelated real article are not one story, with the score they reached', async () => {
    const picked = zyte.slice(0, 12);
    const out = await run(
      'compare',
      picked.map((z, i) => JSON.stringify({ id: z.key, a: side(seeds[i % 5]!), b: { title: z.title, text: z.text, url: z.url, publishedAt: '2025-08-27T09:00:00Z' } })),
    );
    for (const o of out) {
      expect(o, o.id).toMatchObject({ sameStory: false, level: null, evidence: null });
      expect(o.score).toBeGreaterThanOrEqual(0);
      expect(o.score).toBeLessThan(0.28);
    }
    // the score is the rewrite score actually reached, not a constant
    expect(new Set(out.map((o) => o.score)).size).toBeGreaterThan(1);
  }, 60_000);
});

describe.skipIf(!hasEval)('feedsift cluster', () => {
  it('runs a dump through one index: one story for the seeds, unrelated pages alone, an update, a bad line', async () => {
    const hour = (h: number): string => new Date(Date.parse('2025-08-27T00:00:00Z') + h * 3_600_000).toISOString();
    const picked = zyte.slice(0, 15);
    const articles: Array<Record<string, unknown>> = [];
    picked.forEach((z, i) => {
      articles.push({ id: `z${i}`, title: z.title, text: z.text, url: z.url, publishedAt: hour(i) });
      if (i % 3 === 0 && i / 3 < seeds.length) {
        const s = seeds[i / 3]!;
        articles.push({ id: `seed${i / 3}`, title: s.title, text: s.text, url: s.url, publishedAt: hour(i) });
      }
    });
    const edited = `${seeds[1]!.text}\n\nUpdate: a spokesperson confirmed the plan on Thursday.`;
    const lines = [
      ...articles.map((a) => JSON.stringify(a)),
      // the same article re-sent: the stored answer; then an edited version: an update
      JSON.stringify(articles.find((a) => a.id === 'seed1')),
      JSON.stringify({ id: 'seed1', title: '', text: edited, url: seeds[1]!.url, publishedAt: hour(20) }),
      '[1, 2]',
      // undated: placed at the previous article's time, so still within the window
      JSON.stringify({ id: 'undated-copy', title: '', text: seeds[2]!.text, url: 'https://copy.example/undated' }),
    ];
    const out = await run('cluster', lines);
    expect(out.map((o) => o.id)).toEqual([...articles.map((a) => a.id), 'seed1', 'seed1', String(lines.length - 1), 'undated-copy']);
    const byId = (id: string): Line => out.find((o) => o.id === id)!;

    for (let i = 0; i < picked.length; i++) expect(byId(`z${i}`), `z${i}`).toEqual({ id: `z${i}`, storyId: `z${i}`, kind: 'story' });
    expect(byId('seed0')).toEqual({ id: 'seed0', storyId: 'seed0', kind: 'story' });
    const seedIds = seeds.map((_, k) => `seed${k}`);
    for (const id of seedIds.slice(1)) {
      const o = byId(id);
      expect(o, id).toMatchObject({ storyId: 'seed0', kind: 'duplicate', level: 'rewrite' });
      expect(seedIds).toContain(o.duplicateOf);
      expect(o.duplicateOf).not.toBe(id);
      expect(o.score).toBe((o.evidence as { score: number }).score);
    }
    const n = articles.length;
    expect(out[n]).toEqual(byId('seed1'));
    expect(out[n + 1]).toEqual({ id: 'seed1', storyId: 'seed0', kind: 'update', previousTextHash: textHash(seeds[1]!.text) });
    expect(out[n + 2]).toMatchObject({ error: { code: 'INVALID_JOB', message: expect.stringMatching(/not a JSON object/) } });
    expect(out[n + 3]).toMatchObject({ id: 'undated-copy', storyId: 'seed0', kind: 'duplicate', level: 'text-hash', duplicateOf: 'seed2' });
  }, 120_000);
});
