// The "process an article" stage: fetch the page, extract, detect language, strip —
// and hand on a clean article (text only: the page's HTML never leaves this function).
// Two halves: fetchArticlePage (I/O: the request) and cleanArticle (CPU: decode, DOM,
// Readability, language, strip), so that a worker can run the second on a page thread
// (workers/page-pool.ts) while its event loop goes on fetching.
import { defaultHttpOptions, type HttpOptions } from './http.ts';
import { decodePage, fetchPageBytes, type RawPage } from './fetch-page.ts';
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

/**
 * Everything the CPU half of the stage needs: the page's bytes, the item and its feed, the
 * limits. Plain data (structured-cloneable), so that it can be handed to a page thread.
 */
export interface PageTask {
  page: RawPage;
  item: FeedItem;
  feed: FeedRef;
  /** When the fetch started (ISO 8601). */
  fetchedAt: string;
  /** Articles with fewer words after cleaning are dropped. */
  minWords: number;
  /** Characters of the decoded page handed to the DOM (TOO_LARGE above). */
  maxPageChars: number;
  /** Elements of the parsed page (TOO_LARGE above). */
  maxElements: number;
}

/** Fetches and cleans one feed item's page. Throws typed errors; returns a Drop for too-short text. */
export async function processArticle(item: FeedItem, feed: FeedRef, ctx: ArticleContext): Promise<CleanArticle | Drop> {
  return cleanArticle(await fetchArticlePage(item, feed, ctx));
}

/** The I/O half: fetches the item's page (typed errors of fetch-page) and returns the task for cleanArticle. */
export async function fetchArticlePage(item: FeedItem, feed: FeedRef, ctx: ArticleContext): Promise<PageTask> {
  const fetchedAt = (ctx.now?.() ?? new Date()).toISOString();
  const page = await fetchPageBytes(item.link, ctx.http);
  return {
    page,
    item,
    feed,
    fetchedAt,
    minWords: ctx.minWords,
    maxPageChars: ctx.http?.maxPageChars ?? defaultHttpOptions.maxPageChars,
    maxElements: ctx.http?.maxElements ?? defaultHttpOptions.maxElements,
  };
}

/** The CPU half: decode, extract, language, strip, and the clean article built. Throws typed errors. */
export async function cleanArticle(task: PageTask): Promise<CleanArticle | Drop> {
  const { item, feed, fetchedAt } = task;
  const page = decodePage(task.page, task.maxPageChars);
  const result = await processPage(page.html, {
    url: page.finalUrl,
    feedItem: item,
    ...(feed.languageHint ? { languageHint: feed.languageHint } : {}),
    ...(feed.language ? { feedLanguage: feed.language } : {}),
    maxElements: task.maxElements,
  });
  if (result.wordCount < task.minWords) {
    return { dropped: true, reason: 'too-short', detail: `${result.wordCount} words after cleaning (minimum ${task.minWords}): ${item.link}` };
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
