// LinkedomReadability (pipeline/readability-linkedom.ts) answers two of Readability's helpers
// without CSS selectors or style objects; on a linkedom document it must give what stock
// Readability gives.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readability } from '@mozilla/readability';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../pipeline/dom.ts';
import { declaredStyle, LinkedomReadability } from '../../pipeline/readability-linkedom.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

const outlets = path.join(REPO_ROOT, 'fixtures', 'outlets');
const PAGES = readdirSync(outlets)
  .flatMap((o) => readdirSync(path.join(outlets, o)).filter((f) => f.endsWith('.html')).map((f) => path.join(outlets, o, f)))
  .sort();

// Pages built to reach the two helpers' edge cases: hidden elements of every kind, tags in
// capitals, <template> content (not searched), nested matches.
const BUILT = [
  `<html><body><article><h2>Budget</h2>${'<p>The council approved the transport budget after a long debate about buses, trams and cycle lanes in the city centre.</p>'.repeat(6)}
    <p style="display:none">hidden by style</p><p style="DISPLAY: none">capitals in the style</p><p style="display: none ; color: red">spaces</p>
    <p style="visibility:hidden;display:block">visibility</p><p hidden>hidden attribute</p><p aria-hidden="true">aria</p>
    <img aria-hidden="true" class="mwe-math-fallback-image-inline" src="f.png"><P>Capital P</P>
    <template><p>in a template</p></template><div><div><p>nested paragraph with enough words to count as content for the scorer here.</p></div></div>
  </article></body></html>`,
];

function both(html: string): Array<{ title: string | null; content: string | null; length: number | null; excerpt: string | null }> {
  return [Readability, LinkedomReadability].map((R) => {
    const { document } = parseDocument(html, 'http://news.test/a', 'linkedom');
    const r = new R(document).parse();
    return { title: r?.title ?? null, content: r?.content ?? null, length: r?.length ?? null, excerpt: r?.excerpt ?? null };
  });
}

describe('LinkedomReadability: the same article as Readability on linkedom', () => {
  it.each([...PAGES.map((p) => [path.relative(outlets, p), readFileSync(p, 'utf8')]), ...BUILT.map((h, i) => [`built page ${i}`, h])])('%s', (_name, html) => {
    const [stock, ours] = both(html);
    expect(stock!.content).toBeTruthy();
    expect(ours).toEqual(stock);
  });
});

describe('declaredStyle: element.style[name] as linkedom reads it', () => {
  const el = (style: string | null): Element => {
    const { document } = parseDocument('<p>x</p>', 'http://news.test/a', 'linkedom');
    const p = document.querySelector('p')!;
    if (style !== null) p.setAttribute('style', style);
    return p;
  };
  it.each([
    ['display:none', 'display'],
    ['display: none ;color:red', 'display'],
    ['color:red; display :none', 'display'],
    ['display:none; display:block', 'display'],
    ['display:', 'display'],
    ['DISPLAY:none', 'display'],
    ['visibility:hidden', 'visibility'],
    ['background:url(a:b)', 'background'],
    ['', 'display'],
    [null, 'display'],
  ])('%j → %s', (style, name) => {
    const p = el(style);
    const viaLinkedom = (p as unknown as { style: Record<string, string | undefined> }).style[name];
    expect(declaredStyle(p, name) ?? '').toBe(viaLinkedom ?? '');
  });
});
