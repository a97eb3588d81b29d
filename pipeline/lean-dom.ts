// A lean DOM for the page stages: the tree htmlparser2 gives, with the part of the DOM API that
// Readability 0.6.0 and the extract stage use, in plain objects with sibling links.
//
// Why: on the Zyte pages most of the page stages' time went into linkedom's DOM (parsing,
// Readability's walks, textContent, serialising), whose linked list of nodes holds every
// attribute and an end marker per element, recomputes childNodes and children as new arrays,
// builds a style object per element and compiles a CSS selector per query. Parsing the same
// pages into this DOM took a third of the time, and reading an element's text a fifth.
//
// What it keeps from linkedom, so that the page stages give the same results on both: the same
// parser and parser options (htmlparser2, entities decoded, attribute names as written), the
// same tree (a text node per text event, comments kept, no implied elements; a <head> and a
// <body> made when document.head or .body is asked for and the page has none where linkedom
// looks), tag names upper-cased and local names as created (createElement("P") is "P", which
// getElementsByTagName("p") does not find), class names as a token set (className and
// getAttribute("class") give the tokens once each, joined by a space), serialisation (innerHTML
// as linkedom writes it, so that Readability's restore of the page parses into the same tree),
// and baseURI (the first <base>'s href, else null; documentURI is undefined).
// What it leaves out: events, styles, CSS selectors, namespaces beyond telling <svg> content,
// live collections; none of the page stages use them.
import { Parser } from 'htmlparser2';

const ELEMENT_NODE = 1;
const ATTRIBUTE_NODE = 2;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const COMMENT_NODE = 8;
const DOCUMENT_NODE = 9;
const DOCUMENT_TYPE_NODE = 10;
const DOCUMENT_FRAGMENT_NODE = 11;

// Attributes written without a value when empty (linkedom's list), and of those the ones
// linkedom then leaves out of the markup altogether.
const EMPTY_ATTRIBUTES = new Set([
  'allowfullscreen', 'allowpaymentrequest', 'async', 'autofocus', 'autoplay', 'checked', 'class', 'contenteditable',
  'controls', 'default', 'defer', 'disabled', 'draggable', 'formnovalidate', 'hidden', 'id', 'ismap', 'itemscope',
  'loop', 'multiple', 'muted', 'nomodule', 'novalidate', 'open', 'playsinline', 'readonly', 'required', 'reversed',
  'selected', 'style', 'truespeed',
]);
const DROPPED_WHEN_EMPTY = new Set(['id', 'class', 'style']);
const VOID_ELEMENTS = /^(?:area|base|br|col|embed|hr|img|input|keygen|link|menuitem|meta|param|source|track|wbr)$/i;
const TEXT_ESCAPES: Record<string, string> = { '\xA0': '&#160;', '&': '&amp;', '<': '&lt;', '>': '&gt;' };

const TEXT_SPECIALS = /[<>&\xA0]/;
// Elements whose text is written unescaped: those of HTML's serialisation algorithm (noscript is
// parsed as markup here), and <textarea>, whose content htmlparser2 reads without decoding
// entities, so that what is written parses back into the same text.
const LITERAL_TEXT_PARENTS = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext', 'textarea']);

function escapeText(text: string): string {
  return TEXT_SPECIALS.test(text) ? text.replace(/[<>&\xA0]/g, (c) => TEXT_ESCAPES[c]!) : text;
}

export abstract class LeanNode {
  abstract readonly nodeType: number;
  readonly ownerDocument: LeanDocument;
  parentNode: LeanParent | null = null;
  nextSibling: LeanNode | null = null;
  previousSibling: LeanNode | null = null;

  constructor(ownerDocument: LeanDocument | null) {
    this.ownerDocument = ownerDocument ?? (this as unknown as LeanDocument);
  }

  abstract get nodeName(): string;
  abstract get textContent(): string | null;
  abstract cloneNode(deep?: boolean): LeanNode;
  /** The node as markup (linkedom's toString). */
  abstract toString(): string;

  get nodeValue(): string | null {
    return null;
  }

  get parentElement(): LeanElement | null {
    const parent = this.parentNode;
    return parent && parent.nodeType === ELEMENT_NODE ? (parent as LeanElement) : null;
  }

  get nextElementSibling(): LeanElement | null {
    let node = this.nextSibling;
    while (node && node.nodeType !== ELEMENT_NODE) node = node.nextSibling;
    return node as LeanElement | null;
  }

  get previousElementSibling(): LeanElement | null {
    let node = this.previousSibling;
    while (node && node.nodeType !== ELEMENT_NODE) node = node.previousSibling;
    return node as LeanElement | null;
  }

  get firstChild(): LeanNode | null {
    return null;
  }

  get childNodes(): LeanNode[] {
    return [];
  }

  hasChildNodes(): boolean {
    return this.firstChild !== null;
  }

  remove(): void {
    this.parentNode?.removeChild(this);
  }

  after(...nodes: LeanNode[]): void {
    const parent = this.parentNode;
    if (!parent) return;
    const next = this.nextSibling;
    for (const node of nodes) parent.insertBefore(node, next);
  }

  contains(node: LeanNode | null): boolean {
    for (let cur = node; cur; cur = cur.parentNode) if (cur === this) return true;
    return false;
  }
}

abstract class LeanCharacterData extends LeanNode {
  data: string;

  constructor(ownerDocument: LeanDocument, data: string) {
    super(ownerDocument);
    this.data = String(data);
  }

  override get nodeValue(): string {
    return this.data;
  }

  override set nodeValue(value: string) {
    this.data = String(value);
  }

  get textContent(): string {
    return this.data;
  }

  set textContent(value: string) {
    this.data = String(value);
  }
}

export class LeanText extends LeanCharacterData {
  readonly nodeType = TEXT_NODE;
  get nodeName(): string {
    return '#text';
  }
  cloneNode(): LeanText {
    return new LeanText(this.ownerDocument, this.data);
  }
  override toString(): string {
    // the text of a raw-text element is written as it is (HTML's serialisation algorithm)
    const parent = this.parentNode;
    return parent && parent.nodeType === ELEMENT_NODE && LITERAL_TEXT_PARENTS.has((parent as LeanElement).localName.toLowerCase())
      ? this.data
      : escapeText(this.data);
  }
}

export class LeanCDATASection extends LeanCharacterData {
  readonly nodeType = CDATA_SECTION_NODE;
  get nodeName(): string {
    return '#cdatasection';
  }
  cloneNode(): LeanCDATASection {
    return new LeanCDATASection(this.ownerDocument, this.data);
  }
  override toString(): string {
    return `<![CDATA[${this.data}]]>`;
  }
}

export class LeanComment extends LeanCharacterData {
  readonly nodeType = COMMENT_NODE;
  get nodeName(): string {
    return '#comment';
  }
  cloneNode(): LeanComment {
    return new LeanComment(this.ownerDocument, this.data);
  }
  override toString(): string {
    return `<!--${this.data}-->`;
  }
}

export class LeanDocumentType extends LeanNode {
  readonly nodeType = DOCUMENT_TYPE_NODE;
  readonly name: string;
  constructor(ownerDocument: LeanDocument, name: string) {
    super(ownerDocument);
    this.name = name;
  }
  get nodeName(): string {
    return this.name;
  }
  get textContent(): null {
    return null;
  }
  cloneNode(): LeanDocumentType {
    return new LeanDocumentType(this.ownerDocument, this.name);
  }
  override toString(): string {
    return `<!DOCTYPE ${this.name}>`;
  }
}

export class LeanAttr {
  readonly nodeType = ATTRIBUTE_NODE;
  readonly name: string;
  value: string;
  ownerElement: LeanElement | null = null;
  constructor(name: string, value: string) {
    this.name = name;
    this.value = String(value);
  }
  get localName(): string {
    return this.name;
  }
  cloneNode(): LeanAttr {
    return new LeanAttr(this.name, this.value);
  }
  toString(): string {
    if (EMPTY_ATTRIBUTES.has(this.name) && !this.value) return this.name;
    return `${this.name}="${this.value.includes('"') ? this.value.replace(/"/g, '&quot;') : this.value}"`;
  }
}

/** A node with children, kept as a doubly linked list. */
export abstract class LeanParent extends LeanNode {
  #first: LeanNode | null = null;
  #last: LeanNode | null = null;

  override get firstChild(): LeanNode | null {
    return this.#first;
  }

  get lastChild(): LeanNode | null {
    return this.#last;
  }

  override get childNodes(): LeanNode[] {
    const nodes: LeanNode[] = [];
    for (let node = this.#first; node; node = node.nextSibling) nodes.push(node);
    return nodes;
  }

  get children(): LeanElement[] {
    const elements: LeanElement[] = [];
    for (let node = this.#first; node; node = node.nextSibling) if (node.nodeType === ELEMENT_NODE) elements.push(node as LeanElement);
    return elements;
  }

  get firstElementChild(): LeanElement | null {
    let node = this.#first;
    while (node && node.nodeType !== ELEMENT_NODE) node = node.nextSibling;
    return node as LeanElement | null;
  }

  get lastElementChild(): LeanElement | null {
    let node = this.#last;
    while (node && node.nodeType !== ELEMENT_NODE) node = node.previousSibling;
    return node as LeanElement | null;
  }

  get childElementCount(): number {
    return this.children.length;
  }

  /** Text and CDATA below the node, in document order. */
  get textContent(): string {
    let text = '';
    let node = this.#first;
    while (node) {
      if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) text += (node as LeanCharacterData).data;
      node = next(node, this, true);
    }
    return text;
  }

  set textContent(text: string) {
    this.replaceChildren();
    if (text != null && text !== '') this.appendChild(new LeanText(this.ownerDocument, text));
  }

  insertBefore<N extends LeanNode>(node: N, reference: LeanNode | null): N {
    if (node.nodeType === DOCUMENT_FRAGMENT_NODE) {
      for (const child of (node as unknown as LeanFragment).childNodes) this.insertBefore(child, reference);
      return node;
    }
    if (reference === node) return node;
    node.parentNode?.removeChild(node);
    const previous = reference ? reference.previousSibling : this.#last;
    node.parentNode = this;
    node.previousSibling = previous;
    node.nextSibling = reference;
    if (previous) previous.nextSibling = node;
    else this.#first = node;
    if (reference) reference.previousSibling = node;
    else this.#last = node;
    return node;
  }

  appendChild<N extends LeanNode>(node: N): N {
    return this.insertBefore(node, null);
  }

  removeChild<N extends LeanNode>(node: N): N {
    if (node.parentNode !== this) throw new Error('lean-dom: removeChild of a node that is not a child');
    const { previousSibling: previous, nextSibling: following } = node;
    if (previous) previous.nextSibling = following;
    else this.#first = following;
    if (following) following.previousSibling = previous;
    else this.#last = previous;
    node.parentNode = null;
    node.previousSibling = null;
    node.nextSibling = null;
    return node;
  }

  replaceChild<N extends LeanNode>(node: LeanNode, old: N): N {
    if (node === old) return old;
    const reference = old.nextSibling === node ? node.nextSibling : old.nextSibling;
    this.removeChild(old);
    this.insertBefore(node, reference);
    return old;
  }

  append(...nodes: Array<LeanNode | string>): void {
    for (const node of nodes) this.appendChild(typeof node === 'string' ? new LeanText(this.ownerDocument, node) : node);
  }

  prepend(...nodes: LeanNode[]): void {
    const first = this.#first;
    for (const node of nodes) this.insertBefore(node, first);
  }

  replaceChildren(...nodes: LeanNode[]): void {
    while (this.#first) this.removeChild(this.#first);
    for (const node of nodes) this.appendChild(node);
  }

  /**
   * Elements below with this tag, in document order, as linkedom finds them: the local name
   * equal to `tag`, or its upper-case form equal to `tag`.
   */
  getElementsByTagName(tag: string): LeanElement[] {
    const found: LeanElement[] = [];
    let node = this.#first;
    while (node) {
      if (node.nodeType === ELEMENT_NODE) {
        const el = node as LeanElement;
        if (el.localName === tag || el.tagName === tag) found.push(el);
      }
      node = next(node, this, true);
    }
    return found;
  }

  /** The children as markup. */
  get innerHTML(): string {
    let html = '';
    for (let node = this.#first; node; node = node.nextSibling) html += node.toString();
    return html;
  }

  set innerHTML(html: string) {
    const parsed = parseLean(html, this.ownerDocument);
    this.replaceChildren(...parsed.childNodes);
  }
}

/**
 * The node after `node` in document order within `root`; `enter` says whether to go into
 * `node`'s children. Null past the end of `root`.
 */
function next(node: LeanNode, root: LeanNode, enter: boolean): LeanNode | null {
  if (enter) {
    const child = node.firstChild;
    if (child) return child;
  }
  let cur: LeanNode | null = node;
  while (cur && cur !== root) {
    if (cur.nextSibling) return cur.nextSibling;
    cur = cur.parentNode;
  }
  return null;
}

export class LeanElement extends LeanParent {
  readonly nodeType = ELEMENT_NODE;
  readonly localName: string;
  /** The local name upper-cased (as linkedom gives tagName in an HTML document). */
  readonly tagName: string;
  /** Inside an <svg> (written as `<x />` when empty). */
  readonly inSvg: boolean;
  readonly #attrs: LeanAttr[] = [];
  /** Expandos Readability sets on elements. */
  [key: string]: unknown;

  constructor(ownerDocument: LeanDocument, localName: string, inSvg = false) {
    super(ownerDocument);
    this.localName = localName;
    this.tagName = localName.toUpperCase();
    this.inSvg = inSvg;
  }

  get nodeName(): string {
    return this.tagName;
  }

  /** The attributes in order; the list itself, so a loop over it sees changes as it goes. */
  get attributes(): LeanAttr[] {
    return this.#attrs;
  }

  getAttributeNode(name: string): LeanAttr | null {
    for (const attr of this.#attrs) if (attr.name === name) return attr;
    return null;
  }

  getAttribute(name: string): string | null {
    if (name === 'class') return this.className;
    return this.getAttributeNode(name)?.value ?? null;
  }

  hasAttribute(name: string): boolean {
    return this.getAttributeNode(name) !== null;
  }

  hasAttributes(): boolean {
    return this.#attrs.length > 0;
  }

  getAttributeNames(): string[] {
    return this.#attrs.map((a) => a.name);
  }

  setAttribute(name: string, value: string): void {
    const text = String(value);
    const attr = this.getAttributeNode(name);
    const stored = name === 'class' ? classTokens(text) : text;
    if (attr) attr.value = stored;
    else this.setAttributeNode(new LeanAttr(name, stored));
  }

  setAttributeNode(attr: LeanAttr): LeanAttr | null {
    const previous = this.getAttributeNode(attr.name);
    if (previous === attr) return null;
    attr.ownerElement?.removeAttributeNode(attr);
    if (previous) this.removeAttributeNode(previous);
    if (attr.name === 'class') attr.value = classTokens(attr.value);
    attr.ownerElement = this;
    this.#attrs.push(attr);
    return previous;
  }

  removeAttribute(name: string): void {
    const attr = this.getAttributeNode(name);
    if (attr) this.removeAttributeNode(attr);
  }

  removeAttributeNode(attr: LeanAttr): void {
    const at = this.#attrs.indexOf(attr);
    if (at >= 0) {
      this.#attrs.splice(at, 1);
      attr.ownerElement = null;
    }
  }

  /** Added by the parser, in the order written (a class's tokens once each, as linkedom keeps them). */
  addParsedAttribute(name: string, value: string): void {
    const attr = new LeanAttr(name, name === 'class' ? classTokens(value) : value);
    attr.ownerElement = this;
    this.#attrs.push(attr);
  }

  /** The class attribute's value: kept as its tokens once each on every write (parser, setAttribute, setAttributeNode). */
  get className(): string {
    return this.getAttributeNode('class')?.value ?? '';
  }

  set className(value: string) {
    this.setAttribute('class', value);
  }

  get id(): string {
    return this.getAttributeNode('id')?.value || '';
  }

  set id(value: string) {
    this.setAttribute('id', value);
  }

  /** <img> (as linkedom's HTMLImageElement) reflects src and srcset; other elements have none. */
  get src(): string | undefined {
    return this.localName === 'img' ? this.getAttributeNode('src')?.value || '' : undefined;
  }

  get srcset(): string | undefined {
    return this.localName === 'img' ? this.getAttributeNode('srcset')?.value || '' : undefined;
  }

  /** A <template>'s content: a fragment with copies of its children (as linkedom makes it). */
  get content(): LeanFragment | undefined {
    if (this.localName !== 'template') return undefined;
    const fragment = new LeanFragment(this.ownerDocument);
    for (const child of this.childNodes) fragment.appendChild(child.cloneNode(true));
    return fragment;
  }

  get outerHTML(): string {
    return this.toString();
  }

  closest(tag: string): LeanElement | null {
    for (let el: LeanElement | null = this; el; el = el.parentElement) if (el.localName === tag) return el;
    return null;
  }

  cloneNode(deep = false): LeanElement {
    const clone = new LeanElement(this.ownerDocument, this.localName, this.inSvg);
    for (const attr of this.#attrs) clone.addParsedAttribute(attr.name, attr.value);
    if (deep) for (let node = this.firstChild; node; node = node.nextSibling) clone.appendChild(node.cloneNode(true));
    return clone;
  }

  /** The element as markup, the way linkedom writes it. */
  override toString(): string {
    let html = '';
    let node: LeanNode | null = this;
    // open: an element whose start tag is written up to its attributes, its `>` still due
    let open = false;
    const close = (el: LeanElement): void => {
      if (open) html += el.inSvg ? ' />' : VOID_ELEMENTS.test(el.localName) ? '>' : `></${el.localName}>`;
      else html += `</${el.localName}>`;
      open = false;
    };
    while (node) {
      if (node.nodeType === ELEMENT_NODE) {
        const el = node as LeanElement;
        if (open) html += '>';
        html += `<${el.localName}`;
        for (const attr of el.#attrs) {
          const written = attr.toString();
          if (!DROPPED_WHEN_EMPTY.has(written)) html += ` ${written}`;
        }
        open = true;
        if (el.firstChild) {
          node = el.firstChild;
          continue;
        }
        close(el);
      } else {
        html += (open ? '>' : '') + node.toString();
        open = false;
      }
      // climb to the next node, closing the elements left
      while (node && node !== this && !node.nextSibling) {
        node = node.parentNode;
        if (node) close(node as LeanElement);
      }
      node = node === this || !node ? null : node.nextSibling;
    }
    return html;
  }
}

export class LeanFragment extends LeanParent {
  readonly nodeType = DOCUMENT_FRAGMENT_NODE;
  get nodeName(): string {
    return '#document-fragment';
  }
  cloneNode(deep = false): LeanFragment {
    const clone = new LeanFragment(this.ownerDocument);
    if (deep) for (let node = this.firstChild; node; node = node.nextSibling) clone.appendChild(node.cloneNode(true));
    return clone;
  }
  override toString(): string {
    return this.innerHTML;
  }
}

export class LeanDocument extends LeanParent {
  readonly nodeType = DOCUMENT_NODE;

  constructor() {
    super(null);
  }

  get nodeName(): string {
    return '#document';
  }

  get documentElement(): LeanElement | null {
    return this.firstElementChild;
  }

  /** The first element child of the root when it is a <head>, else a new <head> put first (linkedom's rule). */
  get head(): LeanElement {
    const root = this.documentElement!;
    let head = root.firstElementChild;
    if (!head || head.tagName !== 'HEAD') {
      head = this.createElement('head');
      root.prepend(head);
    }
    return head;
  }

  /** The element after the <head> when it is a <body>, else a new <body> put after the head (linkedom's rule). */
  get body(): LeanElement {
    const head = this.head;
    let body = head.nextElementSibling;
    if (!body || body.tagName !== 'BODY') {
      body = this.createElement('body');
      head.after(body);
    }
    return body;
  }

  get title(): string {
    return this.head.getElementsByTagName('title')[0]?.textContent || '';
  }

  get doctype(): LeanDocumentType | null {
    const first = this.firstChild;
    return first && first.nodeType === DOCUMENT_TYPE_NODE ? (first as LeanDocumentType) : null;
  }

  /** The first <base>'s href (null without one), as linkedom gives it with no window location. */
  get baseURI(): string | null {
    return this.getElementsByTagName('base')[0]?.getAttribute('href') ?? null;
  }

  get documentURI(): undefined {
    return undefined;
  }

  createElement(localName: string): LeanElement {
    return new LeanElement(this, localName);
  }

  createTextNode(data: string): LeanText {
    return new LeanText(this, data);
  }

  createComment(data: string): LeanComment {
    return new LeanComment(this, data);
  }

  createDocumentFragment(): LeanFragment {
    return new LeanFragment(this);
  }

  createAttribute(name: string): LeanAttr {
    return new LeanAttr(name, '');
  }

  cloneNode(deep = false): LeanDocument {
    const clone = new LeanDocument();
    if (deep) for (let node = this.firstChild; node; node = node.nextSibling) clone.appendChild(node.cloneNode(true));
    return clone;
  }

  override toString(): string {
    return this.innerHTML;
  }
}

/** A class attribute's tokens once each, joined by a space (linkedom's classList value). */
function classTokens(value: string): string {
  if (!/\s/.test(value)) return value;
  return [...new Set(value.split(/\s+/).filter(Boolean))].join(' ');
}

const DOCTYPE = /^([a-z:]+)(\s+system|\s+public(\s+"([^"]+)")?)?(\s+"([^"]+)")?/i;

/**
 * Parses markup into a new document's tree (`owner` owns the nodes when given: innerHTML).
 * No element is implied: the tree is the parser's events as they come.
 */
export function parseLean(html: string, owner?: LeanDocument): LeanDocument {
  const doc = new LeanDocument();
  const nodeOwner = owner ?? doc;
  let node: LeanParent = doc;
  let svg: LeanElement | null = null;
  const parser = new Parser(
    {
      onprocessinginstruction(name, data) {
        if (name.toLowerCase() !== '!doctype') return;
        const match = DOCTYPE.exec(data.slice(name.length).trim());
        if (match) doc.insertBefore(new LeanDocumentType(nodeOwner, match[1]!), doc.firstChild);
      },
      onopentag(name, attributes) {
        const el = new LeanElement(nodeOwner, name, svg !== null || name === 'svg' || name === 'SVG');
        if (!svg && el.inSvg) svg = el;
        for (const attr of Object.keys(attributes)) el.addParsedAttribute(attr, attributes[attr]!);
        node.appendChild(el);
        node = el;
      },
      oncomment(data) {
        node.appendChild(new LeanComment(nodeOwner, data));
      },
      ontext(text) {
        node.appendChild(cdata ? new LeanCDATASection(nodeOwner, text) : new LeanText(nodeOwner, text));
      },
      oncdatastart() {
        cdata = true;
      },
      oncdataend() {
        cdata = false;
      },
      onclosetag() {
        if (node === svg) svg = null;
        node = node.parentNode ?? doc;
      },
    },
    { lowerCaseAttributeNames: false, decodeEntities: true, xmlMode: false },
  );
  let cdata = false;
  parser.write(html);
  parser.end();
  return doc;
}
