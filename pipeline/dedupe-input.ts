// A free article ({id, title, text, url?, publishedAt?, language?}) made into the CleanArticle
// the dedupe stage sees, for `feedsift compare`, `feedsift cluster` and the evaluation.
import { PermanentError } from './errors.ts';
import type { CleanArticle } from './records.ts';
import { cleanUrl, displayHost, sha256Hex } from './url.ts';

export interface ArticleInput {
  id: string;
  title: string;
  text: string;
  /** The article's URL (canonicalised here); without it the article is known only by its id (no URL-level match). */
  url?: string;
  /** ISO 8601. */
  publishedAt?: string;
  /** BCP-47 primary subtag, as the language stage would have found it. */
  language?: string;
  /** The outlet; default: the URL's host, else `unknown`. */
  source?: string;
}

/**
 * Checks one parsed JSON value as an article (`where` names it in messages, e.g. `line 3`, `line
 * 3: "a"`). Throws PermanentError INVALID_JOB with every problem at once.
 */
export function parseArticleInput(value: unknown, where: string, id?: string): ArticleInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PermanentError('dedupe', 'INVALID_JOB', `${where} is not a JSON object`);
  }
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  const text = typeof o.text === 'string' ? o.text : (problems.push('"text" must be a string'), '');
  if (!problems.length && !text.trim()) problems.push('"text" is empty');
  const title = o.title === undefined || o.title === null ? '' : typeof o.title === 'string' ? o.title : (problems.push('"title" must be a string'), '');
  const out: ArticleInput = { id: id ?? (o.id === undefined || o.id === null ? '' : String(o.id)), title, text };
  for (const k of ['url', 'publishedAt', 'language', 'source'] as const) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') problems.push(`"${k}" must be a string`);
    else out[k] = v;
  }
  if (out.url !== undefined && !/^https?:\/\/[^/]/i.test(out.url)) problems.push('"url" must be an absolute http(s) URL');
  if (out.publishedAt !== undefined && !Number.isFinite(Date.parse(out.publishedAt))) problems.push('"publishedAt" is not a date');
  if (problems.length) throw new PermanentError('dedupe', 'INVALID_JOB', `${where}: ${problems.join('; ')}`);
  return out;
}

/**
 * The CleanArticle of an input. `fallbackTime` places an article without a publication date
 * (the previous article's time in a stream, or now). `language` is used when the input has none.
 */
export function cleanArticleOf(input: ArticleInput, opts: { fallbackTime: string; language: string }): CleanArticle {
  // canonicalised as the pipeline canonicalises a page's URL (tracking parameters, fragment …)
  // Without a URL the article is its own site (never "same site" as another: that raises the
  // rewrite threshold); `.invalid` is reserved (RFC 2606) and never resolves.
  const url = input.url ? cleanUrl(input.url) : `https://input-${sha256Hex(input.id).slice(0, 12)}.invalid/${encodeURIComponent(input.id)}`;
  const source = input.source ?? (input.url ? displayHost(input.url) : 'unknown');
  return {
    id: input.id,
    url,
    canonicalUrl: url,
    // no guid level: an input has only its id and URL
    guid: '',
    feedId: 'input',
    feedUrl: 'urn:feedsift:input',
    source,
    title: input.title,
    byline: null,
    publishedAt: input.publishedAt ?? null,
    // a publication date is never far after the fetch (articleTime would distrust it)
    fetchedAt: input.publishedAt ?? opts.fallbackTime,
    language: input.language ?? opts.language,
    languageConfidence: input.language ? 1 : 0,
    text: input.text,
    wordCount: input.text.split(/\s+/).filter(Boolean).length,
    removed: [],
    siteName: null,
    leadImage: null,
    extractedFrom: 'page',
  };
}
