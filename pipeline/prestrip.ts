// Cuts what the extract stage throws away out of the page's HTML before it is parsed, so that
// none of it becomes DOM nodes: <script> and <style> bodies, inline <svg> drawings, <noscript>
// and <template> copies, embedded frames and objects. A page of the Zyte set is 170 KB of HTML
// on average, 60 % of it such content; every node the DOM builds costs time to parse, to clone
// for Readability and to walk, and memory to collect.
//
// The scanner reads the HTML the way htmlparser2 (linkedom's parser) tokenises it: text up to
// `<`, tags with quoted attribute values, comments, raw-text elements (script, style, title,
// textarea, xmp) up to their end tag. It cuts an element only when its extent is certain: up to
// its own end tag, with every end tag inside it closing an element opened inside it. Whatever it
// is unsure of stays in the HTML, and the extract stage's DOM removal (the same element names)
// takes it out after parsing, as before. JSON-LD scripts (`type="application/ld+json"`) stay:
// the extract stage reads the page's metadata from them.

/** The elements cut with their content (the extract stage's NEVER_CONTENT). */
export const NON_CONTENT_ELEMENTS: ReadonlySet<string> = new Set([
  'script', 'style', 'noscript', 'svg', 'template', 'iframe', 'object', 'embed', 'canvas',
]);

// Elements whose content the tokeniser reads as text up to their own end tag.
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea', 'xmp']);
// Elements without content or end tag.
const VOID = new Set([
  'area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input',
  'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr',
]);
// Elements the parser may close without an end tag when a sibling opens (a <p> by a <div>,
// an <li> by the next <li> …): an end tag of one of them inside a cut element may belong to
// an element outside it, so the cut is not certain.
const IMPLICITLY_CLOSED = new Set([
  'p', 'li', 'tr', 'th', 'td', 'thead', 'tbody', 'tfoot', 'dd', 'dt', 'rt', 'rp', 'option', 'optgroup',
  'select', 'button', 'datalist', 'textarea', 'output', 'head', 'body', 'html',
]);
// Inside these, `<x/>` closes the element (foreign content); elsewhere the slash is ignored.
const FOREIGN = new Set(['svg', 'math']);
const HTML_INTEGRATION = new Set(['mi', 'mo', 'mn', 'ms', 'mtext', 'annotation-xml', 'foreignobject', 'desc', 'title']);

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const EQ = 0x3d;
const DQ = 0x22;
const SQ = 0x27;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
}

function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** One tag as the tokeniser reads it. */
interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
  /** Index just past the tag's `>` (the document's length when the tag runs to its end). */
  end: number;
  /** The value of its `type` attribute (opening tags, when asked for). */
  type?: string;
}

/**
 * The markup item starting at `i` (html[i] is `<`): a tag, or the index past a comment,
 * declaration or processing instruction (`skip`), or undefined when the `<` is text.
 */
function readMarkup(html: string, i: number, wantType: boolean): Tag | { skip: number } | undefined {
  const n = html.length;
  const c = html.charCodeAt(i + 1);
  if (c === BANG) {
    if (html.startsWith('--', i + 2)) {
      const close = html.indexOf('-->', i + 4);
      return { skip: close < 0 ? n : close + 3 };
    }
    if (html.startsWith('[CDATA[', i + 2)) {
      const close = html.indexOf(']]>', i + 9);
      return { skip: close < 0 ? n : close + 3 };
    }
    const close = html.indexOf('>', i + 2);
    return { skip: close < 0 ? n : close + 1 };
  }
  if (c === QUESTION) {
    const close = html.indexOf('>', i + 2);
    return { skip: close < 0 ? n : close + 1 };
  }
  if (c === SLASH) {
    // `</ div>` closes a div; the name runs to space or `>` (`</div/>` names "div/"); `</>` and `</3>` close nothing
    let j = i + 2;
    while (j < n && isSpace(html.charCodeAt(j))) j++;
    const close = html.indexOf('>', j);
    const end = close < 0 ? n : close + 1;
    if (!isAlpha(html.charCodeAt(j))) return { skip: end };
    const nameStart = j;
    while (j < n) {
      const e = html.charCodeAt(j);
      if (e === GT || isSpace(e)) break;
      j++;
    }
    return { name: html.slice(nameStart, j).toLowerCase(), closing: true, selfClosing: false, end };
  }
  if (!isAlpha(c)) return undefined;
  let j = i + 2;
  while (j < n) {
    const e = html.charCodeAt(j);
    if (e === GT || e === SLASH || isSpace(e)) break;
    j++;
  }
  const tag: Tag = { name: html.slice(i + 1, j).toLowerCase(), closing: false, selfClosing: false, end: n };
  // Attributes: a name runs to `=`, space, `/` or `>`; a value after `=` is quoted or runs to space or `>`.
  while (j < n) {
    const e = html.charCodeAt(j);
    if (e === GT) {
      tag.end = j + 1;
      return tag;
    }
    if (e === SLASH) {
      j++;
      while (j < n && isSpace(html.charCodeAt(j))) j++;
      if (html.charCodeAt(j) === GT) {
        tag.selfClosing = true;
        tag.end = j + 1;
        return tag;
      }
      continue;
    }
    if (isSpace(e)) {
      j++;
      continue;
    }
    const nameStart = j;
    j++; // the first character of a name may be anything else, `=` included
    while (j < n) {
      const f = html.charCodeAt(j);
      if (f === EQ || f === GT || f === SLASH || isSpace(f)) break;
      j++;
    }
    const attrName = html.slice(nameStart, j);
    let k = j;
    while (k < n && isSpace(html.charCodeAt(k))) k++;
    if (html.charCodeAt(k) !== EQ) {
      j = k;
      continue;
    }
    k++;
    while (k < n && isSpace(html.charCodeAt(k))) k++;
    const q = html.charCodeAt(k);
    let value: string;
    if (q === DQ || q === SQ) {
      const close = html.indexOf(q === DQ ? '"' : "'", k + 1);
      if (close < 0) return tag; // an unclosed quote runs to the end
      value = html.slice(k + 1, close);
      j = close + 1;
    } else {
      let m = k;
      while (m < n) {
        const f = html.charCodeAt(m);
        if (f === GT || isSpace(f)) break;
        m++;
      }
      value = html.slice(k, m);
      j = m;
    }
    if (wantType && tag.type === undefined && attrName.toLowerCase() === 'type') tag.type = value;
  }
  return tag;
}

const RAW_TEXT_END = new Map([...RAW_TEXT].map((name) => [name, new RegExp(`</${name}[ \\n\\t\\f\\r>]`, 'gi')]));

/** Index past the end tag of raw-text element `name` whose content starts at `from`; the document's length without one. */
function rawTextEnd(html: string, name: string, from: number): number {
  const re = RAW_TEXT_END.get(name)!;
  re.lastIndex = from;
  const m = re.exec(html);
  if (!m) return html.length;
  const close = html.indexOf('>', m.index + name.length + 2);
  return close < 0 ? html.length : close + 1;
}

/** The tags of `html` from `pos` on, one by one; comments and declarations skipped, `<` of text passed over. */
class TagScanner {
  /** Where the scan goes on: past the last tag read (move it to skip content). */
  pos: number;
  /** Where the last tag read starts (its `<`). */
  start = -1;
  private readonly html: string;
  private readonly wantType: boolean;

  constructor(html: string, pos: number, wantType: boolean) {
    this.html = html;
    this.pos = pos;
    this.wantType = wantType;
  }

  next(): Tag | undefined {
    const { html } = this;
    while (this.pos < html.length) {
      const lt = html.indexOf('<', this.pos);
      if (lt < 0) break;
      const item = readMarkup(html, lt, this.wantType);
      if (!item) {
        this.pos = lt + 1;
        continue;
      }
      if ('skip' in item) {
        this.pos = item.skip;
        continue;
      }
      this.pos = item.end;
      this.start = lt;
      return item;
    }
    this.pos = html.length;
    return undefined;
  }
}

/**
 * Where the element opened by `open` (ending at `from`) ends when that is certain: the index
 * past its own end tag, with every end tag inside it closing an element opened inside it.
 * Undefined otherwise.
 */
function elementEnd(html: string, open: Tag, from: number): number | undefined {
  const stack: string[] = [open.name];
  const foreign: boolean[] = [FOREIGN.has(open.name)];
  const scan = new TagScanner(html, from, false);
  for (let item = scan.next(); item; item = scan.next()) {
    if (item.closing) {
      if (VOID.has(item.name)) continue; // `</br>` and the like open nothing we track
      if (FOREIGN.has(item.name) || HTML_INTEGRATION.has(item.name)) foreign.shift();
      const at = stack.lastIndexOf(item.name);
      if (at < 0 || IMPLICITLY_CLOSED.has(item.name)) return undefined;
      stack.length = at;
      if (at === 0) return scan.pos;
      continue;
    }
    if (RAW_TEXT.has(item.name) && !item.selfClosing) {
      scan.pos = rawTextEnd(html, item.name, scan.pos);
      continue;
    }
    if (VOID.has(item.name)) continue;
    if (FOREIGN.has(item.name)) foreign.unshift(true);
    else if (HTML_INTEGRATION.has(item.name)) foreign.unshift(false);
    if (item.selfClosing && foreign[0]) {
      if (FOREIGN.has(item.name) || HTML_INTEGRATION.has(item.name)) foreign.shift();
      continue;
    }
    stack.push(item.name);
  }
  return undefined;
}

function isJsonLd(type: string | undefined): boolean {
  return !!type && type.trim().toLowerCase() === 'application/ld+json';
}

/** The page's HTML without the elements of NON_CONTENT_ELEMENTS whose extent is certain. */
export function stripNonContent(html: string): string {
  const kept: string[] = [];
  let keptFrom = 0;
  const scan = new TagScanner(html, 0, true);
  for (let item = scan.next(); item; item = scan.next()) {
    if (item.closing) continue;
    const lt = scan.start;
    const name = item.name;
    let end: number | undefined;
    if (RAW_TEXT.has(name) && !item.selfClosing) {
      end = rawTextEnd(html, name, scan.pos);
      scan.pos = end;
      if (name !== 'script' && name !== 'style') continue;
    } else if (!NON_CONTENT_ELEMENTS.has(name)) {
      continue;
    } else if (VOID.has(name) || (item.selfClosing && FOREIGN.has(name))) {
      end = scan.pos;
    } else {
      // `<iframe/>` and `<script/>` open an element like any other outside <svg>
      end = elementEnd(html, item, scan.pos);
      if (end === undefined) continue; // not certain: left to the DOM removal
      scan.pos = end;
    }
    if (name === 'script' && isJsonLd(item.type)) continue;
    // `a<` + `b>` would make a tag of text: such a cut is left to the DOM removal too
    if (html.charCodeAt(lt - 1) === LT) continue;
    kept.push(html.slice(keptFrom, lt));
    keptFrom = end;
  }
  if (keptFrom === 0) return html;
  kept.push(html.slice(keptFrom));
  return kept.join('');
}
