// One page through the page stages: extract → language → strip.
import type { DomKind } from './dom.ts';
import { cleanByline, extractPageWithRegion, wordsIn, type RegionBlock } from './extract.ts';
import { loadLanguageDetector, type LanguageDetector } from './language.ts';
import type { Block, ExtractedPage, FeedItem, RemovedBlock } from './records.ts';
import { classifyBlocks, stripBlocks, type StripContext } from './strip.ts';

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
  /** The DOM implementation the extract stage parses with. Default: DEFAULT_DOM (dom.ts). */
  dom?: DomKind;
}

export interface PageResult {
  page: ExtractedPage;
  /** Document language, BCP-47 primary subtag or `und`. */
  language: string;
  languageConfidence: number;
  /** Blocks kept as article text, with their languages. */
  kept: Block[];
  /**
   * Everything not in `text`, in page order, each with its reason: blocks the strip stage
   * removed, and blocks of the article's region that Readability left out, classified by
   * the same rules ('boilerplate' when none applies).
   */
  removed: RemovedBlock[];
  /** Kept blocks joined by a blank line. */
  text: string;
  /** Intl.Segmenter word count, so Chinese and Japanese count words, not runs. */
  wordCount: number;
}

export async function processPage(html: string, ctx: ProcessPageContext): Promise<PageResult> {
  const { page, region } = extractPageWithRegion(html, {
    url: ctx.url,
    ...(ctx.feedItem ? { feedItem: ctx.feedItem } : {}),
    ...(ctx.maxElements !== undefined ? { maxElements: ctx.maxElements } : {}),
    ...(ctx.dom ? { dom: ctx.dom } : {}),
  });
  const detector = await loadLanguageDetector();
  const detected = detector.detectLanguages(page.blocks, {
    ...(page.htmlLang ? { htmlLang: page.htmlLang } : {}),
    ...(ctx.feedLanguage ? { feedLanguage: ctx.feedLanguage } : {}),
    ...(ctx.languageHint ? { hint: ctx.languageHint } : {}),
  });
  const stripContext: StripContext = {
    language: detected.language,
    ...(page.title ? { title: page.title } : {}),
    ...(page.byline ? { byline: page.byline } : {}),
    siteHost: new URL(page.canonicalUrl).hostname,
  };
  const { kept, removed: stripped } = stripBlocks(detected.blocks, stripContext);
  const removed = withDropped(stripped, region, classifyDropped(detector, region, stripContext));
  const text = kept.map((b) => b.text).join('\n\n');
  return {
    page: { ...withLineMetadata(page, removed), blocks: detected.blocks },
    language: detected.language,
    languageConfidence: detected.confidence,
    kept,
    removed,
    text,
    wordCount: wordsIn(kept),
  };
}

/** Reasons for the region's blocks Readability left out, judged in their page context. */
function classifyDropped(detector: LanguageDetector, region: RegionBlock[], ctx: StripContext): Array<RemovedBlock | undefined> {
  if (!region.some((b) => !b.extracted)) return [];
  const labelled = detector.detectLanguages(region, { hint: ctx.language }).blocks;
  const marks = classifyBlocks(labelled, ctx);
  return region.map((b, i) => {
    if (b.extracted) return undefined;
    const reason = marks[i]?.reason ?? b.reason ?? 'boilerplate';
    const language = marks[i]?.language ?? labelled[i]!.language;
    return language ? { reason, language, text: b.text } : { reason, text: b.text };
  });
}

/** Strip removals and dropped region blocks merged in page order. */
function withDropped(stripped: RemovedBlock[], region: RegionBlock[], dropped: Array<RemovedBlock | undefined>): RemovedBlock[] {
  if (!dropped.length) return stripped;
  const position = new Map<string, number>();
  region.forEach((b, i) => {
    if (b.extracted && !position.has(b.text)) position.set(b.text, i);
  });
  const keyed: Array<[number, RemovedBlock]> = [];
  dropped.forEach((r, i) => {
    if (r) keyed.push([i, r]);
  });
  stripped.forEach((r, i) => keyed.push([position.get(r.text) ?? region.length + i, r]));
  return keyed.sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/**
 * Bylines and datelines are metadata, not body: when the page's head did not name the
 * author or the date, a byline or dateline line stripped from the text fills it in.
 */
function withLineMetadata(page: ExtractedPage, removed: RemovedBlock[]): ExtractedPage {
  const filled = { ...page };
  if (!filled.byline) {
    for (const r of removed) {
      const byline = r.reason === 'byline' ? cleanByline(r.text, filled.siteName ? [filled.siteName] : []) : undefined;
      if (byline) {
        filled.byline = byline;
        break;
      }
    }
  }
  if (!filled.publishedAt) {
    for (const r of removed) {
      if (r.reason !== 'metadata-line' || !/\d{4}/.test(r.text)) continue;
      const ms = Date.parse(r.text.replace(/^[^\d]*?(?:published|posted|updated)?\s*:?\s*(?=\p{L}{3}|\d)/iu, ''));
      if (!Number.isNaN(ms)) {
        filled.publishedAt = new Date(ms).toISOString();
        break;
      }
    }
  }
  return filled;
}
