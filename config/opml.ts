// OPML subscription lists (the export format of every feed reader) ↔ feed entries.
// OPML 2.0 (http://opml.org/spec2.opml): `<opml><head/><body><outline …/></body></opml>`;
// outlines nest freely (categories), a subscription is an outline with an xmlUrl.
// `toOpml` writes what `parseOpml` reads back: url, name and language as OPML defines them, and
// feedsift's own id and poll interval as `feedsift:id` / `feedsift:pollInterval` attributes
// (other readers ignore them).
import { XMLParser } from 'fast-xml-parser';
import { checkXmlSafety } from '../pipeline/fetch-feed.ts';
import { PermanentError } from '../pipeline/errors.ts';
import { resolveUrl } from '../pipeline/url.ts';

export interface OpmlFeed {
  url: string;
  /** The outline's title, else its text. */
  name?: string;
  /** The outline's `language` attribute, as written. */
  language?: string;
  /** `feedsift:id`, as `toOpml` writes it (absent in other readers' exports). */
  id?: string;
  /** `feedsift:pollInterval` in seconds, as `toOpml` writes it. */
  pollIntervalSeconds?: number;
}

/** Namespace of feedsift's own outline attributes. */
export const OPML_NAMESPACE = 'https://feedsift.dev/ns/opml';

type Outline = Record<string, unknown>;

const invalid = (message: string): PermanentError => new PermanentError('config', 'CONFIG_INVALID', `OPML: ${message}`);

/** An attribute by name, whatever its case (exports write xmlUrl, xmlurl, XMLURL). */
function attribute(outline: Outline, name: string): string | undefined {
  const wanted = `@${name.toLowerCase()}`;
  for (const [k, v] of Object.entries(outline)) {
    if (k.toLowerCase() === wanted && typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

function childOutlines(node: unknown): Outline[] {
  if (!node || typeof node !== 'object') return [];
  const out: Outline[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k.toLowerCase() !== 'outline') continue;
    for (const o of Array.isArray(v) ? v : [v]) if (o && typeof o === 'object') out.push(o as Outline);
  }
  return out;
}

/** `feed://host/x` and `feed:https://host/x` are the old "subscribe" spellings of http(s) URLs. */
function normaliseFeedScheme(url: string): string {
  if (/^feed:https?:/i.test(url)) return url.slice(5);
  if (/^feed:\/\//i.test(url)) return `http://${url.slice(7)}`;
  return url;
}

/**
 * The subscriptions of an OPML document, in document order, each URL once (exports often list
 * a feed under several categories). Throws PermanentError CONFIG_INVALID when the text is not
 * OPML or an xmlUrl is not an absolute http(s) URL (all bad ones listed at once).
 */
export function parseOpml(text: string): OpmlFeed[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: true,
    htmlEntities: true,
  });
  let doc: unknown;
  try {
    // entity declarations (billion laughs, external entities) and absurd nesting are refused
    // before any parser sees the document, as for feeds
    checkXmlSafety(text, 'OPML');
    doc = parser.parse(text, true);
  } catch (err) {
    throw invalid(`not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const rootKey = doc && typeof doc === 'object' ? Object.keys(doc).find((k) => k.toLowerCase() === 'opml') : undefined;
  if (!rootKey) throw invalid('the document has no <opml> root element');
  const root = (doc as Record<string, unknown>)[rootKey];
  const bodyKey = root && typeof root === 'object' ? Object.keys(root).find((k) => k.toLowerCase() === 'body') : undefined;
  if (!bodyKey) throw invalid('<opml> has no <body>');

  const feeds: OpmlFeed[] = [];
  const bad: string[] = [];
  const seen = new Set<string>();
  const visit = (outlines: Outline[]): void => {
    for (const o of outlines) {
      const xmlUrl = attribute(o, 'xmlUrl');
      if (xmlUrl) {
        const url = resolveUrl(normaliseFeedScheme(xmlUrl));
        if (!url) {
          bad.push(xmlUrl);
        } else if (!seen.has(url)) {
          seen.add(url);
          const feed: OpmlFeed = { url };
          const name = attribute(o, 'title') ?? attribute(o, 'text');
          // a "name" that is the feed's URL again (what exports write for an untitled feed) is none
          if (name && name !== xmlUrl && name !== url) feed.name = name;
          const language = attribute(o, 'language');
          if (language) feed.language = language;
          const id = attribute(o, 'feedsift:id');
          if (id) feed.id = id;
          const interval = Number(attribute(o, 'feedsift:pollInterval'));
          if (Number.isFinite(interval) && interval > 0) feed.pollIntervalSeconds = interval;
          feeds.push(feed);
        }
      }
      visit(childOutlines(o));
    }
  };
  visit(childOutlines((root as Record<string, unknown>)[bodyKey]));
  if (bad.length) throw invalid(`xmlUrl is not an absolute http(s) URL: ${bad.map((u) => JSON.stringify(u)).join(', ')}`);
  return feeds;
}

const escapeAttribute = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * An OPML 2.0 document listing `feeds`, one `type="rss"` outline each, in order: `text` (the
 * name, else the URL), `title` (the name, when there is one), `xmlUrl`, `language` when known,
 * and `feedsift:id` / `feedsift:pollInterval` when given. `parseOpml` reads each of them back.
 */
export function toOpml(feeds: readonly OpmlFeed[], opts: { title?: string; now?: Date } = {}): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<opml version="2.0" xmlns:feedsift="${OPML_NAMESPACE}">`,
    '  <head>',
    `    <title>${escapeAttribute(opts.title ?? 'feedsift feeds')}</title>`,
    `    <dateCreated>${(opts.now ?? new Date()).toUTCString()}</dateCreated>`,
    '  </head>',
    '  <body>',
  ];
  for (const f of feeds) {
    const attrs: Array<[string, string]> = [['type', 'rss'], ['text', f.name ?? f.url]];
    if (f.name) attrs.push(['title', f.name]);
    attrs.push(['xmlUrl', f.url]);
    if (f.language) attrs.push(['language', f.language]);
    if (f.id) attrs.push(['feedsift:id', f.id]);
    if (f.pollIntervalSeconds !== undefined) attrs.push(['feedsift:pollInterval', String(f.pollIntervalSeconds)]);
    lines.push(`    <outline ${attrs.map(([k, v]) => `${k}="${escapeAttribute(v)}"`).join(' ')}/>`);
  }
  lines.push('  </body>', '</opml>', '');
  return lines.join('\n');
}
