// The feed stage: poll a feed over HTTP, decode it, and normalise its items across
// RSS 0.9x–2.0, RDF (RSS 1.0), Atom 0.3/1.0 and JSON Feed 1.0/1.1.
//
// XML goes through rss-parser (its xml2js parser and its item builders), called synchronously
// so that parseFeed stays a pure function; our own code picks the root, fills what rss-parser
// leaves out (Atom xhtml titles, alternate links, dc:date on RSS, RDF about) and guards its
// builders, which throw on an unparseable Atom date or a link without href.
import { decodeHTML } from 'entities';
import Parser from 'rss-parser';
import { decodeBytes } from './charset.ts';
import { FeedsiftError, PermanentError } from './errors.ts';
import type { HttpOptions } from './http.ts';
import { httpGet } from './http.ts';
import { cacheHeadersOf, parseRssTtl, parseSyndicationPeriod, type HttpCacheHeaders } from './poll-schedule.ts';
import type { FeedConfig, FeedFormat, FeedItem, ParsedFeed } from './records.ts';
import { resolveUrl } from './url.ts';

/** `cache`: the response's caching headers (Cache-Control, Expires, with Date and Age), when it has any; for adaptive polling. */
export type PollOutcome =
  | { notModified: true; cache?: HttpCacheHeaders }
  | { notModified: false; feed: ParsedFeed; etag?: string; lastModified?: string; charset: string; finalUrl: string; cache?: HttpCacheHeaders };

/** What we ask feed servers for: feed types first, generic XML/JSON after. */
export const FEED_ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, ' +
  'application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.8, */*;q=0.5';

// ---------------------------------------------------------------------------------------------
// xml2js trees (as rss-parser's parser builds them: every child an array, text in `_`, attributes in `$`)

type XNode = string | XElement;
interface XElement {
  _?: string;
  $?: Record<string, string>;
  [child: string]: unknown;
}

/** The parts of rss-parser we use that its typings do not declare. */
interface RssParserInternals {
  xmlParser: { parseString(xml: string, cb: (err: Error | null, result: unknown) => void): void };
  parseItemRss(item: XElement, fields: unknown[]): Record<string, unknown>;
  parseItemAtom(entry: XElement): Record<string, unknown>;
}
// rss-parser's own list of RSS item fields (lib/fields.js), which parseItemRss expects as 2nd argument.
const RSS_ITEM_FIELDS: unknown[] = [
  ['author', 'creator'], ['dc:creator', 'creator'], ['dc:date', 'date'], ['dc:title', 'title'],
  'title', 'link', 'pubDate', 'author', 'summary', ['content:encoded', 'content:encoded'], 'dc:date',
];

function children(node: unknown, name: string): XNode[] {
  if (!node || typeof node !== 'object') return [];
  const v = (node as XElement)[name];
  return Array.isArray(v) ? (v as XNode[]) : [];
}
function first(node: unknown, ...names: string[]): XNode | undefined {
  for (const n of names) {
    const c = children(node, n)[0];
    if (c !== undefined) return c;
  }
  return undefined;
}
function attr(node: XNode | undefined, name: string): string | undefined {
  return node && typeof node === 'object' ? node.$?.[name] : undefined;
}

/** All text below a node, in the order xml2js keeps (own text first). */
function textOf(node: unknown): string {
  if (node === undefined || node === null) return '';
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map(textOf).join(' ');
  if (typeof node !== 'object') return String(node);
  const el = node as XElement;
  const parts: string[] = [];
  if (typeof el._ === 'string') parts.push(el._);
  // inline markup inside a title is text, but a <script> or <style> element's content never is
  for (const [k, v] of Object.entries(el)) if (k !== '_' && k !== '$' && !NOT_TEXT.has(k.toLowerCase().replace(/^.*:/, ''))) parts.push(textOf(v));
  return parts.join(' ');
}

const NOT_TEXT = new Set(['script', 'style', 'noscript', 'iframe', 'object', 'embed']);

// ---------------------------------------------------------------------------------------------
// text helpers

const BLOCK_TAG = /<\/?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|section|article|tr|table|pre)\b[^>]*>/gi;

/** HTML (or escaped HTML) → plain text: scripts and tags removed, entities decoded, spaces collapsed. */
export function htmlToText(html: string): string {
  return decodeHTML(
    html
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(BLOCK_TAG, ' ')
      .replace(/<\/?[a-z][^>]*>/gi, ''),
  )
    .replace(/\s+/g, ' ')
    .trim();
}

const nonEmpty = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t : undefined;
};

/** ISO 8601 of an RFC 822 / RFC 3339 / W3CDTF date, or undefined when it is not a date. */
export function toIsoDate(value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  let t = Date.parse(v);
  // "Mon, 06 Sep 2010 00:01:00 UT" and zones Date.parse does not know: retry without the zone name as UTC.
  if (Number.isNaN(t)) t = Date.parse(v.replace(/\s+[A-Z]{1,5}$/, ' GMT'));
  if (Number.isNaN(t)) return undefined;
  return new Date(t).toISOString();
}

const XML_PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

/**
 * Makes common feed breakage parseable by a strict XML parser, outside CDATA sections:
 * HTML named entities (&eacute; — undefined in XML) become numeric references, unknown
 * entities and bare ampersands become &amp;.
 */
export function repairXmlEntities(xml: string): string {
  return xml
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/&(#x[0-9a-f]+;|#\d+;|[a-z][a-z0-9]*;?)?/gi, (whole, ref: string | undefined) => {
            if (!ref) return '&amp;';
            if (ref.startsWith('#')) return whole;
            const name = ref.replace(/;$/, '');
            if (XML_PREDEFINED.has(name) && ref.endsWith(';')) return whole;
            if (!ref.endsWith(';')) return `&amp;${ref}`;
            const decoded = decodeHTML(whole);
            if (decoded === whole) return `&amp;${ref}`;
            return [...decoded].map((ch) => `&#${ch.codePointAt(0)};`).join('');
          }),
    )
    .join('');
}

// ---------------------------------------------------------------------------------------------
// hostile XML

/** Deepest element nesting accepted in a feed (real feeds nest < 30; 100 000 levels is an attack on the parser's stack). */
export const MAX_XML_DEPTH = 1000;

function hostile(url: string, message: string): PermanentError {
  return new PermanentError('parse-feed', 'HOSTILE_XML', `${message} (${url})`, { url });
}

/**
 * Refuses, before any parser sees it, a document whose DOCTYPE declares entities (general or
 * parameter: "billion laughs", quadratic blowup, XXE with SYSTEM/PUBLIC identifiers — sax
 * would not expand them, but nothing good comes from a feed that declares any) or whose elements
 * nest deeper than MAX_XML_DEPTH. One linear pass: comments, CDATA sections and processing
 * instructions are skipped whole, attribute values are skipped with their quotes, and an end tag
 * closes up to its matching start tag, as sax's lenient mode does. An unclosed `<br>` counts:
 * the lenient parser nests what follows inside it (5 000 of them overflowed the stack in the
 * tree walk before this check). Throws PermanentError HOSTILE_XML.
 */
export function checkXmlSafety(xml: string, url: string): void {
  const stack: string[] = [];
  const skipTo = (from: number, end: string): number => {
    const at = xml.indexOf(end, from);
    return at === -1 ? xml.length : at + end.length;
  };
  let i = 0;
  while ((i = xml.indexOf('<', i)) !== -1) {
    if (xml.startsWith('<!--', i)) i = skipTo(i + 4, '-->');
    else if (xml.startsWith('<![CDATA[', i)) i = skipTo(i + 9, ']]>');
    else if (xml.startsWith('<?', i)) i = skipTo(i + 2, '?>');
    else if (xml[i + 1] === '!') {
      // <!DOCTYPE name ... [internal subset]>: the subset ends at the first "]" followed by ">".
      const open = xml.indexOf('[', i);
      const close = xml.indexOf('>', i);
      const hasSubset = open !== -1 && (close === -1 || open < close);
      const end = hasSubset ? skipTo(open, ']') : close === -1 ? xml.length : close + 1;
      const declaration = xml.slice(i, end);
      if (/<!ENTITY/i.test(declaration)) throw hostile(url, 'the DOCTYPE declares entities (entity expansion / external entities are refused)');
      i = hasSubset ? skipTo(end, '>') : end;
    } else if (xml[i + 1] === '/') {
      const close = xml.indexOf('>', i);
      const name = xml.slice(i + 2, close === -1 ? undefined : close).trim().toLowerCase();
      const at = stack.lastIndexOf(name);
      if (at !== -1) stack.length = at;
      i = close === -1 ? xml.length : close + 1;
    } else {
      // a start tag: find its end outside quoted attribute values
      let j = i + 1;
      let quote = '';
      for (; j < xml.length; j++) {
        const c = xml[j]!;
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>' || c === '<') break;
      }
      const name = /^[^\s/>]*/.exec(xml.slice(i + 1, Math.min(j, i + 200)))![0].toLowerCase();
      if (name && xml[j] === '>' && xml[j - 1] !== '/') {
        stack.push(name);
        if (stack.length > MAX_XML_DEPTH) throw hostile(url, `elements nest deeper than ${MAX_XML_DEPTH} levels`);
      }
      i = xml[j] === '>' ? j + 1 : j;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// XML → tree

function parseXmlTree(xml: string, strict: boolean): { root: string; node: XElement } | undefined {
  const lower = (n: string): string => n.toLowerCase();
  const parser = new Parser(
    strict
      ? {}
      : { xml2js: { strict: false, normalizeTags: true, attrNameProcessors: [lower] } as never },
  ) as unknown as RssParserInternals;
  let result: unknown;
  let error: Error | null = null;
  try {
    // xml2js calls back synchronously when not in async mode.
    parser.xmlParser.parseString(xml, (err, res) => {
      error = err;
      result = res;
    });
  } catch (err) {
    error = err as Error;
  }
  if (error || !result || typeof result !== 'object') return undefined;
  const [root] = Object.keys(result);
  if (root === undefined) return undefined;
  const node = (result as Record<string, unknown>)[root];
  return { root, node: node && typeof node === 'object' ? (node as XElement) : {} };
}

/**
 * For the lenient retry: a document cut off in transfer loses its tail (`</rss`, `<![CD`),
 * and xml2js yields nothing until the root closes — so drop the partial tag and close the root
 * (sax closes any elements still open inside it).
 */
function closeTruncated(xml: string): string {
  const cut = xml.replace(/<[^>]*$/, '');
  const root = /<([A-Za-z_][\w:.-]*)[^>]*>/.exec(cut.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>/gi, ''))?.[1];
  if (!root || new RegExp(`</${root}\\s*>\\s*$`).test(cut)) return cut;
  return `${cut}</${root}>`;
}

function formatOfRoot(root: string): FeedFormat | undefined {
  const local = root.toLowerCase().replace(/^.*:/, '');
  if (local === 'rss') return 'rss';
  if (local === 'rdf') return 'rdf';
  if (local === 'feed') return 'atom';
  return undefined;
}

/** The value of a child found under any of the given names, case-insensitively (lenient trees are lower-cased). */
function pick(node: unknown, ...names: string[]): XNode | undefined {
  return first(node, ...names, ...names.map((n) => n.toLowerCase()));
}
function pickAll(node: unknown, name: string): XNode[] {
  const exact = children(node, name);
  return exact.length ? exact : children(node, name.toLowerCase());
}

/** The alternate link of an Atom element (rel absent or "alternate"), preferring text/html. */
function atomAlternate(node: unknown): string | undefined {
  const links = pickAll(node, 'link').filter((l) => {
    const rel = (attr(l, 'rel') ?? 'alternate').toLowerCase();
    return rel === 'alternate' && attr(l, 'href');
  });
  const html = links.find((l) => /html/i.test(attr(l, 'type') ?? 'text/html'));
  return attr(html ?? links[0], 'href');
}

/** A text construct: Atom `type="html"` and RSS titles may carry markup; we want text. */
const textField = (node: XNode | undefined): string | undefined => (node === undefined ? undefined : nonEmpty(htmlToText(textOf(node))));

function safely<T>(fn: () => T): T | Record<string, never> {
  try {
    return fn();
  } catch {
    return {};
  }
}

function rssItem(rp: RssParserInternals, item: XElement, baseUrl: string): FeedItem | undefined {
  const built = safely(() => rp.parseItemRss(item, RSS_ITEM_FIELDS)) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? nonEmpty(v) : undefined);
  const guidNode = pick(item, 'guid');
  const guid = nonEmpty(textOf(guidNode)) ?? nonEmpty(attr(item, 'rdf:about'));
  const guidIsLink = guidNode !== undefined && attr(guidNode, 'isPermaLink')?.toLowerCase() !== 'false';
  const link =
    resolveUrl(str(built.link) ?? nonEmpty(textOf(pick(item, 'link'))), baseUrl) ??
    atomAlternate(item) ??
    (guidIsLink ? resolveUrl(guid, baseUrl) : undefined) ??
    resolveUrl(attr(item, 'rdf:about'), baseUrl);
  if (!link) return undefined;
  const description = pick(item, 'description');
  const content = pick(item, 'content:encoded', 'xhtml:body', 'body');
  return assemble({
    guid: guid ?? link,
    link,
    title: textField(pick(item, 'title', 'dc:title')),
    publishedAt: toIsoDate(nonEmpty(textOf(pick(item, 'pubDate', 'dc:date', 'dcterms:issued', 'dcterms:created', 'dcterms:modified')))),
    author: str(built.creator) ?? nonEmpty(textOf(pick(item, 'dc:creator', 'author'))),
    summary: textField(description),
    contentHtml: nonEmpty(textOf(content)),
  });
}

function atomItem(rp: RssParserInternals, entry: XElement, baseUrl: string): FeedItem | undefined {
  const built = safely(() => rp.parseItemAtom(entry)) as Record<string, unknown>;
  const id = nonEmpty(textOf(pick(entry, 'id')));
  const link = resolveUrl(atomAlternate(entry), baseUrl) ?? (id && /^https?:/i.test(id) ? resolveUrl(id) : undefined);
  if (!link) return undefined;
  const content = pick(entry, 'content');
  const contentHtml = typeof built.content === 'string' ? nonEmpty(built.content) : nonEmpty(textOf(content));
  return assemble({
    guid: id ?? link,
    link,
    title: textField(pick(entry, 'title')),
    publishedAt: toIsoDate(nonEmpty(textOf(pick(entry, 'published', 'issued', 'updated', 'modified', 'created', 'dc:date')))),
    author: nonEmpty(textOf(pick(pick(entry, 'author'), 'name'))) ?? nonEmpty(textOf(pick(entry, 'dc:creator'))),
    summary: textField(pick(entry, 'summary')),
    contentHtml,
  });
}

/** A FeedItem without undefined-valued keys (records compare and serialise cleanly). */
function assemble(item: FeedItem): FeedItem {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (v !== undefined) out[k] = v;
  return out as unknown as FeedItem;
}

function parseXmlFeed(text: string, url: string): ParsedFeed {
  // We decoded the bytes ourselves: the declaration's encoding no longer describes this string.
  const xml = text.replace(/^\uFEFF/, '').replace(/^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']/, '$1');
  checkXmlSafety(xml, url);
  const repaired = repairXmlEntities(xml);
  const strictTree = parseXmlTree(repaired, true);
  const tree = strictTree ?? parseXmlTree(closeTruncated(repaired), false);
  if (!tree) throw new PermanentError('parse-feed', 'FEED_UNPARSEABLE', `not well-formed XML, even leniently (${url})`, { url });
  const format = formatOfRoot(tree.root);
  if (!format) {
    throw new PermanentError('parse-feed', 'NOT_A_FEED', `the document's root element is <${tree.root}>, not rss, rdf:RDF or feed (${url})`, { url, root: tree.root });
  }
  const feed = parseFeedTree(tree, format, url);
  if (strictTree) return feed;
  // Recovered leniently: an item cut off by the truncation has a partial link or text, so only
  // the items whose closing tag is in the document are kept, and the feed says what happened.
  const closedItems = (repaired.match(format === 'atom' ? /<\/(?:[\w.-]+:)?entry\s*>/gi : /<\/(?:[\w.-]+:)?item\s*>/gi) ?? []).length;
  const items = feed.items.slice(0, closedItems);
  return {
    ...feed,
    items,
    warnings: [
      `parse-feed: not well-formed XML (${url}); recovered leniently: kept ${items.length} complete item(s), dropped ${feed.items.length - items.length} incomplete`,
    ],
  };
}

function parseFeedTree(tree: { root: string; node: XElement }, format: FeedFormat, url: string): ParsedFeed {
  const rp = new Parser() as unknown as RssParserInternals;
  const root = tree.node;
  const channel = (pick(root, 'channel') ?? {}) as XElement;
  if (format === 'atom') {
    const entries = pickAll(root, 'entry').filter((e): e is XElement => typeof e === 'object');
    return withoutUndefined({
      format,
      title: textField(pick(root, 'title')),
      link: resolveUrl(atomAlternate(root), url),
      language: nonEmpty(attr(root, 'xml:lang')),
      items: entries.map((e) => atomItem(rp, e, url)).filter((i): i is FeedItem => i !== undefined),
      updatePeriodSeconds: syndicationPeriodOf(root),
    });
  }
  // RSS keeps items in the channel; RDF and RSS 0.90 beside it.
  const items = [...pickAll(channel, 'item'), ...pickAll(root, 'item')].filter((i): i is XElement => typeof i === 'object');
  return withoutUndefined({
    format,
    title: textField(pick(channel, 'title', 'dc:title')),
    link: resolveUrl(nonEmpty(textOf(pick(channel, 'link'))) ?? atomAlternate(channel), url),
    language: nonEmpty(textOf(pick(channel, 'language', 'dc:language'))),
    items: items.map((i) => rssItem(rp, i, url)).filter((i): i is FeedItem => i !== undefined),
    ttlSeconds: parseRssTtl(textOf(pick(channel, 'ttl'))),
    updatePeriodSeconds: syndicationPeriodOf(channel),
  });
}

/** `<sy:updatePeriod>` / `<sy:updateFrequency>` of a channel (or Atom feed) in seconds. */
function syndicationPeriodOf(node: unknown): number | undefined {
  const text = (name: string): string | undefined => {
    const n = pick(node, name);
    return n === undefined ? undefined : textOf(n);
  };
  return parseSyndicationPeriod(text('sy:updatePeriod'), text('sy:updateFrequency'));
}

function withoutUndefined(feed: ParsedFeed): ParsedFeed {
  return assemble(feed as unknown as FeedItem) as unknown as ParsedFeed;
}

// ---------------------------------------------------------------------------------------------
// JSON Feed (https://www.jsonfeed.org/version/1.1/)

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const jsonString = (v: unknown): string | undefined => (typeof v === 'string' ? nonEmpty(v) : undefined);

function jsonAuthor(o: Record<string, unknown>): string | undefined {
  // 1.1 has `authors` (array); 1.0 has `author` (object).
  const authors = Array.isArray(o.authors) ? o.authors : [o.author];
  const names = authors.filter(isRecord).map((a) => jsonString(a.name)).filter((n): n is string => n !== undefined);
  return names.length ? names.join(', ') : undefined;
}

function parseJsonFeed(text: string, url: string): ParsedFeed {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new PermanentError('parse-feed', 'FEED_UNPARSEABLE', `invalid JSON: ${(err as Error).message} (${url})`, { url, cause: err });
  }
  const version = isRecord(doc) ? jsonString(doc.version) : undefined;
  if (!isRecord(doc) || !version || !/^https?:\/\/jsonfeed\.org\/version\//i.test(version)) {
    throw new PermanentError('parse-feed', 'NOT_A_FEED', `JSON without a jsonfeed.org version (${url})`, { url });
  }
  const rawItems = Array.isArray(doc.items) ? doc.items.filter(isRecord) : [];
  const items: FeedItem[] = [];
  for (const it of rawItems) {
    const link = resolveUrl(jsonString(it.url) ?? jsonString(it.external_url), url);
    if (!link) continue;
    const id = typeof it.id === 'number' ? String(it.id) : jsonString(it.id);
    const summary = jsonString(it.summary) ?? jsonString(it.content_text);
    items.push(
      assemble({
        guid: id ?? link,
        link,
        title: jsonString(it.title) ? htmlToText(it.title as string) : undefined,
        publishedAt: toIsoDate(jsonString(it.date_published) ?? jsonString(it.date_modified)),
        author: jsonAuthor(it) ?? jsonAuthor(doc),
        summary: summary === undefined ? undefined : nonEmpty(htmlToText(summary)),
        contentHtml: jsonString(it.content_html),
      }),
    );
  }
  return withoutUndefined({
    format: 'json',
    title: jsonString(doc.title),
    link: resolveUrl(jsonString(doc.home_page_url), url),
    language: jsonString(doc.language),
    items,
  });
}

const looksLikeJson = (text: string): boolean => /^\uFEFF?\s*[{[]/.test(text);

/**
 * Parses decoded feed text. Throws PermanentError FEED_UNPARSEABLE (not XML/JSON, or broken
 * beyond lenient parsing) or NOT_A_FEED (well-formed, but an HTML page, other XML or other JSON).
 * Items without an http(s) link are skipped: there is no page to fetch.
 */
export function parseFeed(text: string, opts: { url: string }): ParsedFeed {
  const { url } = opts;
  if (!text.trim()) throw new PermanentError('parse-feed', 'FEED_UNPARSEABLE', `empty document (${url})`, { url });
  try {
    return looksLikeJson(text) ? parseJsonFeed(text, url) : parseXmlFeed(text, url);
  } catch (err) {
    if (err instanceof FeedsiftError) throw err;
    // A parser bug or a pathological document: still a typed, permanent error, never a crash.
    throw new PermanentError('parse-feed', 'FEED_UNPARSEABLE', `parser failure: ${(err as Error)?.message ?? String(err)} (${url})`, { url, cause: err });
  }
}

/** Fetch (conditionally), decode and parse a feed. Errors are FeedsiftErrors of stage fetch-feed / parse-feed. */
export async function pollFeed(
  feed: FeedConfig,
  state: { etag?: string; lastModified?: string },
  http: Partial<HttpOptions> = {},
): Promise<PollOutcome> {
  const res = await httpGet({ url: feed.url, accept: FEED_ACCEPT, etag: state.etag, lastModified: state.lastModified }, http, 'fetch-feed');
  const cache = cacheHeadersOf(res.headers);
  if (res.notModified) return cache ? { notModified: true, cache } : { notModified: true };
  const contentType = res.headers['content-type'];
  const head = res.body.subarray(0, 64).toString('latin1').replace(/^(\xEF\xBB\xBF|\xFE\xFF|\xFF\xFE)/, '');
  const kind = /json/i.test(contentType ?? '') || /^\s*[{[]/.test(head) ? 'json' : 'xml';
  const decoded = decodeBytes(res.body, { contentType, kind });
  const parsed = parseFeed(decoded.text, { url: res.url });
  const out: PollOutcome = { notModified: false, feed: parsed, charset: decoded.charset, finalUrl: res.url };
  if (cache) out.cache = cache;
  if (res.headers.etag) out.etag = res.headers.etag;
  if (res.headers['last-modified']) out.lastModified = res.headers['last-modified'];
  return out;
}
