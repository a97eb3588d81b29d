// Walking a subtree without CSS selectors: linkedom compiles a selector with css-select at every
// querySelectorAll call, which the page stages made hundreds of times per page for plain tag and
// attribute tests.

/**
 * The elements below `root` (not `root` itself) in document order, as querySelectorAll('*')
 * lists them: the content of a <template> is not searched.
 */
export function elementsBelow(root: ParentNode): Element[] {
  const found: Element[] = [];
  const open: Element[] = [];
  let node: Element | null = root.firstElementChild;
  while (node) {
    found.push(node);
    const child = node.localName === 'template' ? null : node.firstElementChild;
    if (child) {
      open.push(node);
      node = child;
      continue;
    }
    node = node.nextElementSibling;
    while (!node && open.length) node = open.pop()!.nextElementSibling;
  }
  return found;
}

/** Lower-cased tag name, as CSS type selectors compare it in an HTML document. */
export function tagOf(el: Element): string {
  return el.localName.toLowerCase();
}
