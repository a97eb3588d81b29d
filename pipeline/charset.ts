// Bytes → text for feeds and pages. The order of evidence follows the WHATWG Encoding and
// HTML standards (BOM, then transport, then the document's own declaration, then sniffing),
// with one deliberate deviation: a declared UTF-8 that is not valid UTF-8 is not trusted —
// servers and CMSs often claim UTF-8 for legacy bytes.
import chardet from 'chardet';
import iconv from 'iconv-lite';

export type CharsetSource = 'bom' | 'header' | 'xml-declaration' | 'meta' | 'sniffed' | 'default';

export interface DecodeHints {
  /** The HTTP Content-Type header, if any. */
  contentType?: string;
  kind: 'xml' | 'html' | 'json';
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

// Labels that browsers map to another decoder (WHATWG Encoding §4.2 "Names and labels").
const ALIASES: Record<string, Encoding> = {
  'utf8': UTF8, 'utf-8': UTF8, 'unicode-1-1-utf-8': UTF8, 'x-unicode20utf8': UTF8,
  // ASCII and Latin-1 are decoded as windows-1252, like browsers do (0x80–0x9F are printable there).
  'us-ascii': WINDOWS_1252, 'ascii': WINDOWS_1252, 'ansi_x3.4-1968': WINDOWS_1252, 'iso-8859-1': WINDOWS_1252,
  'iso8859-1': WINDOWS_1252, 'iso_8859-1': WINDOWS_1252, 'iso88591': WINDOWS_1252, 'latin1': WINDOWS_1252,
  'l1': WINDOWS_1252, 'cp819': WINDOWS_1252, 'ibm819': WINDOWS_1252, 'cp1252': WINDOWS_1252,
  'x-cp1252': WINDOWS_1252, 'windows-1252': WINDOWS_1252, 'csisolatin1': WINDOWS_1252,
  'iso-8859-9': enc('windows-1254'), 'latin5': enc('windows-1254'), 'iso-8859-11': enc('windows-874'),
  'tis-620': enc('windows-874'),
  // GB family: gb18030 decodes all of GB2312 and GBK.
  'gb2312': enc('gbk', 'gb18030'), 'gbk': enc('gbk', 'gb18030'), 'x-gbk': enc('gbk', 'gb18030'),
  'cp936': enc('gbk', 'gb18030'), 'chinese': enc('gbk', 'gb18030'), 'csgb2312': enc('gbk', 'gb18030'),
  'gb_2312-80': enc('gbk', 'gb18030'), 'iso-ir-58': enc('gbk', 'gb18030'), 'euc-cn': enc('gbk', 'gb18030'),
  'gb18030': enc('gb18030'),
  // Big5 as browsers decode it includes the HKSCS extensions.
  'big5': enc('big5', 'big5hkscs'), 'big5-hkscs': enc('big5', 'big5hkscs'), 'cn-big5': enc('big5', 'big5hkscs'),
  'x-x-big5': enc('big5', 'big5hkscs'), 'csbig5': enc('big5', 'big5hkscs'), 'cp950': enc('big5', 'big5hkscs'),
  // Shift_JIS as browsers decode it is windows-31j.
  'shift_jis': enc('shift_jis', 'cp932'), 'shift-jis': enc('shift_jis', 'cp932'), 'sjis': enc('shift_jis', 'cp932'),
  'ms_kanji': enc('shift_jis', 'cp932'), 'x-sjis': enc('shift_jis', 'cp932'), 'windows-31j': enc('shift_jis', 'cp932'),
  'csshiftjis': enc('shift_jis', 'cp932'), 'cp932': enc('shift_jis', 'cp932'),
  // EUC-KR as browsers decode it is windows-949.
  'euc-kr': enc('euc-kr', 'cp949'), 'ks_c_5601-1987': enc('euc-kr', 'cp949'), 'windows-949': enc('euc-kr', 'cp949'),
  'cp949': enc('euc-kr', 'cp949'), 'cseuckr': enc('euc-kr', 'cp949'), 'korean': enc('euc-kr', 'cp949'),
  'x-mac-cyrillic': enc('x-mac-cyrillic', 'maccyrillic'), 'x-mac-roman': enc('macintosh'), 'mac': enc('macintosh'),
  'utf-16': UTF16LE, 'utf-16le': UTF16LE, 'utf-16be': UTF16BE, 'ucs-2': UTF16LE, 'unicode': UTF16LE,
  'utf-32': UTF32LE, 'utf-32le': UTF32LE, 'utf-32be': UTF32BE,
};

/** The encoding a label names, or undefined when we cannot decode it. */
export function normaliseCharset(label: string | undefined): Encoding | undefined {
  if (!label) return undefined;
  const l = label.trim().replace(/^["']|["']$/g, '').toLowerCase();
  if (!l) return undefined;
  const known = ALIASES[l];
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

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
function isValidUtf8(b: Buffer): boolean {
  try {
    fatalUtf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

function sniff(b: Buffer): Encoding | undefined {
  if (isValidUtf8(b)) return UTF8;
  const guess = chardet.detect(b);
  return normaliseCharset(guess ?? undefined);
}

function decodeWith(b: Buffer, e: Encoding, source: CharsetSource): Decoded {
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
  for (const byte of b) if (byte > 0x7f) return true;
  return false;
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

  const sniffed = sniff(bytes);
  if (sniffed) return decodeWith(bytes, sniffed, 'sniffed');
  // Nothing to go on: XML and JSON default to UTF-8; HTML to windows-1252 as browsers in most locales do.
  return decodeWith(bytes, hints.kind === 'html' ? WINDOWS_1252 : UTF8, 'default');
}
