// The synthetic article stream of the dedupe benchmarks (bench/dedupe-index.ts, `npm run bench`):
// synthetic but made of real text — sentences of the Zyte benchmark's article bodies and of the
// news-pairs texts (../shared/eval). A new story is 8–15 sentences drawn from anywhere in the
// pool, every number replaced (fresh figures for the idf); a copy (one article in four) is a
// recent article lightly edited: a sentence dropped, a credit line added, a new headline, under
// another outlet's URL. All articles fall within 48 hours, so the whole stream stays inside the
// 72-hour window: the index holds every article. Seeded: two runs see the same stream.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CleanArticle } from '../../pipeline/records.ts';
import { urlId } from '../../pipeline/url.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EVAL_DIR = process.env.FEEDSIFT_EVAL_DIR ?? path.resolve(REPO, '..', 'shared', 'eval');
/** The stream's articles are spread over this span (inside the 72-hour window). */
const SPAN_MS = 48 * 3_600_000;
const COPY_SHARE = 0.25;
const OUTLETS = 400;
/** Drafts a copy may be made of: the most recent new stories. */
const RECENT_DRAFTS = 1000;

/** mulberry32: a small seeded generator, so two runs see the same stream (also the evaluation's shuffled orders). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The sentence pool: per text (Zyte body, news-pairs side), its sentences of more than 20 characters. */
export function loadTexts(dir = EVAL_DIR): string[][] {
  const texts: string[] = [];
  const gt = JSON.parse(readFileSync(path.join(dir, 'extraction-zyte', 'ground-truth.json'), 'utf8')) as Record<string, { articleBody: string }>;
  for (const v of Object.values(gt)) texts.push(v.articleBody);
  for (const line of readFileSync(path.join(dir, 'news-pairs', 'pairs.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const p = JSON.parse(line) as { a: { text: string }; b: { text: string } };
    texts.push(p.a.text, p.b.text);
  }
  return texts
    .map((t) => t.split(/\n+|(?<=[.!?。])\s+/).map((s) => s.trim()).filter((s) => s.length > 20))
    .filter((s) => s.length >= 4);
}

interface Draft {
  title: string;
  sentences: string[];
  /** Id of the article that opened the story (the first article made of this draft). */
  origin: string;
}

/** One article of the stream, and the article it copies (null: a new story). */
export interface StreamItem {
  article: CleanArticle;
  copyOf: string | null;
}

export class Stream {
  private readonly texts: string[][];
  private readonly random: () => number;
  private readonly recent: Draft[] = [];
  private readonly total: number;
  private readonly start = Date.parse('2026-01-05T00:00:00Z');

  /** `total`: the length of the whole stream (it sets the articles' times over the span). */
  constructor(texts: string[][], total: number, seed: number) {
    this.texts = texts;
    this.total = total;
    this.random = rng(seed);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  private newStory(): Omit<Draft, 'origin'> {
    // single sentences from anywhere in the pool: two stories rarely share more than a word list
    const sentences = Array.from({ length: 8 + Math.floor(this.random() * 8) }, () => this.pick(this.pick(this.texts)));
    // fresh figures: every story carries numbers no other story has
    const fresh = sentences.map((s) => s.replace(/\d+/g, (m) => String(Math.floor(this.random() * 10 ** m.length))));
    return { title: fresh[0]!.slice(0, 90), sentences: fresh };
  }

  private copyOf(d: Draft): Draft {
    const sentences = [...d.sentences];
    if (sentences.length > 4) sentences.splice(1 + Math.floor(this.random() * (sentences.length - 2)), 1);
    sentences.push(`(Reporting by staff ${Math.floor(this.random() * 1000)}; editing by the desk.)`);
    return { title: `Update: ${d.title}`, sentences, origin: d.origin };
  }

  /** Article number i (1-based) of the stream; call with i = 1, 2, 3, … in order. */
  next(i: number): StreamItem {
    const copy = this.recent.length > 0 && this.random() < COPY_SHARE;
    const draft: Omit<Draft, 'origin'> & { origin?: string } = copy ? this.copyOf(this.pick(this.recent)) : this.newStory();
    const outlet = Math.floor(this.random() * OUTLETS);
    const url = `https://outlet-${outlet}.example/news/${i}`;
    const id = urlId(url);
    if (!copy) {
      this.recent.push({ ...draft, origin: id });
      if (this.recent.length > RECENT_DRAFTS) this.recent.shift();
    }
    const at = new Date(this.start + Math.floor((i / this.total) * SPAN_MS)).toISOString();
    const text = draft.sentences.join('\n\n');
    const article: CleanArticle = {
      id,
      url,
      canonicalUrl: url,
      guid: url,
      feedId: `outlet-${outlet}`,
      feedUrl: `https://outlet-${outlet}.example/feed`,
      source: `outlet-${outlet}.example`,
      title: draft.title,
      byline: null,
      publishedAt: at,
      fetchedAt: at,
      // the language only picks stopwords; most of the pool is English
      language: 'en',
      languageConfidence: 1,
      text,
      wordCount: text.split(/\s+/).length,
      removed: [],
      siteName: null,
      leadImage: null,
      extractedFrom: 'page',
    };
    return { article, copyOf: copy ? draft.origin! : null };
  }

  /** Article number i (1-based) of the stream. */
  article(i: number): CleanArticle {
    return this.next(i).article;
  }
}
