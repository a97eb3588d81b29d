// Extract stage: page HTML → article blocks and metadata.
// One parse per page, of the HTML without scripts, styles and drawings (prestrip.ts). Metadata
// and an outline of the body (each element's place, names and text) are read from the document
// first; Readability then reworks the document itself (no copy), and its article element is
// walked directly into blocks (no serialise-and-reparse). Blocks Readability cleaned out of the
// article's own containers (sub-headings, short paragraphs) are put back; see recoverDroppedBlocks.
import { Readability } from '@mozilla/readability';
import { DEFAULT_DOM, parseDocument, type DomKind } from './dom.ts';
import { elementsBelow, tagOf } from './dom-walk.ts';
import { PermanentError } from './errors.ts';
import { normaliseLanguage } from './language.ts';
import { NON_CONTENT_ELEMENTS, stripNonContent } from './prestrip.ts';
import { LinkedomReadability } from './readability-linkedom.ts';
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

/** Deepest element nesting a page may have (see extractParsed). */
export const MAX_DEPTH = 512;

/** Below this many words Readability's result counts as "too little" and the feed's content may replace it. */
const MIN_PAGE_WORDS = 40;


// Marks every element of the body so blocks can be traced through Readability's rework (it
// moves elements and replaces some with new ones, copying their attributes).
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
  return extractParsed(html, pageUrl, ctx);
}

function extractParsed(html: string, pageUrl: string, ctx: ExtractContext): PageExtraction {
  const dom = ctx.dom ?? DEFAULT_DOM;
  const parsed = parseDocument(stripNonContent(html), pageUrl, dom);
  try {
    const doc = parsed.document;
    // One pass over the page: JSON-LD and <base> read, what is never content removed, then
    // the meta tags read and the body outlined.
    const outline = new Outline(doc);
    // Some DOMs (linkedom) have no document URL: every link is resolved here, against the
    // page's <base href> (itself resolved against the page URL) or the page URL.
    const baseUrl = (outline.baseHref && resolveUrl(outline.baseHref, pageUrl)) || pageUrl;
    const jsonLd = readJsonLd(outline.jsonLd);
    const meta = readMeta(outline.metaTags);

    // Counted here, not by Readability's own maxElemsToParse: that relies on
    // getElementsByTagName('*'), which not every DOM implements.
    // Readability's time grows with the cube of the nesting depth (its scoring walks every
    // element's ancestors): 1,000 nested <div>s take seconds, 5,000 minutes. Real pages nest far
    // less (at most 51 deep on the 181 Zyte pages); browsers stop nesting at 512 (Blink's parser).
    if (outline.depth > MAX_DEPTH) {
      throw new PermanentError('extract', 'TOO_LARGE', `page nests elements ${outline.depth} deep, more than the ${MAX_DEPTH} allowed`, { url: ctx.url });
    }
    if (ctx.maxElements !== undefined) {
      const count = outline.elementCount;
      if (count > ctx.maxElements) {
        throw new PermanentError('extract', 'TOO_LARGE', `page has ${count} elements, more than the ${ctx.maxElements} allowed`, { url: ctx.url });
      }
    }
    // What is read from the page as it is, before Readability reworks it.
    const docTitle = doc.title;
    const itemDate = outline.itemDate;
    const markupDates = [itemDate?.getAttribute('content') ?? itemDate?.getAttribute('datetime'), outline.timeDate];
    const lang = doc.documentElement.getAttribute('lang') ?? doc.documentElement.getAttribute('xml:lang');
    const originalBlocks = doc.body ? new BlockCollector().collect(doc.body) : [];

    // keepClasses: the classes are judged on the outline, and stripping them is a walk over the
    // article; disableJSONLD: the scripts are gone, Readability would search the page for none.
    const ReadabilityOnDom = dom === 'linkedom' || dom === 'lean' ? LinkedomReadability : Readability;
    const article = new ReadabilityOnDom<Element>(doc, { serializer: (node) => node as Element, keepClasses: true, disableJSONLD: true }).parse();

    const siteName = chooseSiteName([meta.get('og:site_name'), jsonLd.siteName, article?.siteName, meta.get('application-name')], docTitle, pageUrl);
    const titles = [meta.get('og:title'), article?.title, ctx.feedItem?.title, jsonLd.headline, docTitle];
    const title = visibleHeadline(outline, titles) ?? chooseTitle(titles, siteName);
    const headline = findHeadline(outline, title);
    let blocks: Block[] = [];
    let recovery: Recovery | undefined;
    if (article?.content) {
      const pruned = pruneFurniture(article.content, outline, headline, baseUrl);
      recovery = recoverDroppedBlocks(outline, originalBlocks, article.content, pruned);
      blocks = recovery.blocks;
    }
    let extractedFrom: ExtractedPage['extractedFrom'] = 'page';
    const pageWords = wordsIn(blocks);
    if (pageWords < MIN_PAGE_WORDS) {
      const feedBlocks = blocksFromFeedItem(doc, ctx.feedItem);
      if (wordsIn(feedBlocks) > pageWords) {
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
      canonicalUrl: canonicalOf(outline.canonicalHref, meta, baseUrl, pageUrl),
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
      ...markupDates,
      ...DATE_META.map((name) => meta.get(name)),
      article?.publishedTime,
    );
    if (publishedAt) page.publishedAt = publishedAt;
    if (lang) {
      const htmlLang = normaliseLanguage(lang);
      if (htmlLang !== 'und') page.htmlLang = htmlLang;
    }
    const leadImage = resolveUrl(meta.get('og:image') ?? meta.get('twitter:image'), baseUrl);
    if (leadImage) page.leadImage = leadImage;
    const region = recovery ? articleRegion(outline, recovery, headline) : [];
    return { page, region };
  } finally {
    parsed.close();
  }
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
function readMeta(tags: Element[]): Map<string, string> {
  const meta = new Map<string, string>();
  for (const el of tags) {
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

function readJsonLd(scripts: string[]): JsonLdFacts {
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
  for (const text of scripts) {
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

/**
 * Words of the blocks joined by spaces, counted block by block: words never span the space
 * between two trimmed texts, and each block's count is cached (countWords).
 */
export function wordsIn(blocks: ReadonlyArray<{ text: string }>): number {
  let n = 0;
  for (const b of blocks) n += countWords(b.text);
  return n;
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

function canonicalOf(canonicalHref: string | null | undefined, meta: Map<string, string>, baseUrl: string, pageUrl: string): string {
  const candidates = [canonicalHref, meta.get('og:url')];
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
function visibleHeadline(outline: Outline, titles: Array<string | null | undefined>): string | undefined {
  const known = titles.filter((t): t is string => !!t).map(comparableText);
  for (const h1 of outline.headings.filter((h) => h.h1).slice(0, 3)) {
    const text = normaliseText(h1.text);
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

/** The elements below `root` that carry a trace index, with it, in document order. */
function tracedBelow(root: Element): Array<[Element, number]> {
  const traced: Array<[Element, number]> = [];
  for (const el of elementsBelow(root)) {
    const value = el.getAttributeNode(TRACE_ATTR)?.value;
    if (value != null) traced.push([el, Number(value)]);
  }
  return traced;
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
    for (const el of elementsBelow(root)) if (NON_CONTENT_ELEMENTS.has(tagOf(el))) el.remove();
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

function recoverDroppedBlocks(outline: Outline, original: TracedBlock[], articleEl: Element, pruned: Map<number, RemovalReason>): Recovery {
  const extracted = new BlockCollector().collect(articleEl);
  const keptElements = new Set<number>();
  for (const [, i] of tracedBelow(articleEl)) keptElements.add(i);
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
    if (isRecoverable(outline, block, keptElements, pruned)) pending.push(block);
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

function isRecoverable(outline: Outline, block: TracedBlock, keptElements: Set<number>, pruned: Map<number, RemovalReason>): boolean {
  if (block.origin < 0 || block.linkDensity > 0.3) return false;
  const el = block.origin;
  if (el >= outline.size) return false;
  if (block.kind === 'heading') {
    if (block.text.split(' ').length > 20) return false;
  } else if (block.kind !== 'paragraph') {
    return false;
  }
  // Must sit inside a container Readability kept, with no furniture-like wrapper in between.
  for (let cur = el; cur >= 0; cur = outline.parent[cur]!) {
    if (pruned.has(cur)) return false;
    if (cur !== el && keptElements.has(cur)) return true;
    const hint = `${outline.classes[cur]} ${outline.ids[cur]}`;
    if (FURNITURE.test(hint) || /^(nav|aside|footer|form|figure|button|label)$/.test(outline.tags[cur]!)) return false;
  }
  return false;
}

// ---------------------------------------------------------------- outline

/** Indexes standing for <body> and for what is above it, beside the elements' trace indexes (≥ 0). */
const BODY = -1;
const ROOT = -2;

interface Heading {
  /** Trace index; ROOT when outside <body>. */
  index: number;
  h1: boolean;
  text: string;
}

/**
 * The body as it was before Readability reworked it. Each element of the body gets its trace
 * index (TRACE_ATTR, in document order), and the outline keeps by that index what the steps
 * after Readability ask of the original: its parent, its extent, its tag, its class, id and
 * role, and its text; and the page's h1 and h2 headings.
 */
class Outline {
  /** Parent's trace index, BODY for the body's children. */
  readonly parent: number[] = [];
  readonly tags: string[] = [];
  readonly classes: string[] = [];
  readonly ids: string[] = [];
  readonly headings: Heading[] = [];
  private readonly roles: string[] = [];
  /** Index past the element's last descendant. */
  private readonly end: number[] = [];
  /** The body's text nodes in document order, and each element's range of them. */
  private readonly texts: string[] = [];
  private readonly textFrom: number[] = [];
  private readonly textTo: number[] = [];
  private readonly lengths = new Map<number, number>();

  /** Elements in the whole document (as querySelectorAll('*') counts them). */
  readonly elementCount: number = 0;
  /** The deepest element's depth (the root element is 1). */
  depth = 0;
  /** Texts of the JSON-LD scripts. */
  readonly jsonLd: string[] = [];
  /** The first <base href>. */
  baseHref: string | undefined;
  /** The <meta content> tags. */
  readonly metaTags: Element[] = [];
  /** The first <link rel="canonical" href>'s href. */
  canonicalHref: string | undefined;
  /** The first element whose itemprop is datePublished. */
  itemDate: Element | undefined;
  /** The first <time datetime>'s datetime. */
  timeDate: string | undefined;

  constructor(doc: Document) {
    this.removeNonContent(doc);
    this.elementCount = this.walk(doc);
    if (this.headings.some((h) => h.index === ROOT)) {
      this.lengths.set(ROOT, normaliseText(doc.documentElement?.textContent ?? '').length);
    }
  }

  get size(): number {
    return this.tags.length;
  }

  /** Class, id and role joined by spaces (furnitureReason's input). */
  names(i: number): string {
    return `${this.classes[i]} ${this.ids[i]} ${this.roles[i]}`;
  }

  /** Whether `a` is `b` or an ancestor of it. */
  contains(a: number, b: number): boolean {
    if (a === ROOT) return true;
    if (a === BODY) return b !== ROOT;
    return b >= a && b < this.end[a]!;
  }

  /** The smallest element (or BODY, or ROOT) containing all of `elements`. */
  commonAncestor(elements: number[]): number {
    let root = elements[0]!;
    for (const el of elements.slice(1)) {
      while (!this.contains(root, el) && root !== ROOT) root = root === BODY ? ROOT : this.parent[root]!;
    }
    return root;
  }

  /** Whether the element or one of its ancestors has a tag `tag` matches. */
  within(i: number, tag: RegExp): boolean {
    for (let cur = i; cur >= 0; cur = this.parent[cur]!) if (tag.test(this.tags[cur]!)) return true;
    return false;
  }

  /** Length of the element's text as normaliseText leaves it. */
  textLength(i: number): number {
    let length = this.lengths.get(i);
    if (length === undefined) {
      const text = i >= 0 ? this.texts.slice(this.textFrom[i], this.textTo[i]).join('') : this.texts.join('');
      length = normaliseText(text).length;
      this.lengths.set(i, length);
    }
    return length;
  }

  /**
   * Reads the JSON-LD scripts and the first <base href> as the page has them (template content
   * is not searched, as CSS queries do not search it), then removes the elements that are never
   * content.
   */
  private removeNonContent(doc: Document): void {
    const doomed: Element[] = [];
    eachNode(doc, (node) => {
      if (node.nodeType !== 1) return false;
      const el = node as Element;
      const tag = el.localName;
      if (NON_CONTENT_ELEMENTS.has(tag)) doomed.push(el);
      if (tag === 'script' && isJsonLdScript(el)) this.jsonLd.push(el.textContent ?? '');
      else if (tag === 'base' && this.baseHref === undefined && el.hasAttribute('href')) this.baseHref = el.getAttribute('href') ?? undefined;
      return tag !== 'template';
    });
    for (const el of doomed) el.remove();
  }

  /** Metadata an element of the page may carry. */
  private readHead(el: Element, tag: string): void {
    if (tag === 'meta') {
      if (el.hasAttribute('content')) this.metaTags.push(el);
    } else if (tag === 'link') {
      if (this.canonicalHref === undefined && el.hasAttribute('href') && /(?:^|\s)canonical(?:$|\s)/i.test(el.getAttribute('rel') ?? '')) {
        this.canonicalHref = el.getAttribute('href') ?? undefined;
      }
    } else if (tag === 'time') {
      if (this.timeDate === undefined && el.hasAttribute('datetime')) this.timeDate = el.getAttribute('datetime') ?? undefined;
    }
    if (this.itemDate === undefined && el.getAttributeNode('itemprop')?.value === 'datePublished') this.itemDate = el;
  }

  /**
   * Numbers the body's elements in document order and records them, and reads the headings
   * and the metadata elements. Returns the number of elements in the document. Attribute tests
   * are those of the CSS selectors the page was once queried with (`script[type=
   * "application/ld+json"]`, `type` compared without case; `base[href]`; `meta[content]`;
   * `link[rel~="canonical" i][href]`; `[itemprop="datePublished"]`; `time[datetime]`).
   */
  private walk(doc: Document): number {
    const body = doc.body;
    let count = 0;
    // trace indexes of the open elements (ROOT outside the body, BODY for it)
    const open: number[] = [];
    eachNode(
      doc,
      (node) => {
        if (node.nodeType === 3) {
          if (open.length && open[open.length - 1]! !== ROOT) this.texts.push(node.nodeValue ?? '');
          return false;
        }
        if (node.nodeType !== 1) return false;
        const el = node as Element;
        const tag = el.localName;
        this.readHead(el, tag);
        count++;
        const parent = open.length ? open[open.length - 1]! : ROOT;
        let i = ROOT;
        if (parent !== ROOT) {
          i = this.tags.length;
          el.setAttribute(TRACE_ATTR, String(i));
          this.parent.push(parent);
          this.tags.push(tag);
          this.classes.push(classOf(el));
          this.ids.push(el.getAttributeNode('id')?.value || '');
          this.roles.push(el.getAttributeNode('role')?.value ?? '');
          this.end.push(i + 1);
          this.textFrom.push(this.texts.length);
          this.textTo.push(this.texts.length);
        } else if (el === body) {
          i = BODY;
        }
        if (tag === 'h1' || tag === 'h2') this.headings.push({ index: i === BODY ? ROOT : i, h1: tag === 'h1', text: el.textContent ?? '' });
        open.push(i);
        if (open.length > this.depth) this.depth = open.length;
        return true;
      },
      () => {
        const i = open.pop()!;
        if (i >= 0) {
          this.end[i] = this.tags.length;
          this.textTo[i] = this.texts.length;
        }
      },
    );
    return count;
  }
}

/**
 * Visits every node of the document in document order. `enter` says whether to go into an
 * element's children; `leave` is called after the children of each element entered. The
 * top-level nodes are taken from childNodes: linkedom's doctype node has no nextSibling.
 */
function eachNode(doc: Document, enter: (node: ChildNode) => boolean, leave?: () => void): void {
  const open: Element[] = [];
  for (const top of Array.from(doc.childNodes)) {
    let node: ChildNode | null = top;
    for (;;) {
      if (!node) {
        const done = open.pop();
        if (!done) break;
        leave?.();
        node = open.length ? done.nextSibling : null;
        continue;
      }
      if (enter(node)) {
        open.push(node as Element);
        node = node.firstChild;
        continue;
      }
      node = open.length ? node.nextSibling : null;
    }
  }
}

/** Whether a script is JSON-LD (`type` compared without case, as CSS attribute selectors do in HTML). */
function isJsonLdScript(el: Element): boolean {
  return el.getAttribute('type')?.toLowerCase() === 'application/ld+json';
}

/** The class attribute as linkedom's getAttribute gives it: its tokens once each, joined by a space. */
function classOf(el: Element): string {
  const value = el.getAttributeNode('class')?.value;
  if (!value) return '';
  return [...new Set(value.split(/\s+/).filter(Boolean))].join(' ');
}

// ---------------------------------------------------------------- region

/** The region is cut back to the extracted text alone when it holds this many times more text. */
const REGION_MAX_TEXT_RATIO = 4;

function articleRegion(outline: Outline, recovery: Recovery, headline: number | undefined): RegionBlock[] {
  const extractedTexts = new Set(recovery.blocks.map((b) => b.text));
  const keptEls = [...recovery.keptElements].filter((i) => i >= 0 && i < outline.size);
  if (!keptEls.length) return [];
  const textRoot = outline.commonAncestor(keptEls);
  if (textRoot === BODY || textRoot === ROOT) return [];
  let root = textRoot;
  if (headline !== undefined) {
    const withHeadline = outline.commonAncestor([textRoot, headline]);
    const extractedChars = recovery.blocks.reduce((n, b) => n + b.text.length, 0);
    if (withHeadline !== BODY && outline.textLength(withHeadline) <= REGION_MAX_TEXT_RATIO * extractedChars + 2000) root = withHeadline;
  }
  return recovery.original
    .filter((b) => b.origin >= 0 && b.origin < outline.size && outline.contains(root, b.origin))
    .map((b) => {
      const block: RegionBlock = { ...stripOrigin(b), extracted: extractedTexts.has(b.text) };
      const reason = block.extracted ? undefined : prunedReason(outline, b.origin, recovery.pruned);
      if (reason) block.reason = reason;
      return block;
    });
}

/** The page's headline: the h1 or h2 whose text is the title, else the first h1. */
function findHeadline(outline: Outline, title: string | undefined): number | undefined {
  const wanted = title ? comparableText(title) : '';
  const headings = outline.headings;
  return (
    headings.find((h) => {
      const t = comparableText(h.text);
      return !!wanted && !!t && (t === wanted || (t.length >= 0.8 * wanted.length && (t.includes(wanted) || wanted.includes(t))));
    }) ?? headings.find((h) => h.h1)
  )?.index;
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
  return furnitureReasonOf(`${el.getAttribute('class') ?? ''} ${el.getAttribute('id') ?? ''} ${el.getAttribute('role') ?? ''}`);
}

/** The furniture reason of an element's class, id and role joined by spaces. */
function furnitureReasonOf(names: string): RemovalReason | undefined {
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
function pruneFurniture(articleEl: Element, outline: Outline, headline: number | undefined, baseUrl: string): Map<number, RemovalReason> {
  const pruned = new Map<number, RemovalReason>();
  const total = normaliseText(articleEl.textContent ?? '').length;
  if (!total) return pruned;
  const cut = (el: Element, reason: RemovalReason): void => {
    markCut(el, reason, outline, pruned);
    el.remove();
  };
  const tracedInArticle = tracedBelow(articleEl);
  const kept = new Set(tracedInArticle.map(([, i]) => i));
  const reasons = new Map<number, RemovalReason | undefined>();
  const reasonOf = (original: number): RemovalReason | undefined => {
    if (!reasons.has(original)) {
      reasons.set(original, outline.tags[original] === 'figcaption' ? 'boilerplate' : furnitureReasonOf(outline.names(original)));
    }
    return reasons.get(original);
  };
  for (const [el, original] of tracedInArticle) {
    if (!articleEl.contains(el)) continue; // inside an element already cut
    if (original < 0 || original >= outline.size) continue;
    // The element itself, or a wrapper Readability replaced (it turns a <div> of inline
    // content into a new <p>, without the div's class): the original's ancestors up to the
    // nearest one still in the article.
    let reason = reasonOf(original);
    for (let up = outline.parent[original]!; !reason && up >= 0 && outline.tags[up] !== 'body' && !kept.has(up); up = outline.parent[up]!) {
      reason = reasonOf(up);
    }
    if (!reason) continue;
    if (normaliseText(el.textContent ?? '').length > MAX_FURNITURE_SHARE * total) continue;
    cut(el, reason);
  }
  for (const teaser of teaserArticles(articleEl, outline, headline)) cut(teaser, 'related-content');
  for (const teaser of teaserLinks(articleEl, baseUrl)) if (articleEl.contains(teaser)) cut(teaser, 'related-content');
  for (const box of captionBoxes(articleEl, outline)) if (articleEl.contains(box)) cut(box, 'boilerplate');
  return pruned;
}

/**
 * Records a cut element under every original element whose text it carries: itself and
 * its traced descendants, and the originals' wrappers that Readability did not keep, up to
 * the original of the nearest kept ancestor. Recovery and the region then know them as cut.
 */
function markCut(el: Element, reason: RemovalReason, outline: Outline, pruned: Map<number, RemovalReason>): void {
  let anchor: number | undefined;
  for (let up = el.parentElement; up && anchor === undefined; up = up.parentElement) {
    const i = traceOf(up);
    if (i >= 0 && i < outline.size) anchor = i;
  }
  const chars = normaliseText(el.textContent ?? '').length;
  for (const index of [traceOf(el), ...tracedBelow(el).map(([, i]) => i)]) {
    if (index < 0) continue;
    pruned.set(index, reason);
    for (let up = outline.parent[index]!; up >= 0 && up !== anchor && outline.tags[up] !== 'body'; up = outline.parent[up]!) {
      if (pruned.has(up) || (anchor !== undefined && outline.contains(up, anchor))) break;
      if (outline.textLength(up) > 2 * chars + 20) break;
      pruned.set(up, reason);
    }
  }
}

/**
 * An <article> element is one story. When the extracted container holds several that do
 * not nest, the one holding the page's headline is the article and the others are teasers
 * of other stories (a "more stories" river under it). Without the headline in any of them,
 * nothing is cut: the largest is not reliably the article (a short post above long teasers).
 */
function teaserArticles(articleEl: Element, outline: Outline, headline: number | undefined): Element[] {
  if (headline === undefined) return [];
  const stories = tracedBelow(articleEl)
    .filter(([, i]) => outline.tags[i] === 'article')
    .map(([el]) => el);
  const outer = stories.filter((el) => !stories.some((other) => other !== el && other.contains(el)));
  if (outer.length < 2) return [];
  const main = outer.find((el) => outline.contains(traceOf(el), headline));
  if (!main) return [];
  const size = (el: Element): number => normaliseText(el.textContent ?? '').length;
  return outer.filter((el) => el !== main && size(el) < MAX_FURNITURE_SHARE * size(articleEl));
}

/** A block this much link text to the site's own pages, of 3 to this many words, is a teaser. */
const TEASER_LINK_SHARE = 0.9;
const TEASER_MAX_WORDS = 25;
const TEASER_TAGS = new Set(['p', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'dt', 'dd']);

/**
 * Headlines that are all link to another page of the same site: teasers of other stories
 * ("SEE MORE: …", three other stories between paragraphs, a "recent articles" list).
 * Links to other sites (shops, sources, documents) are article text on deal and review pages.
 */
function teaserLinks(articleEl: Element, baseUrl: string): Element[] {
  const site = siteOf(baseUrl);
  if (!site) return [];
  const teasers: Element[] = [];
  const sites = new Map<string | null, string | undefined>(); // link's site by href
  const siteOfLink = (href: string | null): string | undefined => {
    if (!sites.has(href)) {
      const target = resolveUrl(href, baseUrl);
      sites.set(href, target ? siteOf(target) : undefined);
    }
    return sites.get(href);
  };
  for (const el of elementsBelow(articleEl)) {
    if (!TEASER_TAGS.has(tagOf(el))) continue;
    const below = elementsBelow(el);
    if (below.some((e) => TEASER_TAGS.has(tagOf(e)))) continue; // judged at its innermost blocks
    // the links first: most blocks have none to the site, and then no word needs counting
    let sameSite = 0;
    for (const a of below) {
      if (tagOf(a) !== 'a' || !a.hasAttribute('href')) continue;
      if (siteOfLink(a.getAttribute('href')) === site) sameSite += normaliseText(a.textContent ?? '').length;
    }
    if (!sameSite) continue;
    const text = normaliseText(el.textContent ?? '');
    if (sameSite < TEASER_LINK_SHARE * text.length) continue;
    const words = countWords(text);
    if (words >= 3 && words <= TEASER_MAX_WORDS) teasers.push(el);
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

const PICTURE_TAGS = new Set(['img', 'picture', 'video']);

/** A picture's box (the picture and its caption) holds at most this much text. */
const CAPTION_BOX_CHARS = 300;

/**
 * Captions outside <figcaption>: the largest element around a picture that holds little
 * text besides it (a caption, a credit). Icons (declared smaller than 50 px) do not count,
 * nor pictures inside a paragraph (an emoji, a picture the text runs on from) or a list
 * item (a product list with pictures is article text).
 */
function captionBoxes(articleEl: Element, outline: Outline): Element[] {
  const boxes: Element[] = [];
  for (const pic of elementsBelow(articleEl)) {
    if (!PICTURE_TAGS.has(tagOf(pic))) continue;
    const w = Number(pic.getAttribute('width'));
    const h = Number(pic.getAttribute('height'));
    // judged on the original page: Readability wraps a lone picture in a <p> of its own
    const original = traceOf(pic);
    if ((w > 0 && w < 50) || (h > 0 && h < 50) || original < 0 || original >= outline.size || outline.within(original, /^(?:p|li)$/)) continue;
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
function prunedReason(outline: Outline, el: number, pruned: Map<number, RemovalReason>): RemovalReason | undefined {
  for (let cur = el; cur >= 0; cur = outline.parent[cur]!) {
    const reason = pruned.get(cur);
    if (reason) return reason;
  }
  return undefined;
}
