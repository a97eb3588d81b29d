// Bytes → text for feeds and pages. The order of evidence follows the WHATWG Encoding and
// HTML standards (BOM, then transport, then the document's own declaration, then sniffing),
// with one deliberate deviation: a declared UTF-8 that is not valid UTF-8 is not trusted —
// servers and CMSs often claim UTF-8 for legacy bytes.
import { isAscii, isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import iconv from 'iconv-lite';

export type CharsetSource = 'bom' | 'header' | 'xml-declaration' | 'meta' | 'sniffed' | 'default';

export interface DecodeHints {
  /** The HTTP Content-Type header, if any. */
  contentType?: string;
  kind: 'xml' | 'html' | 'json';
  /**
   * The language the document is expected to be in (e.g. the feed's configured language hint).
   * Only consulted when the bytes must be sniffed and chardet is unsure; the document's own
   * `<html lang>` / `<language>` / `xml:lang` is used when this is absent.
   */
  language?: string;
}

export interface Decoded {
  text: string;
  /** Normalised name of the encoding used (lower case, e.g. `utf-8`, `windows-1251`, `gbk`). */
  charset: string;
  source: CharsetSource;
}

interface Encoding {
  /** Name we report. */
  name: string;
  /** iconv-lite codec used to decode (a superset where browsers use one). */
  codec: string;
}

const enc = (name: string, codec = name): Encoding => ({ name, codec });
const UTF8 = enc('utf-8', 'utf8');
const UTF16LE = enc('utf-16le');
const UTF16BE = enc('utf-16be');
const UTF32LE = enc('utf-32le');
const UTF32BE = enc('utf-32be');
const WINDOWS_1252 = enc('windows-1252');

// Labels as browsers read them (WHATWG Encoding §4.2 "Names and labels"), for the encodings
// iconv-lite decodes; several labels map to a superset decoder, as in browsers.
const GBK = enc('gbk', 'gb18030'); // gb18030 decodes all of GB2312 and GBK
const BIG5 = enc('big5', 'big5hkscs'); // Big5 as browsers decode it includes the HKSCS extensions
const SHIFT_JIS = enc('shift_jis', 'cp932'); // Shift_JIS as browsers decode it is windows-31j
const EUC_KR = enc('euc-kr', 'cp949'); // EUC-KR as browsers decode it is windows-949 (UHC)
const LABELS: Array<[Encoding, string]> = [
  [UTF8, 'utf-8 utf8 unicode-1-1-utf-8 unicode11utf8 unicode20utf8 x-unicode20utf8'],
  // ASCII and Latin-1 are decoded as windows-1252 (0x80–0x9F are printable there, C1 controls in Latin-1).
  [WINDOWS_1252, 'windows-1252 cp1252 x-cp1252 ansi_x3.4-1968 ascii us-ascii cp819 ibm819 csisolatin1 iso-ir-100 l1 latin1 iso-8859-1 iso_8859-1:1987'],
  // ISO-8859-9 (Latin-5) is decoded as its superset windows-1254, ISO-8859-11 as windows-874.
  [enc('windows-1254'), 'windows-1254 cp1254 x-cp1254 csisolatin5 iso-ir-148 l5 latin5 iso-8859-9 iso_8859-9:1989'],
  [enc('windows-874'), 'windows-874 dos-874 tis-620 iso-8859-11'],
  [enc('iso-8859-2'), 'csisolatin2 iso-ir-101 l2 latin2 iso_8859-2:1987'],
  [enc('iso-8859-3'), 'csisolatin3 iso-ir-109 l3 latin3 iso_8859-3:1988'],
  [enc('iso-8859-4'), 'csisolatin4 iso-ir-110 l4 latin4 iso_8859-4:1988'],
  [enc('iso-8859-5'), 'csisolatincyrillic cyrillic iso-ir-144 iso_8859-5:1988'],
  [enc('iso-8859-6'), 'arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6-e iso-8859-6-i iso-ir-127 iso_8859-6:1987'],
  [enc('iso-8859-7'), 'csisolatingreek ecma-118 elot_928 greek greek8 iso-ir-126 sun_eu_greek iso_8859-7:1987'],
  [enc('iso-8859-8'), 'csiso88598e csisolatinhebrew hebrew iso-8859-8-e iso-ir-138 visual iso_8859-8:1988 csiso88598i iso-8859-8-i logical'],
  [enc('iso-8859-10'), 'csisolatin6 iso-ir-157 l6 latin6'],
  [enc('iso-8859-15'), 'csisolatin9 l9'],
  [enc('koi8-r'), 'koi8-r koi8_r koi8 koi cskoi8r'],
  [enc('koi8-u'), 'koi8-u koi8-ru'],
  [enc('ibm866'), 'ibm866 866 cp866 csibm866'],
  [enc('macintosh'), 'macintosh mac csmacintosh x-mac-roman'],
  [enc('x-mac-cyrillic', 'maccyrillic'), 'x-mac-cyrillic x-mac-ukrainian'],
  [GBK, 'gbk gb2312 x-gbk cp936 chinese csgb2312 csiso58gb231280 gb_2312 gb_2312-80 iso-ir-58 euc-cn'],
  [enc('gb18030'), 'gb18030'],
  [BIG5, 'big5 big5-hkscs cn-big5 x-x-big5 csbig5 cp950'],
  [enc('euc-jp'), 'euc-jp x-euc-jp cseucpkdfmtjapanese'],
  [SHIFT_JIS, 'shift_jis shift-jis sjis ms_kanji ms932 x-sjis windows-31j csshiftjis cp932'],
  [EUC_KR, 'euc-kr ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 iso-ir-149 csksc56011987 windows-949 cp949 cseuckr korean'],
  [UTF16LE, 'utf-16 utf-16le ucs-2 unicode csunicode iso-10646-ucs-2 unicodefeff'],
  [UTF16BE, 'utf-16be unicodefffe'],
  [UTF32LE, 'utf-32 utf-32le'],
  [UTF32BE, 'utf-32be'],
];
const ALIASES = new Map<string, Encoding>(LABELS.flatMap(([e, labels]) => labels.split(' ').map((l) => [l, e] as const)));

/** `iso8859-2`, `iso_8859-2`, `iso88592` … → `iso-8859-2` (then looked up, so 1, 9 and 11 still map to windows-*). */
function isoLabel(l: string): string {
  const m = /^iso[-_]?8859[-_]?(\d{1,2})$/.exec(l);
  return m ? `iso-8859-${m[1]}` : l;
}

/** The encoding a label names, or undefined when we cannot decode it. */
export function normaliseCharset(label: string | undefined): Encoding | undefined {
  if (!label) return undefined;
  const l = isoLabel(label.trim().replace(/^["']|["']$/g, '').toLowerCase());
  if (!l) return undefined;
  const known = ALIASES.get(l);
  if (known) return known;
  if (/^(windows|cp)-?125\d$/.test(l)) return enc(`windows-${l.slice(-4)}`);
  if (iconv.encodingExists(l)) return enc(l);
  return undefined;
}

const isUtf16or32 = (e: Encoding): boolean => /^utf-(16|32)/.test(e.name);

/** Byte-order marks; UTF-32 only for XML, whose spec (Appendix F) knows it — WHATWG reads FF FE 00 00 as UTF-16LE. */
function fromBom(b: Buffer, kind: DecodeHints['kind']): Encoding | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return UTF8;
  if (kind === 'xml' && b[0] === 0x00 && b[1] === 0x00 && b[2] === 0xfe && b[3] === 0xff) return UTF32BE;
  if (kind === 'xml' && b[0] === 0xff && b[1] === 0xfe && b[2] === 0x00 && b[3] === 0x00) return UTF32LE;
  if (b[0] === 0xfe && b[1] === 0xff) return UTF16BE;
  if (b[0] === 0xff && b[1] === 0xfe) return UTF16LE;
  return undefined;
}

/** XML without a BOM: the first characters `<?` reveal a UTF-16/32 layout (XML 1.0 Appendix F). */
function fromXmlLayout(b: Buffer): Encoding | undefined {
  const head = b.subarray(0, 4).toString('hex');
  if (head === '0000003c') return UTF32BE;
  if (head === '3c000000') return UTF32LE;
  if (head === '003c003f') return UTF16BE;
  if (head === '3c003f00') return UTF16LE;
  return undefined;
}

export function charsetFromContentType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return m?.[2];
}

function fromXmlDeclaration(b: Buffer): string | undefined {
  const head = b.subarray(0, 1024).toString('latin1');
  const m = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']\s*([^"'\s]+)\s*["']/i.exec(head);
  return m?.[1];
}

function fromMeta(b: Buffer): string | undefined {
  const head = b.subarray(0, 4096).toString('latin1');
  // <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
  const m = /<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([^"'\s;/>]+)/i.exec(head);
  return m?.[1];
}

// node:buffer's validator: no string made (a page's bytes were decoded twice when validity was
// checked by decoding)
function isValidUtf8(b: Buffer): boolean {
  return isUtf8(b);
}

/**
 * The encoding of undeclared (or wrongly declared) bytes.
 * 1. Valid UTF-8 is UTF-8.
 * 2. chardet (a port of ICU's detector) ranks candidates on the document's text with its markup
 *    removed: measured on test/unit/charset.test.ts, a short Cyrillic, Greek or Polish text inside a
 *    few KiB of ASCII markup is otherwise read as ISO-8859-1 (ICU's own detector offers an input
 *    filter that drops tags for the same reason).
 * 3. A candidate whose decoding yields U+FFFD or C1 control characters (more than 2% of the
 *    non-ASCII characters) cannot be right and is skipped, and so is UTF-16/32 without a BOM.
 * 4. When chardet is unsure (below SURE) — on titles of a few words it is blind: every CJK
 *    encoding at 10, Cyrillic often not listed at all — the language the caller or the document
 *    declares names the candidates: its legacy encodings, ranked by the shape of their decoding
 *    (see textShape), then by chardet's confidence, then by how common they are. Only languages
 *    that need a non-Western encoding count: a template's lang="en" over other text is common.
 * Undefined when nothing is plausible; the caller then uses its default.
 */
function sniff(b: Buffer, kind: DecodeHints['kind'], language: string | undefined): Encoding | undefined {
  if (isValidUtf8(b)) return UTF8;
  const sample = textSample(b, kind);
  const ranked: Array<{ encoding: Encoding; confidence: number }> = [];
  for (const match of chardet.analyse(sample)) {
    const encoding = normaliseCharset(match.name);
    if (!encoding || encoding === UTF8 || isUtf16or32(encoding) || match.confidence <= 0) continue;
    if (ranked.some((c) => c.encoding.name === encoding.name) || !plausible(iconv.decode(sample, encoding.codec))) continue;
    ranked.push({ encoding, confidence: match.confidence });
  }
  const top = ranked[0];
  if (top && top.confidence >= SURE) return top.encoding;
  const choices = legacyEncodingsOf(language ?? declaredLanguage(b, kind))
    .map((encoding, order) => {
      const text = iconv.decode(sample, encoding.codec);
      const confidence = ranked.find((c) => c.encoding.name === encoding.name)?.confidence ?? 0;
      return { encoding, text, shape: textShape(text), confidence, order };
    })
    .filter((c) => plausible(c.text))
    .sort((x, y) => y.shape - x.shape || y.confidence - x.confidence || x.order - y.order);
  return choices[0]?.encoding ?? top?.encoding;
}

/** chardet's confidence (0–100) from which its first choice stands against the declared language. */
const SURE = 50;

/**
 * How much a decoding looks like running text: lower-case letters outnumber capitals (which
 * tells KOI8-R from windows-1251, whose letter cases sit in each other's byte ranges), and
 * half-width katakana or private-use characters are rare (which tells EUC-JP bytes read as
 * Shift_JIS). Zero for scripts without case.
 */
function textShape(text: string): number {
  let shape = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) continue;
    if ((c >= 0xff61 && c <= 0xff9f) || (c >= 0xe000 && c <= 0xf8ff)) shape -= 2;
    else if (ch !== ch.toUpperCase()) shape++;
    else if (ch !== ch.toLowerCase()) shape--;
  }
  return shape;
}

/** The bytes of the document's text: scripts, styles, comments and tags removed (all ASCII-delimited). */
function textSample(b: Buffer, kind: DecodeHints['kind']): Buffer {
  let s = b.toString('latin1').replace(/<!--[\s\S]*?-->/g, ' ');
  if (kind === 'html') s = s.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  s = s.replace(/<!\[CDATA\[|\]\]>/g, ' ').replace(/<[^>]*>/g, ' ').replace(/[ \t\r\n]+/g, ' ');
  const sample = Buffer.from(s, 'latin1');
  return hasNonAscii(sample) ? sample : b;
}

function plausible(text: string): boolean {
  let nonAscii = 0;
  let bad = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) continue;
    nonAscii++;
    if (c === 0xfffd || c < 0xa0) bad++;
  }
  return bad <= nonAscii * 0.02;
}

/** The language the document declares: <html lang>, RSS <language>/<dc:language>, Atom xml:lang. */
function declaredLanguage(b: Buffer, kind: DecodeHints['kind']): string | undefined {
  const head = b.subarray(0, 8192).toString('latin1');
  const m =
    kind === 'html'
      ? /<html\b[^>]*?\blang\s*=\s*["']?\s*([a-z]{2,3}(?:[-_][a-z0-9]{2,8})*)/i.exec(head)
      : (/<(?:dc:)?language>\s*([a-z]{2,3}(?:[-_][a-z0-9]{2,8})*)/i.exec(head) ??
        /\bxml:lang\s*=\s*["']\s*([a-z]{2,3}(?:[-_][a-z0-9]{2,8})*)/i.exec(head));
  return m?.[1]?.toLowerCase();
}

// The legacy encodings text in a language is found in, most common first (the defaults browsers
// derive from a locale; WHATWG HTML §13.2.3.3 "the user's locale" table). Western languages are
// left out on purpose: see sniff().
const LEGACY_ENCODINGS: Record<string, string[]> = {
  ru: ['windows-1251', 'koi8-r', 'iso-8859-5', 'ibm866'],
  uk: ['windows-1251', 'koi8-u', 'koi8-r'],
  be: ['windows-1251'], bg: ['windows-1251'], sr: ['windows-1251'], mk: ['windows-1251'], kk: ['windows-1251'],
  zh: ['gbk', 'gb18030', 'big5'],
  ja: ['shift_jis', 'euc-jp'],
  ko: ['euc-kr'],
  el: ['iso-8859-7', 'windows-1253'],
  tr: ['windows-1254'], az: ['windows-1254'],
  pl: ['iso-8859-2', 'windows-1250'], cs: ['iso-8859-2', 'windows-1250'], sk: ['iso-8859-2', 'windows-1250'],
  hu: ['iso-8859-2', 'windows-1250'], sl: ['iso-8859-2', 'windows-1250'], hr: ['iso-8859-2', 'windows-1250'],
  ro: ['iso-8859-2', 'windows-1250'],
  lt: ['windows-1257', 'iso-8859-13'], lv: ['windows-1257', 'iso-8859-13'], et: ['windows-1257', 'iso-8859-13'],
  he: ['windows-1255', 'iso-8859-8'], ar: ['windows-1256', 'iso-8859-6'], fa: ['windows-1256'], ur: ['windows-1256'],
  th: ['windows-874'], vi: ['windows-1258'],
};

/** The legacy encodings of a BCP-47 tag; Chinese written in Taiwan, Hong Kong, Macau or in traditional characters: Big5 first. */
function legacyEncodingsOf(language: string | undefined): Encoding[] {
  const subtags = language?.toLowerCase().split(/[-_]/) ?? [];
  let names = LEGACY_ENCODINGS[subtags[0] ?? ''] ?? [];
  if (subtags[0] === 'zh' && subtags.slice(1).some((t) => ['tw', 'hk', 'mo', 'hant'].includes(t))) names = ['big5', 'gbk', 'gb18030'];
  return names.map((n) => normaliseCharset(n)).filter((e): e is Encoding => e !== undefined);
}

function decodeWith(b: Buffer, e: Encoding, source: CharsetSource): Decoded {
  // valid UTF-8 without a BOM: Node's own decoder gives the same string, faster
  if (e === UTF8 && !(b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) && isUtf8(b)) return { text: b.toString('utf8'), charset: e.name, source };
  // iconv-lite strips a leading BOM by default.
  return { text: iconv.decode(b, e.codec), charset: e.name, source };
}

/**
 * What a declaration (header, XML declaration, meta) leads to: undefined when the label is unknown
 * or cannot be right, so the next source is consulted.
 * - a declared UTF-8 that is not valid UTF-8 is not trusted;
 * - a declared legacy encoding over bytes that are valid UTF-8 *with* non-ASCII sequences is
 *   overruled: such bytes are almost never legacy text, while mislabelled UTF-8 is common
 *   (Miniflux's encoding testdata has both: utf8-incorrect-prolog, windows-1252-incorrect-prolog).
 */
function fromDeclaration(label: string | undefined, b: Buffer, source: CharsetSource): Decoded | undefined {
  const e = normaliseCharset(label);
  if (!e) return undefined;
  // A document that could be read as ASCII to find its own declaration is not UTF-16/32
  // (WHATWG HTML §13.2.3.3 treats such a meta as UTF-8; we just move on).
  if (source !== 'header' && isUtf16or32(e)) return undefined;
  if (e === UTF8) return isValidUtf8(b) ? decodeWith(b, e, source) : undefined;
  if (!isUtf16or32(e) && hasNonAscii(b) && isValidUtf8(b)) return decodeWith(b, UTF8, 'sniffed');
  return decodeWith(b, e, source);
}

function hasNonAscii(b: Buffer): boolean {
  return !isAscii(b);
}

/** Decodes a document's bytes, saying which encoding was used and on what evidence. */
export function decodeBytes(bytes: Buffer, hints: DecodeHints): Decoded {
  const bom = fromBom(bytes, hints.kind);
  if (bom) return decodeWith(bytes, bom, 'bom');

  const header = fromDeclaration(charsetFromContentType(hints.contentType), bytes, 'header');
  if (header) return header;

  if (hints.kind === 'xml') {
    const layout = fromXmlLayout(bytes);
    if (layout) return decodeWith(bytes, layout, 'sniffed');
    const declared = fromDeclaration(fromXmlDeclaration(bytes), bytes, 'xml-declaration');
    if (declared) return declared;
  } else if (hints.kind === 'html') {
    const declared = fromDeclaration(fromMeta(bytes), bytes, 'meta');
    if (declared) return declared;
  } else if (isValidUtf8(bytes)) {
    // RFC 8259 §8.1: JSON exchanged between systems is UTF-8.
    return decodeWith(bytes, UTF8, 'default');
  }

  const sniffed = sniff(bytes, hints.kind, hints.language);
  if (sniffed) return decodeWith(bytes, sniffed, 'sniffed');
  // Nothing to go on: XML and JSON default to UTF-8; HTML to windows-1252 as browsers in most locales do.
  return decodeWith(bytes, hints.kind === 'html' ? WINDOWS_1252 : UTF8, 'default');
}
