// Extract stage: page HTML → article blocks and metadata.
// One jsdom parse per page: metadata is read from the original document, Readability runs
// on a clone of it, and Readability's article element is walked directly into blocks
// (no serialise-and-reparse). Blocks Readability cleaned out of the article's own
// containers (sub-headings, short paragraphs) are put back; see recoverDroppedBlocks.
import { Readability } from '@mozilla/readability';
import { DEFAULT_DOM, parseDocument, type DomKind } from './dom.ts';
import { PermanentError } from './errors.ts';
import { normaliseLanguage } from './language.ts';
import type { Block, ExtractedPage, FeedItem, RemovalReason } from './records.ts';
import { cleanUrl, resolveUrl } from './url.ts';
import { comparableText, countWords, normaliseText } from './text.ts';

export interface ExtractContext {
  /** URL the page was fetched from (after redirects); base for relative links. */
  url: string;
  /** The feed item that pointed at the page: first source of publishedAt, fallback content. */
  feedItem?: FeedItem;
  /** Abort (PermanentError TOO_LARGE) when the page has more elements than this. Default: no limit. */
  maxElements?: number;
  /** The DOM implementation to parse with (see dom.ts). Default: DEFAULT_DOM. */
  dom?: DomKind;
}

/** Below this many words Readability's result counts as "too little" and the feed's content may replace it. */
const MIN_PAGE_WORDS = 40;

// Elements whose content is never article text. JSON-LD is read before they go.
const NEVER_CONTENT = 'script, style, noscript, svg, template, iframe, object, embed, canvas';

// Marks every element of the original so blocks can be traced through Readability's clone.
const TRACE_ATTR = 'data-fs-i';

/** A block of the page's article region, and whether it made it into the extracted article. */
export interface RegionBlock extends Block {
  extracted: boolean;
  /** Why the extract stage cut the block out of Readability's article, when it did. */
  reason?: RemovalReason;
}

export interface PageExtraction {
  page: ExtractedPage;
  /**
   * The article's region of the page in document order: the smallest element holding the
   * headline and the extracted text (or the text alone when that element is most of the
   * page). Blocks with `extracted: false` were left out by Readability (share bars, related
   * items, source lines …); the strip stage names a reason for each, so that what the
   * extractor dropped is on record too. Empty when the text came from the feed.
   */
  region: RegionBlock[];
}

export function extractPage(html: string, ctx: ExtractContext): ExtractedPage {
  return extractPageWithRegion(html, ctx).page;
}

export function extractPageWithRegion(html: string, ctx: ExtractContext): PageExtraction {
  let pageUrl: string;
  try {
    pageUrl = cleanUrl(ctx.url);
  } catch (cause) {
    throw new PermanentError('extract', 'BAD_URL', `not a URL: ${ctx.url}`, { url: ctx.url, cause });
  }
  const parsed = parseDocument(html, pageUrl, ctx.dom ?? DEFAULT_DOM);
  try {
    const doc = parsed.document;
    // Some DOMs (linkedom) have no document URL: every link is resolved here, against the
    // page's <base href> (itself resolved against the page URL) or the page URL.
    const baseUrl = baseUrlOf(doc, pageUrl);
    const jsonLd = readJsonLd(doc);
    for (const el of Array.from(doc.querySelectorAll(NEVER_CONTENT))) el.remove();
    const meta = readMeta(doc);

    const traced = Array.from(doc.body?.querySelectorAll('*') ?? []);
    traced.forEach((el, i) => el.setAttribute(TRACE_ATTR, String(i)));

    // Counted here, not by Readability's own maxElemsToParse: that relies on
    // getElementsByTagName('*'), which not every DOM implements.
    if (ctx.maxElements !== undefined) {
      const count = doc.querySelectorAll('*').length;
      if (count > ctx.maxElements) {
        throw new PermanentError('extract', 'TOO_LARGE', `page has ${count} elements, more than the ${ctx.maxElements} allowed`, { url: ctx.url });
      }
    }
    const clone = doc.cloneNode(true) as Document;
    const article = new Readability<Element>(clone, { serializer: (node) => node as Element }).parse();

    const siteName = chooseSiteName([meta.get('og:site_name'), jsonLd.siteName, article?.siteName, meta.get('application-name')], doc.title, pageUrl);
    const titles = [meta.get('og:title'), article?.title, ctx.feedItem?.title, jsonLd.headline, doc.title];
    const title = visibleHeadline(doc, titles) ?? chooseTitle(titles, siteName);
    let blocks: Block[] = [];
    let recovery: Recovery | undefined;
    if (article?.content) {
      const pruned = pruneFurniture(article.content, traced, findHeadline(doc, title), baseUrl);
      recovery = recoverDroppedBlocks(doc, traced, article.content, pruned);
      blocks = recovery.blocks;
    }
    let extractedFrom: ExtractedPage['extractedFrom'] = 'page';
    const pageWords = countWords(blocks.map((b) => b.text).join(' '));
    if (pageWords < MIN_PAGE_WORDS) {
      const feedBlocks = blocksFromFeedItem(doc, ctx.feedItem);
      if (countWords(feedBlocks.map((b) => b.text).join(' ')) > pageWords) {
        blocks = feedBlocks;
        extractedFrom = 'feed';
        recovery = undefined;
      }
    }
    if (blocks.length === 0) {
      throw new PermanentError('extract', 'PAGE_EMPTY', 'no article text in the page nor in the feed item', {
        url: ctx.url,
      });
    }

    const page: ExtractedPage = {
      canonicalUrl: canonicalOf(doc, meta, baseUrl, pageUrl),
      blocks,
      extractedFrom,
    };
    if (title) page.title = title;
    // A person named in JSON-LD first: Readability's byline is the visible line, often
    // with its label, date or role glued on; meta author is often the company.
    const organisations = [...jsonLd.organisations, ...(siteName ? [siteName] : [])];
    const byline =
      cleanByline(jsonLd.author, organisations) ??
      cleanByline(article?.byline ?? undefined, organisations) ??
      cleanByline(meta.get('author'), organisations) ??
      cleanByline(ctx.feedItem?.author, organisations);
    if (byline) page.byline = byline;
    if (siteName) page.siteName = siteName;
    const publishedAt = firstDate(
      ctx.feedItem?.publishedAt,
      meta.get('article:published_time'),
      jsonLd.datePublished,
      doc.querySelector('[itemprop="datePublished"]')?.getAttribute('content') ??
        doc.querySelector('[itemprop="datePublished"]')?.getAttribute('datetime'),
      doc.querySelector('time[datetime]')?.getAttribute('datetime'),
      ...DATE_META.map((name) => meta.get(name)),
      article?.publishedTime,
    );
    if (publishedAt) page.publishedAt = publishedAt;
    const lang = doc.documentElement.getAttribute('lang') ?? doc.documentElement.getAttribute('xml:lang');
    if (lang) {
      const htmlLang = normaliseLanguage(lang);
      if (htmlLang !== 'und') page.htmlLang = htmlLang;
    }
    const leadImage = resolveUrl(meta.get('og:image') ?? meta.get('twitter:image'), baseUrl);
    if (leadImage) page.leadImage = leadImage;
    const region = recovery ? articleRegion(doc, traced, recovery, title) : [];
    return { page, region };
  } finally {
    parsed.close();
  }
}

function baseUrlOf(doc: Document, pageUrl: string): string {
  const href = doc.querySelector('base[href]')?.getAttribute('href');
  return (href && resolveUrl(href, pageUrl)) || pageUrl;
}

// ---------------------------------------------------------------- metadata

const DATE_META = [
  'og:published_time',
  'datepublished',
  'pubdate',
  'publishdate',
  'publish-date',
  'date',
  'dc.date',
  'dc.date.issued',
  'dcterms.created',
  'dcterms.date',
  'sailthru.date',
  'parsely-pub-date',
  'article.published',
];

/** `<meta property|name|itemprop=… content=…>`, keys lower-cased, first occurrence wins. */
function readMeta(doc: Document): Map<string, string> {
  const meta = new Map<string, string>();
  for (const el of Array.from(doc.querySelectorAll('meta[content]'))) {
    const content = el.getAttribute('content')?.trim();
    if (!content) continue;
    for (const attr of ['property', 'name', 'itemprop']) {
      const key = el.getAttribute(attr)?.trim().toLowerCase();
      if (key && !meta.has(key)) meta.set(key, content);
    }
  }
  return meta;
}

interface JsonLdFacts {
  headline?: string;
  datePublished?: string;
  /** Authors that are people (not organisations). */
  author?: string;
  siteName?: string;
  /** Names of organisations named as author or publisher: never a byline. */
  organisations: string[];
}

const ARTICLE_TYPES = /^(?:\w*Article|BlogPosting|Report|LiveBlogPosting|WebPage)$/;

function readJsonLd(doc: Document): JsonLdFacts {
  const facts: JsonLdFacts = { organisations: [] };
  const nodes: Array<Record<string, unknown>> = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      nodes.push(obj);
      if (obj['@graph']) collect(obj['@graph']);
    }
  };
  for (const script of Array.from(doc.querySelectorAll('script[type="application/ld+json"]'))) {
    const text = script.textContent ?? '';
    try {
      collect(JSON.parse(text));
    } catch {
      // Broken JSON-LD is common: trailing commas, raw line breaks in strings. One lenient
      // retry; the meta tags may still say what we need when that fails too.
      try {
        collect(JSON.parse(text.replace(/[\u0000-\u001f]+/g, ' ').replace(/,\s*([\]}])/g, '$1')));
      } catch {
        // left to the meta tags
      }
    }
  }
  const typesOf = (n: Record<string, unknown>): string[] => [n['@type']].flat().filter((t): t is string => typeof t === 'string');
  // Articles first, then generic web pages, so a NewsArticle's fields beat its WebPage's.
  const articles = nodes
    .filter((n) => typesOf(n).some((t) => ARTICLE_TYPES.test(t)))
    .sort((a, b) => Number(typesOf(a).includes('WebPage')) - Number(typesOf(b).includes('WebPage')));
  for (const n of articles) {
    facts.headline ??= stringOf(n['headline']);
    facts.datePublished ??= stringOf(n['datePublished']);
    facts.author ??= nameOf(people(n['author']));
    facts.siteName ??= nameOf(n['publisher']);
    for (const org of [n['author'], n['publisher']].flat()) {
      if (org && typeof org === 'object' && typesOf(org as Record<string, unknown>).some((t) => ORGANISATION_TYPES.test(t))) {
        const name = nameOf(org);
        if (name) facts.organisations.push(name);
      }
    }
  }
  if (!facts.siteName) {
    const site = nodes.find((n) => typesOf(n).some((t) => t === 'WebSite' || t === 'NewsMediaOrganization'));
    if (site) facts.siteName = nameOf(site);
  }
  return facts;
}

const ORGANISATION_TYPES = /Organi[sz]ation$|^(?:NewsMediaOrganization|Corporation|WebSite|Brand)$/;

/** The authors that are not organisations. */
function people(value: unknown): unknown {
  const isOrg = (v: unknown): boolean =>
    !!v && typeof v === 'object' && [(v as Record<string, unknown>)['@type']].flat().some((t) => typeof t === 'string' && ORGANISATION_TYPES.test(t));
  if (Array.isArray(value)) return value.filter((v) => !isOrg(v));
  return isOrg(value) ? undefined : value;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? normaliseText(value) : undefined;
}

function nameOf(value: unknown): string | undefined {
  if (typeof value === 'string') return stringOf(value);
  if (Array.isArray(value)) {
    const names = value.map(nameOf).filter((n): n is string => !!n);
    return names.length ? names.join(', ') : undefined;
  }
  if (value && typeof value === 'object') return stringOf((value as Record<string, unknown>)['name']);
  return undefined;
}

function firstText(...values: Array<string | null | undefined>): string | undefined {
  for (const v of values) {
    const t = v ? normaliseText(v) : '';
    if (t) return t;
  }
  return undefined;
}

/**
 * The first parseable date, preferring one that states its time zone (a zone-less
 * "November 20, 2019 12:32" would be read in the server's zone), ISO 8601 in UTC.
 */
function firstDate(...values: Array<string | null | undefined>): string | undefined {
  let fallback: string | undefined;
  for (const v of values) {
    const t = v?.trim();
    if (!t) continue;
    const ms = Date.parse(t.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2'));
    if (Number.isNaN(ms)) continue;
    const iso = new Date(ms).toISOString();
    if (/(?:Z|[+-]\d{2}:?\d{2}|\b(?:GMT|UTC))$/i.test(t) || /^\d{4}-\d{2}-\d{2}$/.test(t)) return iso;
    fallback ??= iso;
  }
  return fallback;
}

// "By …", "Written by …", "Text: …": labels in front of a byline.
const BYLINE_LABEL = /^(?:by|written by|words by|story by|reporting by|text|texto|texte|текст|автор|von|par|por|di|door|av|af|przez|od)\s*[:：]?\s+/iu;

/**
 * A byline as the reader would name the author: the label, a trailing dateline or role
 * glued to the name, and a "@handle" removed. Undefined when what is left names an
 * organisation of the page (the publisher credited as author) or is not a name.
 */
export function cleanByline(raw: string | undefined, organisations: string[]): string | undefined {
  if (!raw) return undefined;
  let t = normaliseText(raw).replace(BYLINE_LABEL, '');
  t = t.replace(/\s*@\w+.*$/u, ''); // "Chaim Gartenberg@cgartenberg"
  t = t.replace(/\s+(?:[-–—|·•,]\s*)?(?:on\s+)?\d{1,4}[./-]\d{1,2}[./-]\d{2,4}.*$/iu, ''); // "… On 11/13/19 at 4:00 PM"
  t = t.replace(/\s*[-–—|·•]\s*\d{4}-\d{2}-\d{2}.*$/u, ''); // "admin - 2018-09-16"
  t = t.replace(/(\p{Ll})(\p{Lu}\p{Ll}+(?: \p{Ll}+)*(?: (?:Columnist|Correspondent|Editor|Reporter|Writer))?)$/u, (m, last: string, role: string) =>
    /(?:Columnist|Correspondent|Editor|Reporter|Writer)$/.test(role) ? last : m,
  ); // "Michael HiltzikBusiness Columnist"
  t = t.trim();
  if (!/\p{L}{2}/u.test(t) || t.length > 200) return undefined;
  if (organisations.some((o) => comparableText(o) === comparableText(t))) return undefined;
  return t;
}

function canonicalOf(doc: Document, meta: Map<string, string>, baseUrl: string, pageUrl: string): string {
  const candidates = [doc.querySelector('link[rel~="canonical" i][href]')?.getAttribute('href'), meta.get('og:url')];
  for (const href of candidates) {
    const abs = resolveUrl(href, baseUrl);
    if (abs) return cleanUrl(abs);
  }
  return pageUrl;
}

/**
 * The shortest sensible title among the candidates, after removing a " | Site" style
 * suffix (or "Site: " prefix) when the site name is known. "Sensible" means at least two
 * words, or four characters of a script written without spaces.
 */
export function chooseTitle(candidates: Array<string | null | undefined>, siteName?: string): string | undefined {
  const cleaned: string[] = [];
  for (const raw of candidates) {
    if (!raw) continue;
    let t = normaliseText(raw);
    if (siteName) t = stripSiteName(t, siteName);
    if (t && (!siteName || comparableText(t) !== comparableText(siteName))) cleaned.push(t);
  }
  const sensible = cleaned.filter((t) => t.split(' ').length >= 2 || (t.length >= 4 && /[^\p{Script=Latin}\s]/u.test(t)));
  const pool = sensible.length ? sensible : cleaned;
  let best: string | undefined;
  for (const t of pool) if (best === undefined || t.length < best.length) best = t;
  return best;
}

/**
 * The page's visible headline (an <h1>) when a metadata title confirms it: equal to one of
 * them, or one of them is the headline plus a " - Site" suffix. Social titles (og:title)
 * are often rewritten for sharing; the <h1> is what the reader sees.
 */
function visibleHeadline(doc: Document, titles: Array<string | null | undefined>): string | undefined {
  const known = titles.filter((t): t is string => !!t).map(comparableText);
  for (const h1 of Array.from(doc.querySelectorAll('h1')).slice(0, 3)) {
    const text = normaliseText(h1.textContent ?? '');
    const c = comparableText(text);
    if (c.split(' ').length < 2) continue;
    if (known.some((k) => k === c || k.startsWith(`${c} `))) return text;
  }
  return undefined;
}

/**
 * The site's name: the first candidate the page's host or its <title> confirms (og:site_name
 * is sometimes a section, "U.S."), else the first candidate.
 */
function chooseSiteName(candidates: Array<string | null | undefined>, docTitle: string, pageUrl: string): string | undefined {
  const names = candidates.map((c) => (c ? normaliseText(c) : '')).filter(Boolean);
  const host = new URL(pageUrl).hostname.toLowerCase();
  const title = comparableText(docTitle);
  const confirmed = names.find((n) => {
    const squashed = comparableText(n).replace(/ /g, '');
    return (squashed.length >= 3 && host.includes(squashed)) || (title.endsWith(` ${comparableText(n)}`) && title !== comparableText(n));
  });
  return confirmed ?? names[0];
}

function stripSiteName(title: string, siteName: string): string {
  const site = siteName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const sep = '\\s*[|\\-–—:·•»/]\\s*';
  return title
    .replace(new RegExp(`${sep}${site}\\s*$`, 'i'), '')
    .replace(new RegExp(`^${site}${sep}`, 'i'), '')
    .trim();
}

// ---------------------------------------------------------------- blocks

const HEADING_TAGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
// Elements that start a new block; anything else is inline and joins the current run.
const BLOCK_TAGS = new Set([
  ...HEADING_TAGS,
  'p', 'li', 'blockquote', 'pre', 'dt', 'dd', 'figcaption', 'caption',
  'div', 'section', 'article', 'main', 'header', 'footer', 'aside', 'nav', 'figure',
  'ul', 'ol', 'dl', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th',
  'form', 'fieldset', 'details', 'summary', 'hgroup', 'address', 'center', 'hr', 'body', 'html',
]);

function kindFor(tag: string, inherited: Block['kind']): Block['kind'] {
  if (HEADING_TAGS.has(tag)) return 'heading';
  if (tag === 'li') return 'list-item';
  if (tag === 'blockquote') return 'quote';
  if (tag === 'pre') return 'preformatted';
  if (tag === 'figcaption' || tag === 'caption') return 'other';
  return inherited;
}

/** A block as collected, with the traced original element it came from (for recovery). */
interface TracedBlock extends Block {
  /** Trace index of the element that holds the block's text, or -1 when unknown. */
  origin: number;
}

/**
 * Walks an element into blocks in document order. Inline runs directly in a container
 * become paragraphs; a `<br>` ends the current block.
 */
class BlockCollector {
  readonly blocks: TracedBlock[] = [];
  private parts: string[] = [];
  private linkChars = 0;

  collect(root: Element): TracedBlock[] {
    this.walk(root, 'paragraph', false);
    this.flush('paragraph', traceOf(root));
    return this.blocks;
  }

  private walk(node: Node, kind: Block['kind'], inLink: boolean): void {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 3) {
        const text = child.nodeValue ?? '';
        this.parts.push(text);
        if (inLink) this.linkChars += text.replace(/\s+/g, '').length;
        continue;
      }
      if (child.nodeType !== 1) continue;
      const el = child as Element;
      const tag = el.localName;
      if (tag === 'br') {
        // A line break ends a block: "Facebook<br>Twitter", "Source: X<br>27 Aug 2025" are separate lines.
        this.flush(kind, traceOf(node as Element));
      } else if (BLOCK_TAGS.has(tag)) {
        this.flush(kind, traceOf(node as Element));
        const childKind = kindFor(tag, kind);
        this.walk(el, childKind, inLink);
        this.flush(childKind, traceOf(el));
      } else {
        this.walk(el, kind, inLink || tag === 'a');
      }
    }
  }

  private flush(kind: Block['kind'], origin: number): void {
    const text = normaliseText(this.parts.join(''));
    if (text) {
      const chars = text.replace(/\s+/g, '').length;
      this.blocks.push({ kind, text, linkDensity: chars ? Math.min(1, this.linkChars / chars) : 0, origin });
    }
    this.parts = [];
    this.linkChars = 0;
  }
}

function traceOf(el: Element | null | undefined): number {
  const v = el?.getAttribute?.(TRACE_ATTR);
  return v == null ? -1 : Number(v);
}

/** Blocks of an element (exported for tests and for callers holding a DOM element). */
export function blocksOfElement(el: Element): Block[] {
  return new BlockCollector().collect(el).map(stripOrigin);
}

function stripOrigin(b: TracedBlock): Block {
  return { kind: b.kind, text: b.text, linkDensity: b.linkDensity };
}

function blocksFromFeedItem(doc: Document, item: FeedItem | undefined): Block[] {
  if (!item) return [];
  if (item.contentHtml) {
    // Parsed into an inert <template>'s content in the page's own document: no second jsdom.
    const holder = doc.createElement('template');
    holder.innerHTML = item.contentHtml;
    const root = doc.createElement('div');
    root.append(holder.content);
    for (const el of Array.from(root.querySelectorAll(NEVER_CONTENT))) el.remove();
    const blocks = blocksOfElement(root);
    if (blocks.length) return blocks;
  }
  if (item.summary) {
    return item.summary
      .split(/\n\s*\n/)
      .map(normaliseText)
      .filter(Boolean)
      .map((text) => ({ kind: 'paragraph' as const, text, linkDensity: 0 }));
  }
  return [];
}

// ---------------------------------------------------------------- recovery

// Class/id words of elements whose short text is page furniture, not article text.
const FURNITURE = /share|social|related|comment|promo|advert|\bads?\b|sponsor|newsletter|subscribe|caption|credit|byline|author|meta|tags?\b|breadcrumb|nav|menu|footer|sidebar|widget|popular|recommend|toolbar|signup|cookie/i;

/**
 * Readability removes some short blocks from inside the article containers it keeps
 * (h1/h2 with a negative class weight, small divs scored as clutter). Walk the original
 * document and put back, at their original place, sub-headings and plain paragraphs that
 * sat inside a container Readability kept, between the first and the last block it kept,
 * unless they look like page furniture. Widgets after the article are the strip stage's job.
 */
interface Recovery {
  blocks: Block[];
  /** Every block of the original body, with the element it came from. */
  original: TracedBlock[];
  /** Trace indexes of the original elements Readability's article still contains. */
  keptElements: Set<number>;
  /** Elements cut out of Readability's article as furniture (trace index → reason). */
  pruned: Map<number, RemovalReason>;
}

function recoverDroppedBlocks(doc: Document, traced: Element[], articleEl: Element, pruned: Map<number, RemovalReason>): Recovery {
  const extracted = new BlockCollector().collect(articleEl);
  const original = doc.body ? new BlockCollector().collect(doc.body) : [];
  const keptElements = new Set<number>();
  for (const el of Array.from(articleEl.querySelectorAll(`[${TRACE_ATTR}]`))) keptElements.add(traceOf(el));
  const plain = { blocks: extracted.map(stripOrigin), original, keptElements, pruned };
  if (keptElements.size === 0) return plain;

  const extractedTexts = new Set(extracted.map((b) => b.text));
  const matched = original.map((b) => extractedTexts.has(b.text));
  const first = matched.indexOf(true);
  const last = matched.lastIndexOf(true);
  if (first < 0) return plain;

  const recovered = new Map<string, TracedBlock[]>(); // inserted before the extracted block with this text
  let pending: TracedBlock[] = [];
  for (let i = first; i <= last; i++) {
    const block = original[i]!;
    if (matched[i]) {
      if (pending.length) {
        const list = recovered.get(block.text) ?? [];
        list.push(...pending);
        recovered.set(block.text, list);
        pending = [];
      }
      continue;
    }
    if (isRecoverable(doc, traced, block, keptElements, pruned)) pending.push(block);
  }
  if (!recovered.size) return plain;
  const blocks: Block[] = [];
  for (const b of extracted) {
    const before = recovered.get(b.text);
    if (before) {
      blocks.push(...before.map(stripOrigin));
      recovered.delete(b.text);
    }
    blocks.push(stripOrigin(b));
  }
  return { blocks, original, keptElements, pruned };
}

function isRecoverable(
  doc: Document,
  traced: Element[],
  block: TracedBlock,
  keptElements: Set<number>,
  pruned: Map<number, RemovalReason>,
): boolean {
  if (block.origin < 0 || block.linkDensity > 0.3) return false;
  const el = traced[block.origin];
  if (!el) return false;
  if (block.kind === 'heading') {
    if (block.text.split(' ').length > 20) return false;
  } else if (block.kind !== 'paragraph') {
    return false;
  }
  // Must sit inside a container Readability kept, with no furniture-like wrapper in between.
  for (let cur: Element | null = el; cur && cur !== doc.body; cur = cur.parentElement) {
    if (pruned.has(traceOf(cur))) return false;
    if (cur !== el && keptElements.has(traceOf(cur))) return true;
    const hint = `${cur.getAttribute('class') ?? ''} ${cur.id ?? ''}`;
    if (FURNITURE.test(hint) || /^(nav|aside|footer|form|figure|button|label)$/.test(cur.localName)) return false;
  }
  return false;
}

// ---------------------------------------------------------------- region

/** The region is cut back to the extracted text alone when it holds this many times more text. */
const REGION_MAX_TEXT_RATIO = 4;

function articleRegion(doc: Document, traced: Element[], recovery: Recovery, title: string | undefined): RegionBlock[] {
  const extractedTexts = new Set(recovery.blocks.map((b) => b.text));
  const keptEls = [...recovery.keptElements].map((i) => traced[i]).filter((el): el is Element => !!el);
  if (!keptEls.length) return [];
  const textRoot = commonAncestor(keptEls);
  if (textRoot === doc.body || textRoot === doc.documentElement) return [];
  let root = textRoot;
  const headline = findHeadline(doc, title);
  if (headline) {
    const withHeadline = commonAncestor([textRoot, headline]);
    const extractedChars = recovery.blocks.reduce((n, b) => n + b.text.length, 0);
    const regionChars = normaliseText(withHeadline.textContent ?? '').length;
    if (withHeadline !== doc.body && regionChars <= REGION_MAX_TEXT_RATIO * extractedChars + 2000) root = withHeadline;
  }
  return recovery.original
    .filter((b) => b.origin >= 0 && root.contains(traced[b.origin]!))
    .map((b) => {
      const block: RegionBlock = { ...stripOrigin(b), extracted: extractedTexts.has(b.text) };
      const reason = block.extracted ? undefined : prunedReason(traced[b.origin]!, recovery.pruned);
      if (reason) block.reason = reason;
      return block;
    });
}

function findHeadline(doc: Document, title: string | undefined): Element | undefined {
  const wanted = title ? comparableText(title) : '';
  const headings = Array.from(doc.querySelectorAll('h1, h2'));
  return (
    headings.find((h) => {
      const t = comparableText(h.textContent ?? '');
      return !!wanted && !!t && (t === wanted || (t.length >= 0.8 * wanted.length && (t.includes(wanted) || wanted.includes(t))));
    }) ?? headings.find((h) => h.localName === 'h1')
  );
}

function commonAncestor(elements: Element[]): Element {
  let root = elements[0]!;
  for (const el of elements.slice(1)) {
    while (!root.contains(el) && root.parentElement) root = root.parentElement;
  }
  return root;
}


// ---------------------------------------------------------------- furniture

// Readability keeps whole containers; inside them sit share bars, "related" teasers, newsletter
// boxes, captions, author boxes and tag lists. Their class and id names say so on most sites,
// in a shared vocabulary (the idea of trafilatura's discard expressions; our own word list).
// Names are split into words ("relatedArticles", "post-share_bar" → related articles / post
// share bar) and matched word by word, so "shadow" is not "ad" and "thread" is not "read".
const FURNITURE_WORDS: ReadonlyArray<readonly [RegExp, RemovalReason]> = [
  [/^(?:share|shares|sharing|sharebar|sharetools|social|socials|addthis|sociable)$/, 'share-widget'],
  [/^(?:related|recommended|recommendations|recirc|recirculation|outbrain|taboola|trending|mostread|popular|readmore|readalso|alsoread|teasers?|more-(?:stories|news|articles|from)|most-(?:read|popular|viewed)|read-(?:more|also|next)|also-read|you-may-like|next-(?:article|story|post))$/, 'related-content'],
  [/^(?:byline|bylines|author|authors|bio|biography)$/, 'byline'],
  [/^(?:dateline|timestamp|meta|metadata|posted-on|entry-meta|post-meta)$/, 'metadata-line'],
  [/^(?:newsletter|newsletters|subscribe|subscription|signup|sign-up|promo|promotion|advert|advertisement|advertising|ad|ads|adslot|ad-slot|dfp|sponsor|sponsored|banner|cookie|cookies|consent|popup|modal|caption|captions|credit|credits|tags|tag|tag-list|tagcloud|keywords|breadcrumb|breadcrumbs|comment|comments|disqus|pagination|pager|toolbar|print|rating|nav|navigation|menu|sidebar|footer)$/, 'boilerplate'],
];

/** Words of a class / id attribute: split on separators and camelCase, lower-cased, with joined pairs. */
export function nameWords(name: string): string[] {
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const pairs = words.slice(1).map((w, i) => `${words[i]}-${w}`);
  return [...words, ...pairs];
}

/** The furniture reason a class / id / role names, if any. */
export function furnitureReason(el: Element): RemovalReason | undefined {
  const names = `${el.getAttribute('class') ?? ''} ${el.getAttribute('id') ?? ''} ${el.getAttribute('role') ?? ''}`;
  if (!names.trim()) return undefined;
  const words = nameWords(names);
  for (const [pattern, reason] of FURNITURE_WORDS) if (words.some((w) => pattern.test(w))) return reason;
  return undefined;
}

/** An element holding more than this share of the article's text is never cut as furniture. */
const MAX_FURNITURE_SHARE = 0.35;

/**
 * Cuts furniture out of Readability's article element, judged by the original element's
 * class, id and role (Readability strips classes from its output). Returns what was cut.
 */
function pruneFurniture(
  articleEl: Element,
  traced: Element[],
  headline: Element | undefined,
  baseUrl: string,
): Map<number, RemovalReason> {
  const pruned = new Map<number, RemovalReason>();
  const total = normaliseText(articleEl.textContent ?? '').length;
  if (!total) return pruned;
  const cut = (el: Element, reason: RemovalReason): void => {
    markCut(el, reason, traced, pruned);
    el.remove();
  };
  const kept = new Set(Array.from(articleEl.querySelectorAll(`[${TRACE_ATTR}]`), traceOf));
  const reasons = new Map<Element, RemovalReason | undefined>();
  const reasonOf = (original: Element): RemovalReason | undefined => {
    if (!reasons.has(original)) {
      reasons.set(original, original.localName === 'figcaption' ? 'boilerplate' : furnitureReason(original));
    }
    return reasons.get(original);
  };
  for (const el of Array.from(articleEl.querySelectorAll(`[${TRACE_ATTR}]`))) {
    if (!articleEl.contains(el)) continue; // inside an element already cut
    const original = traced[traceOf(el)];
    if (!original) continue;
    // The element itself, or a wrapper Readability replaced (it turns a <div> of inline
    // content into a new <p>, without the div's class): the original's ancestors up to the
    // nearest one still in the article.
    let reason = reasonOf(original);
    for (let up = original.parentElement; !reason && up && up.localName !== 'body' && !kept.has(traceOf(up)); up = up.parentElement) {
      reason = reasonOf(up);
    }
    if (!reason) continue;
    if (normaliseText(el.textContent ?? '').length > MAX_FURNITURE_SHARE * total) continue;
    cut(el, reason);
  }
  for (const teaser of teaserArticles(articleEl, traced, headline)) cut(teaser, 'related-content');
  for (const teaser of teaserLinks(articleEl, baseUrl)) if (articleEl.contains(teaser)) cut(teaser, 'related-content');
  for (const box of captionBoxes(articleEl, traced)) if (articleEl.contains(box)) cut(box, 'boilerplate');
  return pruned;
}

/**
 * Records a cut element under every original element whose text it carries: itself and
 * its traced descendants, and the originals' wrappers that Readability did not keep, up to
 * the original of the nearest kept ancestor. Recovery and the region then know them as cut.
 */
function markCut(el: Element, reason: RemovalReason, traced: Element[], pruned: Map<number, RemovalReason>): void {
  let anchor: Element | undefined;
  for (let up = el.parentElement; up && !anchor; up = up.parentElement) anchor = traced[traceOf(up)];
  const chars = normaliseText(el.textContent ?? '').length;
  for (const node of [el, ...Array.from(el.querySelectorAll(`[${TRACE_ATTR}]`))]) {
    const index = traceOf(node);
    if (index < 0) continue;
    pruned.set(index, reason);
    for (let up = traced[index]!.parentElement; up && up !== anchor && up.localName !== 'body'; up = up.parentElement) {
      if (pruned.has(traceOf(up)) || (anchor && up.contains(anchor))) break;
      if (normaliseText(up.textContent ?? '').length > 2 * chars + 20) break;
      pruned.set(traceOf(up), reason);
    }
  }
}

/**
 * An <article> element is one story. When the extracted container holds several that do
 * not nest, the one holding the page's headline is the article and the others are teasers
 * of other stories (a "more stories" river under it). Without the headline in any of them,
 * nothing is cut: the largest is not reliably the article (a short post above long teasers).
 */
function teaserArticles(articleEl: Element, traced: Element[], headline: Element | undefined): Element[] {
  if (!headline) return [];
  const stories = Array.from(articleEl.querySelectorAll(`[${TRACE_ATTR}]`)).filter(
    (el) => traced[traceOf(el)]?.localName === 'article',
  );
  const outer = stories.filter((el) => !stories.some((other) => other !== el && other.contains(el)));
  if (outer.length < 2) return [];
  const main = outer.find((el) => traced[traceOf(el)]!.contains(headline));
  if (!main) return [];
  const size = (el: Element): number => normaliseText(el.textContent ?? '').length;
  return outer.filter((el) => el !== main && size(el) < MAX_FURNITURE_SHARE * size(articleEl));
}

/** A block this much link text to the site's own pages, of 3 to this many words, is a teaser. */
const TEASER_LINK_SHARE = 0.9;
const TEASER_MAX_WORDS = 25;
const TEASER_TAGS = 'p, li, h1, h2, h3, h4, h5, h6, dt, dd';

/**
 * Headlines that are all link to another page of the same site: teasers of other stories
 * ("SEE MORE: …", three other stories between paragraphs, a "recent articles" list).
 * Links to other sites (shops, sources, documents) are article text on deal and review pages.
 */
function teaserLinks(articleEl: Element, baseUrl: string): Element[] {
  const site = siteOf(baseUrl);
  if (!site) return [];
  const teasers: Element[] = [];
  for (const el of Array.from(articleEl.querySelectorAll(TEASER_TAGS))) {
    if (el.querySelector(TEASER_TAGS)) continue; // judged at its innermost blocks
    const text = normaliseText(el.textContent ?? '');
    const words = countWords(text);
    if (words < 3 || words > TEASER_MAX_WORDS) continue;
    let sameSite = 0;
    for (const a of Array.from(el.querySelectorAll('a[href]'))) {
      const target = resolveUrl(a.getAttribute('href'), baseUrl);
      if (target && siteOf(target) === site) sameSite += normaliseText(a.textContent ?? '').length;
    }
    if (sameSite >= TEASER_LINK_SHARE * text.length) teasers.push(el);
  }
  return teasers;
}

/** Host without a leading www. */
function siteOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return undefined;
  }
}

/** A picture's box (the picture and its caption) holds at most this much text. */
const CAPTION_BOX_CHARS = 300;

/**
 * Captions outside <figcaption>: the largest element around a picture that holds little
 * text besides it (a caption, a credit). Icons (declared smaller than 50 px) do not count,
 * nor pictures inside a paragraph (an emoji, a picture the text runs on from) or a list
 * item (a product list with pictures is article text).
 */
function captionBoxes(articleEl: Element, traced: Element[]): Element[] {
  const boxes: Element[] = [];
  for (const pic of Array.from(articleEl.querySelectorAll('img, picture, video'))) {
    const w = Number(pic.getAttribute('width'));
    const h = Number(pic.getAttribute('height'));
    // judged on the original page: Readability wraps a lone picture in a <p> of its own
    const original = traced[traceOf(pic)];
    if ((w > 0 && w < 50) || (h > 0 && h < 50) || !original || original.closest('p, li')) continue;
    let box: Element | undefined;
    for (let cur = pic.parentElement; cur && cur !== articleEl; cur = cur.parentElement) {
      const chars = normaliseText(cur.textContent ?? '').length;
      if (chars > CAPTION_BOX_CHARS) break;
      box = cur;
    }
    if (box && normaliseText(box.textContent ?? '') && !boxes.some((b) => b.contains(box))) boxes.push(box);
  }
  return boxes;
}

/** The reason of the nearest cut ancestor of an original element. */
function prunedReason(el: Element, pruned: Map<number, RemovalReason>): RemovalReason | undefined {
  for (let cur: Element | null = el; cur; cur = cur.parentElement) {
    const reason = pruned.get(traceOf(cur));
    if (reason) return reason;
  }
  return undefined;
}
