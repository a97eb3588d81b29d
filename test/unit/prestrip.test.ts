// The pre-parse cut of non-content elements (pipeline/prestrip.ts): what it cuts, and what it
// must leave to the DOM removal because the element's extent is not certain.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../pipeline/dom.ts';
import { processPage } from '../../pipeline/process-page.ts';
import { stripNonContent } from '../../pipeline/prestrip.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

describe('stripNonContent', () => {
  it.each([
    ['a script', '<p>a</p><script>var x = "</p>";</script><p>b</p>', '<p>a</p><p>b</p>'],
    ['a script with attributes and an end tag with spaces', '<p>a</p><script src="x.js" async></script ><p>b</p>', '<p>a</p><p>b</p>'],
    ['a style', '<style>p > a { color: red }</style><p>b</p>', '<p>b</p>'],
    ['an inline svg with self-closed children', '<p>a<svg viewBox="0 0 2 2"><path d="M0"/><g><use href="#i"/></g></svg>b</p>', '<p>ab</p>'],
    ['a noscript holding markup', '<noscript><img src="x"><div>Enable <b>JS</b></div></noscript><p>b</p>', '<p>b</p>'],
    ['a noscript whose paragraphs the parser closes itself', '<noscript><p>one<p>two</noscript><p>b</p>', '<p>b</p>'],
    ['a template', '<template><div><span>t</span></div></template><p>b</p>', '<p>b</p>'],
    ['an iframe, an object and an embed', '<iframe src="/f"></iframe><object data="o"><param name="a" value="b"></object><embed src="e"><p>b</p>', '<p>b</p>'],
    ['a canvas', '<canvas width="2"><span>fallback</span></canvas><p>b</p>', '<p>b</p>'],
    ['upper-case tags', '<SCRIPT>x()</SCRIPT><STYLE>p{}</STYLE><p>b</p>', '<p>b</p>'],
    ['a script whose text holds an end tag of another element', '<div><script>document.write("</div>")</script>text</div>', '<div>text</div>'],
  ])('cuts %s', (_name, html, expected) => {
    expect(stripNonContent(html)).toBe(expected);
  });

  it.each([
    ['JSON-LD, which the metadata is read from', '<script type="application/ld+json">{"@type":"NewsArticle"}</script><p>b</p>'],
    ['JSON-LD with its type in capitals and spaces', '<script type=" Application/LD+JSON ">{}</script>'],
    ['a script tag inside a comment', '<!-- <script>x()</script> --><p>b</p>'],
    ['a script tag inside an attribute value', '<p title="<script>x()</script>">b</p>'],
    ['a script tag inside a textarea', '<textarea><script>x()</script></textarea>'],
    ['a script tag inside a title', '<title>a <script>x</script></title>'],
    ['a noscript holding an end tag it did not open', '<div><noscript></div><p>b</p></noscript>'],
    ['a noscript holding the end tag of an element the parser may close on its own', '<noscript><p>Enable JS</p></noscript><p>b</p>'],
    ['a noscript never closed', '<noscript><p>b</p>'],
    ['a cut that would join `<` and text into a tag', '<p>a<<script>x</script>b</p>'],
    ['markup without anything to cut', '<p>a < b and c > d &amp; e</p><br/><img src=x>'],
  ])('leaves %s', (_name, html) => {
    // uncertain extents are left whole: the DOM removal after parsing takes such elements out
    expect(stripNonContent(html)).toBe(html);
  });

  it('returns the very string when there is nothing to cut (no copy)', () => {
    const html = '<p>plain</p>';
    expect(stripNonContent(html)).toBe(html);
  });

  it('cuts a script never closed to the end of the page, as the parser reads it', () => {
    expect(stripNonContent('<p>a</p><script>x()')).toBe('<p>a</p>');
  });
});

describe('stripNonContent on real pages', () => {
  const outlets = path.join(REPO_ROOT, 'fixtures', 'outlets');
  const pages = readdirSync(outlets)
    .flatMap((o) => readdirSync(path.join(outlets, o)).filter((f) => f.endsWith('.html')).map((f) => path.join(outlets, o, f)))
    .sort();

  it.each(pages.map((p) => [path.relative(outlets, p), p]))('%s: the body keeps its text once non-content elements are gone, and a second cut changes nothing', async (_name, file) => {
    const html = readFileSync(file, 'utf8');
    const cut = stripNonContent(html);
    // text of the body as the DOM removal would leave it, on the page and on its cut form
    const bodyText = (source: string): string => {
      const { document, close } = parseDocument(source, 'http://news.test/a', 'linkedom');
      try {
        for (const el of Array.from(document.querySelectorAll('script:not([type="application/ld+json"]), style, noscript, svg, template, iframe, object, embed, canvas'))) el.remove();
        return document.body.textContent ?? '';
      } finally {
        close();
      }
    };
    expect(bodyText(cut)).toBe(bodyText(html));
    expect(cut.length).toBeLessThanOrEqual(html.length);
    // cutting is idempotent: processPage (which cuts first) gives the same result on the cut page
    expect(stripNonContent(cut)).toBe(cut);
    const url = 'http://news.test/story';
    expect(await processPage(cut, { url })).toEqual(await processPage(html, { url }));
  });
});
