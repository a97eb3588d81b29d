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
/** Locales whose month and weekday names (from Intl, long and short) may make up a dateline. */
const DATE_LOCALES = [
  'en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'nb', 'fi', 'pl', 'cs', 'sk', 'sl', 'hr', 'ro', 'hu',
  'tr', 'id', 'ms', 'ru', 'uk', 'bg', 'sr', 'el', 'ca', 'lt', 'lv', 'et', 'vi',
];
// Words a dateline may hold besides the names of months and days, in the languages above.
const DATE_LABELS = [
  'gmt', 'utc', 'cet', 'cest', 'est', 'edt', 'et', 'pt', 'ct', 'mt', 'pst', 'pdt', 'cst', 'cdt', 'bst', 'eet', 'eest', 'msk', 'ist', 'hkt', 'jst', 'kst', 'aest',
  'am', 'pm', 'a', 'p', 'm', 'h', 'hrs', 'hr', 'min', 'mins', 'uhr',
  'at', 'on', 'of', 'the', 'and', 'first', 'last', 'date', 'time', 'updated', 'update', 'published', 'posted', 'modified', 'created', 'edited', 'issued', 'released',
  'ago', 'second', 'seconds', 'minute', 'minutes', 'hour', 'hours', 'day', 'days', 'week', 'weeks', 'month', 'months', 'year', 'years', 'today', 'yesterday', 'just', 'now',
  'aktualisiert', 'veröffentlicht', 'am', 'um', 'stand', 'mis', 'à', 'jour', 'publié', 'le', 'il', 'alle', 'ore', 'aggiornato', 'pubblicato', 'actualizado', 'publicado', 'a', 'las', 'los', 'el', 'de', 'del', 'em', 'às', 'atualizado', 'às',
  'di', 'da', 'do', 'dd', 'y', 'e', 'op', 'om', 'bijgewerkt', 'gepubliceerd', 'klo', 'kl', 'г', 'года', 'в', 'обновлено', 'опубликовано',
];
let dateVocabulary: Set<string> | undefined;

/** Month and weekday names (long and short) in DATE_LOCALES plus DATE_LABELS, lower-cased, without final dots. */
function dateWords(): Set<string> {
  if (dateVocabulary) return dateVocabulary;
  const words = new Set(DATE_LABELS);
  const add = (name: string): void => {
    for (const w of name.toLowerCase().split(/[\s.,]+/)) if (w) words.add(w);
  };
  // one formatter per locale and form (building a formatter costs far more than formatting)
  for (const locale of DATE_LOCALES) {
    for (const month of ['long', 'short'] as const) {
      const alone = new Intl.DateTimeFormat(locale, { month, timeZone: 'UTC' });
      // genitive forms ("27 августа") appear only with a day
      const withDay = new Intl.DateTimeFormat(locale, { month, day: 'numeric', timeZone: 'UTC' });
      for (let m = 0; m < 12; m++) {
        const d = new Date(Date.UTC(2021, m, 15));
        add(alone.format(d));
        add(withDay.format(d).replace(/\d+/g, ' '));
      }
    }
    for (const weekday of ['long', 'short'] as const) {
      const format = new Intl.DateTimeFormat(locale, { weekday, timeZone: 'UTC' });
      for (let day = 0; day < 7; day++) add(format.format(new Date(Date.UTC(2021, 0, 3 + day))));
    }
  }
  dateVocabulary = words;
  return words;
}

// Lines that are page furniture wherever they sit, even between article paragraphs.
const FURNITURE_LINE =
  /^(?:advert|advertisement|advertising|ad|sponsored|sponsored content|paid content|anzeige|werbung|publicité|publicidad|pubblicità|реклама|реклама\.?|(?:story|article|text) continues (?:below|after (?:the )?(?:advertisement|ad))|continue reading (?:below|after (?:the )?(?:advertisement|ad)|the (?:main )?story)|advertisement\s*[-–—:]\s*(?:scroll|continue|story).*|this (?:slideshow|video|content|embed|gallery|feature|page) requires javascript\.?|(?:please )?enable javascript.*|\d*\s*comments?|(?:post|leave|add|write|view|show|read|see|load) (?:a |all |the )?(?:\d+ )?(?:comments?|replies|reply)(?: \(\+\))?|tell us what you think.*|join the (?:discussion|conversation).*|click (?:here )?to (?:comment|share|print|email|enlarge).*|print(?: this)?(?: article| page| story)?|e-?mail(?: this)?(?: article| page| story)?|back to top)$/iu;
// Prompts to subscribe or sign up: two of these cues in a short block (or one in a very short one).
const PROMPT_CUES = [
  /\bnewsletters?\b/iu,
  /\bsubscri(?:be|bed|ption|bers?)\b/iu,
  /\bsign(?:ing)?[ -]?up\b/iu,
  /\binbox\b/iu,
  /\b(?:e-?mail|news) (?:alerts|updates|briefing)\b/iu,
  /\bbreaking news emails?\b/iu,
  /\bdelivered (?:straight |directly |right )?(?:to|into|through) your\b/iu,
  /\bunsubscribe\b/iu,
  /\bprivacy (?:policy|notice)\b/iu,
  /\bfree (?:daily|weekly)\b/iu,
  /\b(?:download|get) (?:our|the) (?:free )?app\b/iu,
];
const PROMPT_MAX_WORDS = 45;
// Subscribing and signing up are also what articles about streaming services talk about: alone they are not enough.
const SIGN_UP_CUES = new Set([PROMPT_CUES[1]!, PROMPT_CUES[2]!]);
// Cookie notices.
const COOKIE_NOTICE = /\bcookies?\b.*\b(?:website|site|experience|consent|accept|agree|browsing|opt-out|policy)\b|\b(?:website|site|we) uses? cookies\b/iu;
// "Follow him on Twitter @…", "Follow Newsbeat on Instagram, Facebook and Twitter": a follow prompt.
const FOLLOW_PROMPT = /\bfollow (?:us|him|her|them|me|@?[\p{Lu}][\p{L}\d_]*(?: [\p{Lu}][\p{L}\d_]*){0,3}) (?:on|at|via) (?:twitter|x|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky|mastodon|telegram)\b/iu;

/** A subscription, sign-up or cookie prompt: a delivery cue (newsletter, inbox …) with a sign-up cue, or a very short line with one. */
export function isPrompt(text: string, words: number): boolean {
  if (words > PROMPT_MAX_WORDS) return false;
  if (COOKIE_NOTICE.test(text)) return true;
  const cues = PROMPT_CUES.filter((re) => re.test(text));
  const delivery = cues.filter((re) => !SIGN_UP_CUES.has(re)).length;
  return (cues.length >= 2 && delivery >= 1) || (cues.length >= 1 && words <= 6);
}

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
    else if (words[i]! <= 20 && isMetadataLine(t, ctx.siteHost)) mark(i, 'metadata-line');
    else if (words[i]! <= 12 && BOILERPLATE_LINE.test(t) && (outside(i) || words[i]! <= 2)) mark(i, 'boilerplate');
    else if (words[i]! <= CAPTION_MAX_WORDS && isCaptionLine(t, words[i]!)) mark(i, 'boilerplate');
    else if (words[i]! <= 12 && FURNITURE_LINE.test(t)) mark(i, 'boilerplate');
    else if (isPrompt(t, words[i]!)) mark(i, 'boilerplate');
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
  // The tail: a byline; a "follow her on Twitter" line among the last blocks.
  if (first >= 0) for (let i = last + 1; i < n; i++) if (isByline(blocks[i]!.text, ctx.byline)) mark(i, 'byline');
  for (let i = Math.max(0, n - 3); i < n; i++) {
    if (words[i]! <= PROMPT_MAX_WORDS && FOLLOW_PROMPT.test(blocks[i]!.text)) mark(i, 'share-widget');
  }

  // Blocks in another language before or after the article: appended related items.
  // Short lines right next to such a block (its title, its heading, a label in its own
  // language) go with it and take its language: the longest block of an item is the one
  // whose language is surest ("関連記事" alone reads as Chinese, the item is Japanese), so
  // the longest foreign blocks claim their neighbours first.
  const byLength = Array.from({ length: n }, (_, i) => i).sort((a, b) => blocks[b]!.text.length - blocks[a]!.text.length);
  for (const i of byLength) {
    if (marks[i] || !outside(i) || !isForeign(blocks[i]!)) continue;
    mark(i, 'foreign-language');
    const lang = blocks[i]!.language;
    for (const step of [-1, 1] as const) {
      for (let j = i + step; j >= 0 && j < n && outside(j) && !marks[j]; j += step) {
        if (substantive[j] || (isMarker(j) && !isForeign(blocks[j]!)) || words[j]! >= SUBSTANTIVE_WORDS) break;
        mark(j, 'foreign-language', lang);
      }
    }
  }

  // "Read more" / "Related" labels and what follows them.
  for (let i = 0; i < n; i++) {
    const reason = isMarker(i);
    if (!reason || (marks[i] && marks[i]!.reason !== reason)) continue;
    mark(i, reason);
    // "Related: The 15 weirdest galaxies" — the label and its one link in one block: a
    // single teaser, not the start of a list; what follows is not cut with it.
    if (words[i]! >= 4 && blocks[i]!.linkDensity >= 0.5) continue;
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
  if (countWords(text) > 16) return false;
  if (byline) {
    const b = comparableText(byline);
    const t = comparableText(text);
    if (b && (t === b || t === `by ${b}`)) return true;
  }
  const word = BYLINE_WORD.exec(text);
  if (!word) return false;
  const rest = text.slice(word[0].length);
  if (countWords(rest) <= 8 && BYLINE_NAME.test(rest)) return true;
  // "By Justine Coleman - 11/18/19 11:04 PM EST", "by Regan September 15, 2014": a name, then a dateline.
  const parts = rest.split(/\s+/);
  for (let k = 1; k <= Math.min(6, parts.length - 1); k++) {
    const name = parts.slice(0, k).join(' ').replace(/\s*[-–—|·•,]$/, '');
    const date = parts.slice(k).join(' ').replace(/^[-–—|·•,]\s*/, '');
    if (BYLINE_NAME.test(name) && isDateline(date)) return true;
  }
  return false;
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
  return isDateline(t);
}

/**
 * A line made only of a date or time and the words around one: "Wed, 27 Aug 2025 11:34:00
 * +0300", "PUBLISHED: 10:48, Tue, Nov 19, 2019 | UPDATED: 11:05", "Updated Nov 19, 6:55
 * AM;Posted Nov 19, 6:51 AM", "Published 1 day ago", "sexta-feira, 22 de outubro de 2010 às 20:13".
 */
export function isDateline(text: string): boolean {
  const t = text.trim();
  const digits = (t.match(/\d/g) ?? []).length;
  if (!digits) return false;
  // CJK dates: 2019年11月20日 14:35, 2019년 11월 20일
  const words = t.replace(/\d+\s*[年月日时時分秒년월일시분]/gu, ' ').match(/\p{L}[\p{L}\p{M}'’-]*\.?/gu) ?? [];
  const vocabulary = dateWords();
  let named = 0;
  for (const raw of words) {
    const w = raw.toLowerCase().replace(/\.$/, '');
    if (!vocabulary.has(w)) return false;
    if (!DATE_LABELS.includes(w)) named++;
  }
  if (/[^\p{L}\p{M}\d\s,.:;/+\-–—()|·•'’]/u.test(t.replace(/[年月日时時分秒년월일시분]/gu, ''))) return false;
  const shaped = /\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}/.test(t);
  const labelled = words.some((w) => /^(?:updated|published|posted|modified|ago|aktualisiert|veröffentlicht|publié|pubblicato|aggiornato|publicado|actualizado|atualizado|обновлено|опубликовано)$/i.test(w.replace(/\.$/, '')));
  // Enough of a date: a month or day name, or a d/m/y or h:mm shape, or a "published … ago" label with a number.
  if (digits >= 4) return named > 0 || shaped || labelled || /[年月日년월일]/u.test(t);
  return labelled && (shaped || /\bago\b/i.test(t) || named > 0);
}
