// The compact article record of the dedupe index (pipeline/dedupe-record.ts): it reads back what
// was written, and a stored article compared with a new one scores exactly as the two articles'
// own strings do — every level, score and shared term and entity — once their MinHash signatures
// are cut to the bits a record keeps, so that storing hashes instead of words changes no decision
// (the cut signature's own error is measured in test/unit/dedupe.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  anchorOverlap,
  compactFeatures,
  matchContent,
  MemoryDocumentFrequencies,
  rewriteScore,
  rewriteUpperBound,
  signatureJaccard,
  textFeatures,
  titleSimilarity,
  type CompactFeatures,
  type DocumentFrequencies,
} from '../../pipeline/dedupe.ts';
import { base36, decodeArticle, dfKey, encodeArticle, resolveAgainst, resolveShared, storedArticle, Vocabulary, type StoredArticle } from '../../pipeline/dedupe-record.ts';
import { MapDocumentFrequencies } from '../../pipeline/dedupe-index.ts';
import { seedDocs, zyteDocs } from '../../scripts/lib/dedupe-eval.ts';
import { EVAL_DIR, hasEval } from '../helpers/eval.ts';

interface Text {
  title: string;
  text: string;
  language: string;
}

/** Document frequencies counted from texts, readable by string (the originals) and by `dfKey` (stored hashes and placeholders). */
function frequencies(texts: Text[]): { byString: DocumentFrequencies; byKey: DocumentFrequencies } {
  const strings = new MemoryDocumentFrequencies();
  const keys = new MemoryDocumentFrequencies();
  for (const t of texts) {
    const f = textFeatures(t);
    const counted = [...f.termCounts.keys(), ...f.entities];
    strings.add(counted);
    keys.add(counted.map((t) => String(dfKey(t))));
  }
  return { byString: strings, byKey: { docCount: keys.docCount, df: (term) => keys.df(String(dfKey(term))) } };
}

function stored(c: CompactFeatures, over: Partial<Parameters<typeof storedArticle>[0]> = {}, keepLanguage = false): StoredArticle {
  const base = { id: 'a'.repeat(32), url: 'https://example.com/a', storyId: 'a'.repeat(32), source: 'example.com', publishedAt: null, time: 0, guidKey: null, ...over };
  return decodeArticle(encodeArticle(storedArticle(base, c, keepLanguage)));
}

/** Every pair of the texts, scored from strings and from the stored record of the second: the same. */
function expectSameScores(texts: Text[], crossLanguage = false): number {
  const dfs = frequencies(texts);
  const compact = texts.map((t) => compactFeatures(textFeatures(t), dfs.byString));
  let pairs = 0;
  for (let i = 0; i < compact.length; i++) {
    for (let j = 0; j < compact.length; j++) {
      if (i === j) continue;
      const a = compact[i]!;
      const b = compact[j]!;
      const v = new Vocabulary(a);
      const mine = v.mine(a);
      const record = stored(b, {}, crossLanguage);
      const theirs = resolveAgainst(record, v);
      const where = `${i} vs ${j}`;
      // what the index decides whether a candidate may matter on: the shared part alone bounds as the whole does
      const shared = resolveShared(record, v);
      expect(rewriteUpperBound(mine, shared, dfs.byKey), where).toBe(rewriteUpperBound(mine, theirs, dfs.byKey));
      expect(signatureJaccard(mine, shared), where).toBe(signatureJaccard(mine, theirs));
      expect(shared.terms.every(([t]) => !t.includes('\u0001')) && shared.entities.every((e) => !e.includes('\u0001')), where).toBe(true);
      // the strings, their signatures cut as a record's is
      const cutB = new Vocabulary(b).mine(b);
      expect(matchContent(mine, theirs, dfs.byKey), where).toEqual(matchContent(mine, cutB, dfs.byString));
      expect(rewriteScore(mine, theirs, dfs.byKey), where).toEqual(rewriteScore(a, b, dfs.byString));
      expect(titleSimilarity(mine, theirs, dfs.byKey), where).toEqual(titleSimilarity(a, b, dfs.byString));
      if (crossLanguage) expect(anchorOverlap(mine, theirs, dfs.byKey), where).toEqual(anchorOverlap(a, b, dfs.byString));
      pairs++;
    }
  }
  return pairs;
}

describe('the stored article record', () => {
  it('reads a version-1 record (16-bit signature slots) as the current record of the same article', () => {
    // data/dedupe-record-v1.b64: this article's record as encodeArticle wrote it at d221763
    const v1 = Buffer.from(readFileSync(path.join(import.meta.dirname, 'data', 'dedupe-record-v1.b64'), 'utf8').trim(), 'base64');
    expect(v1[0]).toBe(1);
    const [seed] = seedDocs();
    const c = compactFeatures(textFeatures(seed!), new MemoryDocumentFrequencies());
    const now = storedArticle({ id: 'a'.repeat(32), url: 'https://example.com/a', storyId: 'b'.repeat(32), source: 'example.com', publishedAt: null, time: 1_730_800_800_123, guidKey: 'urn:x' }, c, false);
    expect(decodeArticle(v1)).toEqual(now);
    const v3 = encodeArticle(now);
    expect(v3[0]).toBe(3);
    expect(v1.length - v3.length).toBe(128);
  });

  it('reads a version-2 record with cross-language anchors (4 bytes a term) and compares it as the current record of the same article', () => {
    // data/dedupe-record-v2-anchors.b64: the second seed's record, language 'de', as encodeArticle wrote it at a6abc93
    const v2 = Buffer.from(readFileSync(path.join(import.meta.dirname, 'data', 'dedupe-record-v2-anchors.b64'), 'utf8').trim(), 'base64');
    expect(v2[0]).toBe(2);
    const [en, de] = seedDocs();
    const dfs = frequencies([en!, de!]);
    const mine = compactFeatures(textFeatures({ ...en!, language: 'en' }), dfs.byString);
    const theirs = compactFeatures(textFeatures({ ...de!, language: 'de' }), new MemoryDocumentFrequencies());
    const base = { id: 'a'.repeat(32), url: 'https://example.com/b', storyId: 'a'.repeat(32), source: 'example.com', publishedAt: null, time: 1_730_800_800_123, guidKey: null };
    const now = storedArticle(base, { ...theirs, language: 'de' }, true);
    const old = decodeArticle(v2);
    expect(old.termAnchors).toHaveLength(old.terms.length);
    expect(old.termFolds).toBeUndefined();
    const { termAnchors: _, ...oldRest } = old;
    const { termFolds: __, ...nowRest } = now;
    expect(oldRest).toEqual(nowRest);
    // written again, the old anchors are kept as they are (flagged), and read back the same
    const again = encodeArticle(old);
    expect(again[0]).toBe(3);
    expect(decodeArticle(again)).toEqual(old);
    // compared with an English article, the old record and the new one give the same anchors and scores
    const v = new Vocabulary(mine);
    const fromOld = resolveAgainst(old, v);
    const fromNew = resolveAgainst(decodeArticle(encodeArticle(now)), v);
    expect(anchorOverlap(v.mine(mine), fromOld, dfs.byKey)).toEqual(anchorOverlap(v.mine(mine), fromNew, dfs.byKey));
    expect(anchorOverlap(v.mine(mine), fromNew, dfs.byKey).sharedAnchors.length).toBeGreaterThan(3);
    // the new record keeps a folded hash only for the terms with a diacritic: 4 bytes a term fewer, less those
    expect(v2.length - encodeArticle(now).length).toBeGreaterThan(4 * old.terms.length - 5 * 8);
  });

  it.each([
    ['terms without diacritics keep no folded form', ['market', 'bank', 'rates'], 0],
    ['a term with a diacritic keeps its folded hash', ['café', 'bank', 'zürich'], 2],
  ])('%s', (_what, words, kept) => {
    const c = compactFeatures(textFeatures({ title: '', text: `${words.join(' ')}. ${words.join(' ')}.`, language: 'fr' }), new MemoryDocumentFrequencies());
    const record = storedArticle({ id: 'x', url: 'https://example.com/x', storyId: 'x', source: 's', publishedAt: null, time: 0, guidKey: null }, { ...c, language: 'fr' }, true);
    const back = decodeArticle(encodeArticle(record));
    expect(back.termFolds).toEqual(record.termFolds);
    expect(back.termFolds!.filter((h, i) => h !== back.terms[i]![0])).toHaveLength(kept);
  });

  it('refuses a record whose folded form names a term it does not have', () => {
    const c = compactFeatures(textFeatures({ title: '', text: 'café bank. café bank.', language: 'fr' }), new MemoryDocumentFrequencies());
    const record = storedArticle({ id: 'x', url: 'https://example.com/x', storyId: 'x', source: 's', publishedAt: null, time: 0, guidKey: null }, { ...c, language: 'fr' }, true);
    const buf = encodeArticle(record);
    // no signature, no decision: the folded forms are the last bytes (count, index, 4-byte hash)
    const bare = encodeArticle({ ...record, minhash: null });
    expect(bare.at(-6)).toBe(1);
    expect(bare.at(-5)).toBeLessThan(record.terms.length);
    bare[bare.length - 5] = record.terms.length;
    expect(() => decodeArticle(bare)).toThrow(/folded form of term/);
    expect(decodeArticle(buf).termFolds).toEqual(record.termFolds);
  });

  it('reads back what was written: identity, times, story, headline, signature, and how it was decided', () => {
    const [seed] = seedDocs();
    const c = compactFeatures(textFeatures(seed!), new MemoryDocumentFrequencies());
    const written = storedArticle(
      { id: 'not-a-hex-id ü', url: 'https://example.com/ü?x=1', storyId: 'b'.repeat(32), source: 'Example', publishedAt: 'Tue, 05 Nov 2024 10:00:00 GMT', time: 1_730_800_800_123, guidKey: 'urn:x' },
      { ...c, language: 'en' },
      true,
    );
    written.terms[0]![1] = 300; // a count that needs more than one byte
    written.decided = { kind: 'duplicate', level: 'rewrite', score: 0.4321, threshold: 0.28, matchedArticleId: 'c'.repeat(32), matchedUrl: 'https://other.example/x' };
    expect(decodeArticle(encodeArticle(written))).toEqual(written);
    const update = { ...written, publishedAt: '2024-11-05T10:00:00.000Z', decided: { kind: 'update' as const, previousTextHash: 'd'.repeat(64) } };
    expect(decodeArticle(encodeArticle(update))).toEqual(update);
    // an article without words: every slot of its signature empty
    const empty = compactFeatures(textFeatures({ title: '', text: '…' }), new MemoryDocumentFrequencies());
    const none = stored(empty);
    expect(none.minhash).toBeNull();
    expect(none.titleTerms).toBeUndefined();
    // at most 80 terms, 60 entities and 24 headline terms whatever the length: a long seed fits in 1 KB (cross-language anchors add a folded hash for each term with a diacritic)
    const plain = encodeArticle(storedArticle({ ...written, guidKey: 'urn:x' }, c, false)).length;
    console.log(`[dedupe record] a seed's record: ${plain} bytes; with its cross-language anchors: ${encodeArticle(written).length}`);
    expect(plain).toBeLessThan(1024);
  });

  it('scores the ten seed pairs exactly as their strings do', () => {
    expect(expectSameScores(seedDocs())).toBe(20);
  });

  it.skipIf(!hasEval)('scores pairs of real pages exactly as their strings do (40 Zyte pages and the seeds)', () => {
    const texts = [...zyteDocs(undefined, EVAL_DIR).slice(0, 40), ...seedDocs()];
    expect(expectSameScores(texts)).toBe(45 * 44);
  });

  it.skipIf(!hasEval)('scores German–English pairs on their shared anchors exactly as their strings do (cross-language)', () => {
    interface Side {
      title: string;
      text: string;
    }
    const pairs = readFileSync(path.join(EVAL_DIR, 'news-pairs', 'pairs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { lang1: string; lang2: string; a: Side; b: Side })
      .filter((p) => p.lang1 !== p.lang2);
    expect(pairs.length).toBeGreaterThan(5);
    for (const p of pairs) {
      expectSameScores([
        { ...p.a, language: p.lang1 },
        { ...p.b, language: p.lang2 },
      ], true);
    }
  });
});

describe('what a decision computes once', () => {
  it.each([0, 1, 35, 36, 1295, 1296, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 123456789, 2 ** 31 + 12345])('base36(%i) is its toString(36)', (h) => {
    expect(base36(h)).toBe(h.toString(36));
  });

  const EDGE_HASHES = [0, 1, 0x3ff, 0x400, 0x7ff, 0x800, 0x1fffff, 0x200000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 123456789];
  it.each(EDGE_HASHES)('a hash (%i) the article does not have resolves to a placeholder that dfKey reads back, as term, entity and headline term', (h) => {
    const stored: StoredArticle = {
      id: 'x', url: 'https://example.org/x', storyId: 'x', source: 'example.org', publishedAt: null, time: 0, textHash: '0'.repeat(64), guidHash: null,
      terms: [[h, 2]], entities: [h, h], anchors: [true, false], titleTerms: [[h, h]], minhash: null, decided: { kind: 'story' },
    };
    const mine = compactFeatures(textFeatures({ title: 'Harbour council meets', text: 'The harbour council met on Tuesday.' }), new MemoryDocumentFrequencies());
    const r = resolveAgainst(stored, new Vocabulary(mine));
    const [term] = r.terms[0]!;
    expect(term.includes('\u0001')).toBe(true);
    expect([dfKey(term), ...r.entities.map(dfKey), ...r.titleTerms!.map(dfKey)]).toEqual([h, h, h, h]);
    // the entity placeholders carry their mark first: an anchor `@`, any other entity `"`
    expect(r.entities.map((e) => e[0])).toEqual(['@', '"']);
  });

  it('scores again from the new frequencies once a count changes (the weights of one side are kept per state of the counts)', () => {
    const [a, b] = seedDocs().map((t) => compactFeatures(textFeatures(t), new MemoryDocumentFrequencies()));
    const counts = (shift: number): MapDocumentFrequencies => {
      const dfs = new MapDocumentFrequencies();
      dfs.setDocs(100);
      a!.terms.forEach(([t], i) => dfs.setKey(dfKey(t), (i * 7 + shift) % 50));
      for (const e of a!.entities) dfs.setKey(dfKey(e), shift % 13);
      return dfs;
    };
    const live = counts(0);
    const before = rewriteScore(a!, b!, live);
    const boundBefore = rewriteUpperBound(a!, b!, live);
    expect(before).toEqual(rewriteScore(a!, b!, counts(0)));
    // the same object, its counts changed: as a fresh one with those counts
    a!.terms.forEach(([t], i) => live.setKey(dfKey(t), (i * 7 + 5) % 50));
    for (const e of a!.entities) live.setKey(dfKey(e), 5 % 13);
    const after = rewriteScore(a!, b!, live);
    expect(after).toEqual(rewriteScore(a!, b!, counts(5)));
    expect(rewriteUpperBound(a!, b!, live)).toBe(rewriteUpperBound(a!, b!, counts(5)));
    expect(after.score).not.toBe(before.score);
    expect(rewriteUpperBound(a!, b!, live)).not.toBe(boundBefore);
    live.addDocs(1000);
    expect(rewriteScore(a!, b!, live).score).not.toBe(after.score);
  });
});
