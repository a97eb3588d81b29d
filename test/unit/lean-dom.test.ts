// The lean DOM (pipeline/lean-dom.ts) against linkedom, whose tree and serialisation it keeps:
// every case runs the same DOM calls on both and expects the same answer. The page-level
// comparison (processPage on lean and on linkedom over real pages) is in
// test/integration/extract-zyte.test.ts and test/unit/fuzz.test.ts.
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../pipeline/dom.ts';

type Probe = (doc: Document) => unknown;

/** The same probe on the lean DOM and on linkedom, each document made by pipeline/dom.ts. */
function both(html: string, probe: Probe): { lean: unknown; linkedom: unknown } {
  const run = (kind: 'lean' | 'linkedom'): unknown => {
    const parsed = parseDocument(html, 'http://news.test/a', kind);
    try {
      return probe(parsed.document);
    } catch (err) {
      return `threw ${(err as Error).constructor.name}`;
    }
  };
  return { lean: run('lean'), linkedom: run('linkedom') };
}

const outer = (doc: Document): string => doc.documentElement.outerHTML;

const PAGES: Array<[string, string]> = [
  ['a plain page', '<!DOCTYPE html><html lang="en"><head><title>T and U</title></head><body><h1 class="x">Head</h1><p>One <b>two</b> three.</p></body></html>'],
  ['no head, no body', '<p>Just a paragraph</p><p>and another'],
  ['a fragment starting with an svg', '<svg viewBox="0 0 1 1"><path d="M0 0"/><g><circle r="1"/></g></svg><p>after</p>'],
  ['a template first', '<template><p>inside</p></template><p>outside</p>'],
  ['entities and non-breaking spaces', '<body><p>a&nbsp;b &lt;c&gt; &amp; &quot;d&quot; &#x1F600; &copy;</p></body>'],
  ['attributes: empty, repeated class tokens, odd names', '<body><div id="" class="a  b a" data-x="1" hidden style="" @click="go"><input checked disabled value=""></div></body>'],
  ['comments, CDATA and a processing instruction', '<body><!-- note --><p>x<![CDATA[ y ]]></p><?php echo 1 ?></body>'],
  ['void elements and a stray end tag', '<body><p>a<br>b<img src="i.png" alt="x"></br></p><hr/></body>'],
  ['unclosed inline elements', '<body><p><b>bold <i>both</p><p>next</b></i></p></body>'],
  ['upper-case markup', '<HTML><BODY><DIV CLASS="Up">Text</DIV><P ID=Q>para</P></BODY></HTML>'],
  ['a <base> and a canonical link', '<html><head><base href="/news/"><link rel="canonical" href="a.html"></head><body><a href="b.html">b</a></body></html>'],
  ['raw text: script and style', '<html><head><style>p > a {x:1}</style></head><body><script>if (a < b && c) {}</script><p>x</p></body></html>'],
  ['a table', '<body><table><tr><td>1</td><td>2</td></tr></table></body>'],
  ['empty', ''],
];

const PROBES: Array<[string, Probe]> = [
  ['serialises the document', outer],
  ['gives the body text', (d) => d.body.textContent],
  ['gives the title', (d) => d.title],
  ['gives the head markup', (d) => d.head.innerHTML],
  ['finds elements by tag', (d) => ['p', 'P', 'div', 'svg', 'path', 'td', '*'].map((t) => d.getElementsByTagName(t).length)],
  ['lists child nodes by type and name', (d) => Array.from(d.body.childNodes).map((n) => `${n.nodeType}:${n.nodeName}`)],
  ['walks element siblings', (d) => {
    const names: string[] = [];
    for (let el = d.body.firstElementChild; el; el = el.nextElementSibling) names.push(el.tagName);
    for (let el = d.body.lastElementChild; el; el = el.previousElementSibling) names.push(el.localName);
    return [names, d.body.childElementCount, d.body.children.length];
  }],
  ['reads attributes', (d) => {
    const el = d.body.firstElementChild;
    if (!el) return null;
    // an <svg>'s className is an SVGAnimatedString on linkedom; the page stages cut <svg>s before parsing
    const className = el.localName === 'svg' ? '(svg)' : el.className;
    return [el.getAttributeNames?.(), className, el.id, el.getAttribute('class'), el.hasAttribute('hidden'), el.attributes.length, el.getAttribute('missing')];
  }],
  ['deep-clones the body', (d) => (d.body.cloneNode(true) as Element).outerHTML],
  ['shallow-clones the body', (d) => (d.body.cloneNode(false) as Element).outerHTML],
  ['sets and reads innerHTML', (d) => {
    const div = d.createElement('div');
    div.innerHTML = d.body.innerHTML;
    return [div.innerHTML, div.childNodes.length];
  }],
  ['removes, inserts and replaces nodes', (d) => {
    const b = d.body;
    const first = b.firstChild;
    const p = d.createElement('p');
    p.textContent = 'new';
    b.insertBefore(p, first);
    const q = d.createElement('P');
    q.append('appended', d.createTextNode(' text'));
    b.appendChild(q);
    if (first) b.replaceChild(d.createComment('was here'), first);
    b.lastChild?.remove();
    b.prepend(d.createTextNode('lead '));
    return [b.innerHTML, b.getElementsByTagName('p').length, b.getElementsByTagName('P').length];
  }],
  ['edits attributes', (d) => {
    const el = d.body.firstElementChild ?? d.body;
    el.setAttribute('data-fs', '1');
    el.setAttribute('class', 'k  k l');
    el.removeAttribute('id');
    el.className = 'z';
    // attribute order differs (below): compared as a set
    return [el.innerHTML, Array.from(el.attributes).map((a) => `${a.name}=${a.value}`).sort()];
  }],
  ['sets textContent', (d) => {
    d.body.textContent = 'plain <text> & more';
    return [d.body.innerHTML, d.body.childNodes.length];
  }],
  ['answers contains and parentElement', (d) => {
    const el = d.body.firstElementChild;
    return el ? [d.body.contains(el), el.contains(d.body), el.parentElement?.tagName, d.documentElement.parentElement] : null;
  }],
  ['gives template content', (d) => {
    const t = d.getElementsByTagName('template')[0] as HTMLTemplateElement | undefined;
    return t ? [t.content?.childNodes.length, t.innerHTML] : null;
  }],
  ['gives the doctype and base URI', (d) => [d.doctype?.name ?? null, d.baseURI ?? null]],
];

describe('lean DOM: the same answers as linkedom', () => {
  for (const [page, html] of PAGES) {
    it.each(PROBES)(`${page}: %s`, (_name, probe) => {
      const { lean, linkedom } = both(html, probe);
      expect(lean).toEqual(linkedom);
    });
  }
});

describe('lean DOM: where it follows HTML rather than linkedom', () => {
  const lean = (html: string): Document => parseDocument(html, 'http://news.test/a', 'lean').document;

  it('puts an added attribute last (linkedom puts it first)', () => {
    const p = lean('<p id="a">x</p>').getElementsByTagName('p')[0]!;
    p.setAttribute('data-x', '1');
    expect(p.outerHTML).toBe('<p id="a" data-x="1">x</p>');
  });

  it.each([
    ['<title>a <b> & c</title>', 'title', '<title>a &lt;b&gt; &amp; c</title>'],
    // htmlparser2 reads a textarea without decoding entities: written as it is
    ['<textarea><p>t</p> &amp;</textarea>', 'textarea', '<textarea><p>t</p> &amp;</textarea>'],
    ['<script>if (a < b && c) {}</script>', 'script', '<script>if (a < b && c) {}</script>'],
    ['<style>p > a {}</style>', 'style', '<style>p > a {}</style>'],
  ])('writes %s so that it reads back to the same text', (html, tag, written) => {
    const el = lean(`<body>${html}</body>`).getElementsByTagName(tag)[0]!;
    expect(el.outerHTML).toBe(written);
    const again = lean(`<body>${el.outerHTML}</body>`).getElementsByTagName(tag)[0]!;
    expect(again.textContent).toBe(el.textContent);
  });
});

describe('lean DOM: what it is for', () => {
  it('has an <html> root for any input, as browsers do (dom.ts wraps what linkedom would root elsewhere)', () => {
    for (const html of ['', 'text only', '<svg></svg>', '<template><p>x</p></template>']) {
      const doc = parseDocument(html, 'http://news.test/a', 'lean').document;
      expect(doc.documentElement.tagName).toBe('HTML');
      expect(doc.body).toBeTruthy();
    }
  });

  it('parses a page nested 100,000 deep without running out of stack', () => {
    const depth = 100_000;
    const doc = parseDocument(`<body>${'<div>'.repeat(depth)}deep${'</div>'.repeat(depth)}</body>`, 'http://news.test/a', 'lean').document;
    expect(doc.body.textContent).toBe('deep');
    expect(doc.getElementsByTagName('div').length).toBe(depth);
  });

  it('parses like linkedom on the same parser (a sanity check of the harness: linkedom itself agrees)', () => {
    const html = '<!DOCTYPE html><html><body><p>a</p></body></html>';
    const { document } = parseHTML(html) as unknown as { document: Document };
    expect(both(html, outer).lean).toBe(document.documentElement.outerHTML);
  });
});
