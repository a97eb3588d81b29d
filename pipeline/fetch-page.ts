// The page stage's fetch: GET an article page and decode it to text. Extraction is a later stage.
import { decodeBytes } from './charset.ts';
import { PermanentError } from './errors.ts';
import type { HttpOptions } from './http.ts';
import { defaultHttpOptions, httpGet } from './http.ts';

export interface FetchedPage {
  /** URL after redirects. */
  finalUrl: string;
  status: number;
  html: string;
  /** Encoding the page was decoded with (see pipeline/charset.ts). */
  charset: string;
  /** The Content-Type header as sent ('' when absent). */
  contentType: string;
}

export const PAGE_ACCEPT = 'text/html, application/xhtml+xml;q=0.9, */*;q=0.1';

/** Media types we extract from; anything else is not an article page. */
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** A body with no (or a generic) Content-Type is accepted when it starts like an HTML document. */
function looksLikeHtml(body: Buffer): boolean {
  const head = body.subarray(0, 1024).toString('latin1').replace(/^(\xEF\xBB\xBF)/, '').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || /^(<!--[\s\S]*?-->\s*)*<(html|head|body)\b/.test(head);
}

/** An article page as it came off the wire: checked to be HTML, not yet decoded. */
export interface RawPage {
  /** URL after redirects. */
  finalUrl: string;
  status: number;
  /** The decompressed body. */
  body: Uint8Array;
  /** The Content-Type header as sent ('' when absent). */
  contentType: string;
}

/**
 * Fetches an article page. Network and HTTP failures are the errors of pipeline/http.ts with
 * stage `fetch-page`; a response that is not HTML is PermanentError NOT_HTML; a decoded page
 * longer than `http.maxPageChars` is PermanentError TOO_LARGE (the DOM never sees it).
 */
export async function fetchPage(url: string, http: Partial<HttpOptions> = {}): Promise<FetchedPage> {
  return decodePage(await fetchPageBytes(url, http), http.maxPageChars ?? defaultHttpOptions.maxPageChars);
}

/** The I/O half of fetchPage: the request and the content-type check, no decoding. */
export async function fetchPageBytes(url: string, http: Partial<HttpOptions> = {}): Promise<RawPage> {
  const res = await httpGet({ url, accept: PAGE_ACCEPT }, http, 'fetch-page');
  const contentType = res.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  const generic = mediaType === '' || mediaType === 'application/octet-stream' || mediaType === 'text/plain';
  if (!HTML_TYPES.has(mediaType) && !(generic && looksLikeHtml(res.body))) {
    throw new PermanentError('fetch-page', 'NOT_HTML', `expected an HTML page, got "${contentType || 'no Content-Type'}" (GET ${res.url})`, {
      url: res.url,
      status: res.status,
      contentType,
    });
  }
  return { finalUrl: res.url, status: res.status, body: res.body, contentType };
}

/**
 * The CPU half of fetchPage: decodes the bytes by their real charset; a decoded page longer
 * than `maxPageChars` is PermanentError TOO_LARGE. Runs wherever the page stages run (a page
 * thread, see workers/page-pool.ts), so the body may arrive as a plain Uint8Array.
 */
export function decodePage(raw: RawPage, maxPageChars: number): FetchedPage {
  const body = Buffer.isBuffer(raw.body) ? raw.body : Buffer.from(raw.body.buffer, raw.body.byteOffset, raw.body.byteLength);
  const decoded = decodeBytes(body, { contentType: raw.contentType, kind: 'html' });
  if (decoded.text.length > maxPageChars) {
    throw new PermanentError('fetch-page', 'TOO_LARGE', `page has ${decoded.text.length} characters, more than the ${maxPageChars} handed to the DOM (GET ${raw.finalUrl})`, {
      url: raw.finalUrl,
      status: raw.status,
      limit: maxPageChars,
    });
  }
  return { finalUrl: raw.finalUrl, status: raw.status, html: decoded.text, charset: decoded.charset, contentType: raw.contentType };
}
