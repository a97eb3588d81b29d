// The "process an article" stage: fetch the page, extract, detect language, strip —
// and hand on a clean article (text only: the page's HTML never leaves this function).
import { defaultHttpOptions, type HttpOptions } from './http.ts';
import { fetchPage } from './fetch-page.ts';
import { processPage } from './process-page.ts';
import type { CleanArticle, Drop, FeedItem } from './records.ts';
import { cleanUrl, displayHost, urlId } from './url.ts';

/** What an article job knows about the feed it came from. */
export interface FeedRef {
  id: string;
  url: string;
  /** Configured name of the outlet. */
  name?: string;
  /** The feed's own title. */
  title?: string;
  /** Language the feed declares (raw). */
  language?: string;
  /** Operator's language hint. */
  languageHint?: string;
}

export interface ArticleContext {
  http?: Partial<HttpOptions>;
  /** Articles with fewer words after cleaning are dropped. */
  minWords: number;
  now?: () => Date;
}

/** Fetches and cleans one feed item's page. Throws typed errors; returns a Drop for too-short text. */
export async function processArticle(item: FeedItem, feed: FeedRef, ctx: ArticleContext): Promise<CleanArticle | Drop> {
  const fetchedAt = (ctx.now?.() ?? new Date()).toISOString();
  const page = await fetchPage(item.link, ctx.http);
  const result = await processPage(page.html, {
    url: page.finalUrl,
    feedItem: item,
    ...(feed.languageHint ? { languageHint: feed.languageHint } : {}),
    ...(feed.language ? { feedLanguage: feed.language } : {}),
    maxElements: ctx.http?.maxElements ?? defaultHttpOptions.maxElements,
  });
  if (result.wordCount < ctx.minWords) {
    return { dropped: true, reason: 'too-short', detail: `${result.wordCount} words after cleaning (minimum ${ctx.minWords}): ${item.link}` };
  }
  const canonicalUrl = result.page.canonicalUrl ?? cleanUrl(page.finalUrl);
  return {
    id: urlId(canonicalUrl),
    url: item.link,
    canonicalUrl,
    guid: item.guid,
    feedId: feed.id,
    feedUrl: feed.url,
    source: feed.name ?? result.page.siteName ?? feed.title ?? displayHost(canonicalUrl),
    title: result.page.title ?? item.title ?? '',
    byline: result.page.byline ?? item.author ?? null,
    publishedAt: result.page.publishedAt ?? item.publishedAt ?? null,
    fetchedAt,
    language: result.language,
    languageConfidence: result.languageConfidence,
    text: result.text,
    wordCount: result.wordCount,
    removed: result.removed,
    siteName: result.page.siteName ?? null,
    leadImage: result.page.leadImage ?? null,
    extractedFrom: result.page.extractedFrom,
  };
}

export function isDrop(x: CleanArticle | Drop): x is Drop {
  return (x as Drop).dropped === true;
}
