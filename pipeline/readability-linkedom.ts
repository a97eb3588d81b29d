// Readability (0.6.0, pinned) on linkedom, with two of its helpers answered the cheap way. On
// linkedom they were a fifth of Readability's time on the Zyte pages:
//
// - finding elements by tag: Readability asks querySelectorAll("p") and the like hundreds of
//   times per page; linkedom compiles the selector with css-select at every call. A walk of the
//   subtree finds the same elements in the same order: tags compared without case (elements
//   Readability creates as createElement("P") have the local name "P", which css-select matches
//   and linkedom's getElementsByTagName("p") does not), template content not searched.
// - visibility: Readability reads node.style.display and .visibility of every element it visits;
//   linkedom builds a CSSStyleDeclaration (a Map behind a Proxy) for each element and re-reads the
//   style attribute at every property read. The two properties are read from the attribute the
//   way linkedom reads it: declarations split at `;`, name and value at the first `:`, both
//   trimmed, the last declaration of a name winning, names compared as written.
//
// Both give the same answers as the methods they replace on a linkedom document, which the
// extract stage checks by running both on the Zyte pages (test/integration/readability-linkedom.test.ts).
import { Readability } from '@mozilla/readability';
import { elementsBelow, tagOf } from './dom-walk.ts';

/** The value linkedom's `element.style[name]` gives for a lower-case property name. */
export function declaredStyle(el: Element, name: string): string | undefined {
  const style = el.getAttributeNode('style')?.value;
  if (!style) return undefined;
  let value: string | undefined;
  for (const declaration of style.split(/\s*;\s*/)) {
    const colon = declaration.indexOf(':');
    if (colon < 0 || declaration.slice(0, colon).trim() !== name) continue;
    const v = declaration.slice(colon + 1).trim();
    if (v) value = v;
  }
  return value;
}

// The helpers replaced, as Readability 0.6.0 declares them (private to it, so not in its types).
interface ReadabilityHelpers {
  _getAllNodesWithTag(node: ParentNode, tagNames: string[]): ArrayLike<Element>;
  _isProbablyVisible(node: Element): boolean;
}

export class LinkedomReadability<T = string> extends Readability<T> {}

const helpers = LinkedomReadability.prototype as unknown as ReadabilityHelpers;

helpers._getAllNodesWithTag = function (node: ParentNode, tagNames: string[]): ArrayLike<Element> {
  const tags = new Set(tagNames.map((t) => t.toLowerCase()));
  return elementsBelow(node).filter((el) => tags.has(tagOf(el)));
};

helpers._isProbablyVisible = function (node: Element): boolean {
  if (declaredStyle(node, 'display') === 'none' || declaredStyle(node, 'visibility') === 'hidden') return false;
  if (node.hasAttribute('hidden')) return false;
  if (node.getAttribute('aria-hidden') !== 'true') return true;
  // aria-hidden pictures marked as fallback images (Wikimedia's formulas) stay
  const className = (node as { className?: unknown }).className;
  return typeof className === 'string' && className.includes('fallback-image');
};
