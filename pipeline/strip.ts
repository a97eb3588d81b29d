// Strip stage: remove the blocks of a page that are not the article, each with its reason.
// Pure: blocks (with languages) in, kept and removed blocks out.
//
// Most furniture sits before the article's first real paragraph (the head) or after its
// last (the tail): share bars, "Read more" lists, related items in another language,
// source and date lines, a repeated headline, a byline. Rules that could hit article text
// (a lone "Email" line, a foreign-language block, a "By …" line) only apply there; a
// foreign-language quote between article paragraphs is kept.
import type { Block, RemovalReason, RemovedBlock } from './records.ts';
import { comparableText, countWords } from './text.ts';

export interface StripContext {
  /** The document's language (BCP-47 primary subtag). */
  language: string;
  /** The article's title, to recognise a headline repeated in the body. */
  title?: string;
  byline?: string;
  /** Host of the page (e.g. `global.espreso.tv`), to recognise a bare source line. */
  siteHost?: string;
}

export interface StripResult {
  kept: Block[];
  removed: RemovedBlock[];
}

/** A paragraph needs this many words to count as article text when finding the head and tail. */
const SUBSTANTIVE_WORDS = 15;
/** Marker labels ("Read more", "Related") are short. */
const MARKER_MAX_WORDS = 8;

const SHARE_LABEL = new RegExp(
  '^(?:share(?: (?:this|the|on|via|to))?(?: (?:news|article|story|post|page|link))?|share on \\S+|teilen|artikel teilen|partager(?: cet article)?|compartir|compartilhe|compartilhar|condividi|поделиться|поділитися|поширити|udostępnij|paylaş|deel dit artikel|dela|jaa|分享(?:到)?|シェア|共有|공유(?:하기)?)\\s*[:：]?$',
  'iu',
);
const NETWORK =
  '(?:facebook|twitter|x|whatsapp|telegram|linkedin|e-?mail|pinterest|reddit|viber|vk|vkontakte|messenger|tumblr|flipboard|threads|bluesky|mastodon|skype|line|weibo|wechat|微信|微博|odnoklassniki|copy link|print)';
const NETWORK_LINE = new RegExp(`^${NETWORK}(?:[\\s,|·•/]+${NETWORK})*$`, 'iu');

const READ_MORE = new RegExp(
  '^(?:read more|read also|also read|read next|more news|latest news|latest|most read|most popular|most viewed|top stories|more stories|trending(?: now)?|popular(?: now)?|editor.s picks|lesen sie auch|lesen sie mehr|weitere nachrichten|neueste nachrichten|lire aussi|à lire aussi|a lire aussi|lire la suite|les plus lus|leia também|leia mais|mais lidas|lee también|leer más|lo más leído|últimas noticias|ultime notizie|leggi anche|i più letti|читайте также|читайте також|читать далее|последние новости|останні новини|самое читаемое|czytaj także|czytaj też|najnowsze|さらに読む|続きを読む|더 보기|阅读更多|最新消息)(?=$|[\\s:：»›>…\\-–—]).*$',
  'iu',
);
const RELATED = new RegExp(
  '^(?:related|related (?:news|articles?|stories|posts|content|coverage|topics)|you may also like|you might also like|you may be interested in|see also|more from|more on this|more on|more in|recommended(?: for you| stories| articles)?|more like this|in other news|don.t miss|mehr zum thema|ähnliche artikel|das könnte sie auch interessieren|articles? (?:connexes|liés|similaires)|sur le même sujet|noticias relacionadas|artículos relacionados|notícias relacionadas|artigos relacionados|articoli correlati|по теме|похожие (?:новости|статьи)|по темі|схожі новини|powiązane|相关(?:内容|新闻|文章|阅读)|相關(?:內容|新聞|文章)|関連(?:記事|ニュース)|관련(?: 기사| 뉴스)?)(?=$|[\\s:：»›>…\\-–—]).*$',
  'iu',
);
const BOILERPLATE_LINE =
  /^(?:advertisement|advertising|sponsored(?: content)?|anzeige|publicité|publicidad|pubblicità|реклама|tags?\s*:.*|topics?\s*:.*|filed under\s*:?.*|follow us.*|subscribe(?: to| now).*|sign up (?:for|to).*|©.*|copyright\b.*|all rights reserved\.?)$/iu;

// "By Khagan Isayev": a byline word (any case) and a capitalised name.
const BYLINE_WORD = /^(?:by|written by|words by|von|par|por|di|door|av|af|przez|od|автор|авторка)\s*:?\s+/iu;
const BYLINE_NAME = /^\p{Lu}[\p{L}.'’\- ]{1,80}$/u;
const HOST_LINE = /^(?:https?:\/\/)?(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}\/?$/i;
// Words that may appear in a dateline besides digits (English, German, French, Spanish, Italian, Portuguese).
const DATE_WORDS =
  /\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december|gmt|utc|cet|cest|est|edt|pst|pdt|bst|eet|eest|msk|am|pm|a\.m|p\.m|at|on|updated|published|posted|last updated|date|uhr|le|à|de|del|di|do|da)\b\.?/giu;

/** Picture captions and credits are short. */
const CAPTION_MAX_WORDS = 60;
// "Image copyright Getty Images", "Image caption …", "Photo: Reuters".
const CAPTION_LABEL = /^(?:(?:image|photo|picture|video|graphic)s?\s+(?:copyright|caption|credit|source)s?\b|(?:photo|photograph|picture|image|pictured|credit|photo credit|foto|fotos|bild|imagen|crédito|crédit photo)\s*:)/iu;
// A caption ending in its credit: "… autonomy (Image: GETTY )", "… in Hialeah (AP Photo/Alan Diaz, File)".
const CAPTION_CREDIT_END = /\((?:(?:image|photo|picture|pic|foto|credit|source)s?\s*(?::|by|credit)|[\p{Lu}][\p{L}.]*\s+photo\b|photo\b)[^()]{0,100}\)\s*$/iu;
// Picture agencies, for bare credit lines ("Alex Wong | Getty Images").
const PICTURE_AGENCY = /\b(?:getty images|getty|shutterstock|istock(?:photo)?|alamy|reuters|afp|associated press|ap photo|epa|pa (?:images|media|wire)|dpa|bloomberg|imago|sipa|anadolu|xinhua|tass|ria novosti)\b/iu;

/** A picture caption or credit line, wherever it sits. */
export function isCaptionLine(text: string, words: number): boolean {
  if (CAPTION_LABEL.test(text) || CAPTION_CREDIT_END.test(text)) return true;
  // A bare credit: a few capitalised names separated by | or /, one of them a picture agency.
  return words <= 10 && /[|/©]/.test(text) && PICTURE_AGENCY.test(text) && !/[.!?]$/.test(text);
}

/** Why a block is not article text (its language recorded when known). */
export interface Mark {
  reason: RemovalReason;
  language?: string;
}

export function stripBlocks(blocks: Block[], ctx: StripContext): StripResult {
  const marks = classifyBlocks(blocks, ctx);
  const kept: Block[] = [];
  const removed: RemovedBlock[] = [];
  blocks.forEach((b, i) => {
    const m = marks[i];
    if (!m) kept.push(b);
    else removed.push(m.language ? { reason: m.reason, language: m.language, text: b.text } : { reason: m.reason, text: b.text });
  });
  return { kept, removed };
}

/** The removal reason of every block, undefined for article text. */
export function classifyBlocks(blocks: Block[], ctx: StripContext): Array<Mark | undefined> {
  const n = blocks.length;
  const marks: Array<Mark | undefined> = new Array(n);
  const mark = (i: number, reason: RemovalReason, language?: string): void => {
    if (marks[i]) return;
    const lang = language ?? blocks[i]!.language;
    marks[i] = lang ? { reason, language: lang } : { reason };
  };
  const words = blocks.map((b) => countWords(b.text));
  const isForeign = (b: Block): boolean =>
    !!b.language && b.language !== 'und' && ctx.language !== 'und' && !sameOrClose(b.language, ctx.language);
  const isMarker = (i: number): 'read-more-list' | 'related-content' | undefined => {
    if (words[i]! > MARKER_MAX_WORDS && blocks[i]!.linkDensity < 0.5) return undefined;
    const t = blocks[i]!.text;
    if (READ_MORE.test(t)) return 'read-more-list';
    if (RELATED.test(t)) return 'related-content';
    return undefined;
  };
  const substantive = blocks.map(
    (b, i) =>
      b.kind !== 'heading' &&
      b.kind !== 'other' &&
      b.linkDensity < 0.5 &&
      !isForeign(b) &&
      words[i]! >= SUBSTANTIVE_WORDS &&
      !isMarker(i),
  );
  const first = substantive.indexOf(true);
  const last = substantive.lastIndexOf(true);
  const outside = (i: number): boolean => first < 0 || i < first || i > last;

  // Lines that are never article text, wherever they are.
  for (let i = 0; i < n; i++) {
    const t = blocks[i]!.text;
    if (words[i]! <= 6 && SHARE_LABEL.test(t)) mark(i, 'share-widget');
    else if (words[i]! <= 12 && isMetadataLine(t, ctx.siteHost)) mark(i, 'metadata-line');
    else if (words[i]! <= 12 && BOILERPLATE_LINE.test(t) && (outside(i) || words[i]! <= 2)) mark(i, 'boilerplate');
    else if (words[i]! <= CAPTION_MAX_WORDS && isCaptionLine(t, words[i]!)) mark(i, 'boilerplate');
  }
  // Lone network names: in the head or tail, or next to another share line (a share bar mid-page).
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      if (marks[i] || !NETWORK_LINE.test(blocks[i]!.text)) continue;
      const nextToShare = marks[i - 1]?.reason === 'share-widget' || marks[i + 1]?.reason === 'share-widget';
      if (outside(i) || nextToShare) mark(i, 'share-widget');
    }
  }

  // The head: a repeated headline, a byline.
  const title = ctx.title ? comparableText(ctx.title) : '';
  let headlineSeen = false;
  for (let i = 0; i < n && (first < 0 || i < first); i++) {
    const t = comparableText(blocks[i]!.text);
    if (!headlineSeen && title && t && (t === title || similarHeadline(t, title))) {
      mark(i, 'duplicate-headline');
      headlineSeen = true;
    } else if (isByline(blocks[i]!.text, ctx.byline)) mark(i, 'byline');
  }
  // The tail: a byline.
  if (first >= 0) for (let i = last + 1; i < n; i++) if (isByline(blocks[i]!.text, ctx.byline)) mark(i, 'byline');

  // Blocks in another language before or after the article: appended related items.
  // Short same-script lines right next to such a block (its title, its heading) go with it.
  for (let i = 0; i < n; i++) {
    if (!outside(i) || !isForeign(blocks[i]!)) continue;
    mark(i, 'foreign-language');
    const lang = blocks[i]!.language;
    for (const step of [-1, 1] as const) {
      for (let j = i + step; j >= 0 && j < n && outside(j) && !marks[j]; j += step) {
        if (substantive[j] || isMarker(j) || words[j]! >= SUBSTANTIVE_WORDS) break;
        mark(j, 'foreign-language', lang);
      }
    }
  }

  // "Read more" / "Related" labels and what follows them.
  for (let i = 0; i < n; i++) {
    const reason = isMarker(i);
    if (!reason || (marks[i] && marks[i]!.reason !== reason)) continue;
    mark(i, reason);
    if (inTail(i)) {
      for (let j = i + 1; j < n; j++) mark(j, reason);
      break;
    }
    // Mid-article "Read also: …": the label and the link list right after it.
    for (let j = i + 1; j < n && !substantive[j]; j++) {
      const b = blocks[j]!;
      if (b.linkDensity >= 0.5 || (b.kind === 'list-item' && b.linkDensity > 0.3)) mark(j, reason);
      else break;
    }
  }

  // Link lists before or after the article: navigation, tags, more links.
  for (let i = 0; i < n; i++) if (outside(i) && blocks[i]!.linkDensity >= 0.6) mark(i, 'boilerplate');

  return marks;

  /** A marker is in the tail when little article text follows it compared with what precedes it. */
  function inTail(i: number): boolean {
    let before = 0;
    let after = 0;
    let paragraphsAfter = 0;
    for (let j = 0; j < n; j++) {
      if (!substantive[j]) continue;
      if (j < i) before += blocks[j]!.text.length;
      else {
        after += blocks[j]!.text.length;
        paragraphsAfter++;
      }
    }
    return before > 0 && paragraphsAfter <= 3 && after <= 0.35 * before;
  }
}

// Languages close enough that detectors swap them from one paragraph to the next (CLD3 calls
// the same Indonesian page Indonesian or Malay); a block in the other one is not "foreign".
const CLOSE_LANGUAGES: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['id', 'ms']),
  new Set(['hr', 'sr', 'bs', 'sh']),
  new Set(['no', 'nb', 'nn', 'da']),
  new Set(['cs', 'sk']),
  new Set(['gl', 'pt']),
];

function sameOrClose(a: string, b: string): boolean {
  return a === b || CLOSE_LANGUAGES.some((group) => group.has(a) && group.has(b));
}

function isByline(text: string, byline: string | undefined): boolean {
  if (countWords(text) > 8) return false;
  if (byline) {
    const b = comparableText(byline);
    const t = comparableText(text);
    if (b && (t === b || t === `by ${b}`)) return true;
  }
  const word = BYLINE_WORD.exec(text);
  return !!word && BYLINE_NAME.test(text.slice(word[0].length));
}

function similarHeadline(a: string, b: string): boolean {
  const shorter = a.length < b.length ? a : b;
  const longer = a.length < b.length ? b : a;
  return shorter.length >= 0.8 * longer.length && longer.includes(shorter);
}

/** A bare host (`global.espreso.tv`) or a bare dateline (`Wed, 27 Aug 2025 11:34:00 +0300`). */
export function isMetadataLine(text: string, siteHost?: string): boolean {
  const t = text.trim();
  if (siteHost && t.toLowerCase().replace(/^www\./, '') === siteHost.toLowerCase().replace(/^www\./, '')) return true;
  if (HOST_LINE.test(t) && /[a-z]/i.test(t.replace(/\.[a-z]+\/?$/i, ''))) return true;
  const digits = (t.match(/\d/g) ?? []).length;
  if (digits < 4) return false;
  const rest = t.replace(DATE_WORDS, ' ').replace(/[\d\s,.:/+\-–—()|]/g, '');
  if (rest.length) return false;
  // Only digits and date words: a date when it has a month or day name, a d/m/y shape or a time.
  return new RegExp(DATE_WORDS.source, 'iu').test(t) || /\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}/.test(t);
}
