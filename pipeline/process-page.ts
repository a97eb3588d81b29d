// One page through the page stages: extract → language → strip.
import { extractPage } from './extract.ts';
import { loadLanguageDetector } from './language.ts';
import type { Block, ExtractedPage, FeedItem, RemovedBlock } from './records.ts';
import { stripBlocks } from './strip.ts';
import { countWords } from './text.ts';

export interface ProcessPageContext {
  /** URL the page was fetched from (after redirects). */
  url: string;
  feedItem?: FeedItem;
  /** The feed's configured `languageHint`: the strongest prior for the document language. */
  languageHint?: string;
  /** The language the feed declares. */
  feedLanguage?: string;
  /** Passed to the extract stage (PermanentError TOO_LARGE above it). Default: no limit. */
  maxElements?: number;
}

export interface PageResult {
  page: ExtractedPage;
  /** Document language, BCP-47 primary subtag or `und`. */
  language: string;
  languageConfidence: number;
  /** Blocks kept as article text, with their languages. */
  kept: Block[];
  removed: RemovedBlock[];
  /** Kept blocks joined by a blank line. */
  text: string;
  /** Intl.Segmenter word count, so Chinese and Japanese count words, not runs. */
  wordCount: number;
}

export async function processPage(html: string, ctx: ProcessPageContext): Promise<PageResult> {
  const page = extractPage(html, {
    url: ctx.url,
    ...(ctx.feedItem ? { feedItem: ctx.feedItem } : {}),
    ...(ctx.maxElements !== undefined ? { maxElements: ctx.maxElements } : {}),
  });
  const detector = await loadLanguageDetector();
  const detected = detector.detectLanguages(page.blocks, {
    ...(page.htmlLang ? { htmlLang: page.htmlLang } : {}),
    ...(ctx.feedLanguage ? { feedLanguage: ctx.feedLanguage } : {}),
    ...(ctx.languageHint ? { hint: ctx.languageHint } : {}),
  });
  const { kept, removed } = stripBlocks(detected.blocks, {
    language: detected.language,
    ...(page.title ? { title: page.title } : {}),
    ...(page.byline ? { byline: page.byline } : {}),
    siteHost: new URL(page.canonicalUrl).hostname,
  });
  const text = kept.map((b) => b.text).join('\n\n');
  return {
    page: { ...page, blocks: detected.blocks },
    language: detected.language,
    languageConfidence: detected.confidence,
    kept,
    removed,
    text,
    wordCount: countWords(text),
  };
}
