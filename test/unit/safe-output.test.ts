// The output record's `text` (and the text of every removed block) is plain text: hostile pages
// through the page stages leave no markup and no script content in it.
// No record field carries HTML: the output schema (pipeline/records.ts) has no HTML field, and a
// feed item's contentHtml stops at the extract stage (used as a fallback source of text only).
import { describe, expect, it } from 'vitest';
import { processPage } from '../../pipeline/process-page.ts';
import { outputRecordSchema } from '../../pipeline/records.ts';

const ARTICLE = [
  'The regional council approved a new budget for public transport on Tuesday, after a debate that lasted well into the night.',
  'Under the plan, bus fares will stay frozen for two more years while the number of night routes doubles across the region.',
  'Opposition members said the budget relied on optimistic forecasts of ticket revenue and called for an independent review.',
  'The council will publish the detailed figures next week, and a public consultation on the new night routes opens in May.',
];

const MARKER = 'PWNED';
// Each hostile construct carries MARKER where its payload is: if MARKER reaches the text, the payload leaked.
const HOSTILE: Array<[string, string]> = [
  ['script', `<script>document.title='${MARKER}'</script>`],
  ['script with CDATA', `<script>//<![CDATA[\nalert('${MARKER}')\n//]]></script>`],
  ['script with a fake closing tag in a string', `<script>var s = "</scr" + "ipt><p>${MARKER}</p>";</script>`],
  ['style', `<style>body::after { content: '${MARKER}' }</style>`],
  ['iframe', `<iframe src="javascript:alert('${MARKER}')"></iframe>`],
  ['iframe srcdoc', `<iframe srcdoc="<p>${MARKER}</p>"></iframe>`],
  ['event handler', `<p onclick="alert('${MARKER}')" onmouseover="x()">Click here to read the council statement.</p>`],
  ['javascript: link', `<p>Read <a href="javascript:alert('${MARKER}')">the statement</a> in full.</p>`],
  ['img onerror', `<img src="x" onerror="alert('${MARKER}')">`],
  ['svg onload', `<svg onload="alert('${MARKER}')"><script>alert('${MARKER}')</script></svg>`],
  ['comment-hidden markup', `<!-- <script>alert('${MARKER}')</script> <p>${MARKER}</p> -->`],
  ['conditional comment', `<!--[if IE]><script>alert('${MARKER}')</script><![endif]-->`],
  ['noscript', `<noscript><img src="x" onerror="alert('${MARKER}')"></noscript>`],
  ['object/embed', `<object data="javascript:alert('${MARKER}')"></object><embed src="javascript:alert('${MARKER}')">`],
  ['template', `<template><script>alert('${MARKER}')</script></template>`],
  ['form', `<form action="javascript:alert('${MARKER}')"><input value="${MARKER}"><button formaction="javascript:x">Go</button></form>`],
  ['math/mglyph', `<math><mtext><table><mglyph><style><img src=x onerror=alert('${MARKER}')></style></mglyph></table></mtext></math>`],
  ['meta refresh', `<meta http-equiv="refresh" content="0;url=javascript:alert('${MARKER}')">`],
];

/** An article page with the hostile construct in the head, between paragraphs and after the article. */
function hostilePage(construct: string): string {
  const paras = ARTICLE.map((p) => `<p>${p}</p>`);
  return `<!DOCTYPE html><html lang="en"><head><title>Council approves transport budget</title>${construct}</head><body>
<header><nav><a href="/">Home</a></nav></header>
<article><h1>Council approves transport budget</h1>
${paras[0]}${construct}${paras[1]}
<div class="embed">${construct}</div>
${paras[2]}${paras[3]}
</article>${construct}
<footer>© The Regional Courier</footer></body></html>`;
}

// Markup that must not survive into plain text: a tag, a comment or CDATA opener, an event handler.
const MARKUP = /<\s*\/?\s*[a-z!?][^>]*>|<!--|<!\[CDATA\[|\bon[a-z]+\s*=|javascript:/i;

describe('safe output: text and removed[].text are plain text on hostile pages', () => {
  it.each(HOSTILE)('%s', async (_label, construct) => {
    for (const dom of ['lean', 'linkedom', 'jsdom'] as const) {
      const r = await processPage(hostilePage(construct), { url: 'https://courier.test/news/transport-budget', dom });
      // the article itself is there …
      for (const p of ARTICLE) expect(r.text, dom).toContain(p);
      // … and nothing of the hostile construct: no markup, no payload
      const texts = [r.text, ...r.removed.map((b) => b.text), ...r.kept.map((b) => b.text), r.page.title ?? '', r.page.byline ?? ''];
      for (const t of texts) {
        expect(t, dom).not.toMatch(MARKUP);
        expect(t, dom).not.toContain(MARKER);
      }
    }
  });

  it('a page whose only text is inside a script has no text: nothing leaks from the script', async () => {
    const html = `<!DOCTYPE html><html><head><title>t</title></head><body><script>${ARTICLE.join(' ')}</script></body></html>`;
    const outcome = await processPage(html, { url: 'https://courier.test/a' }).then(
      (r) => r.text,
      (err: { code?: string }) => err.code,
    );
    // PAGE_EMPTY, or (if a fallback ever yields something) a text that is not the script's
    expect(outcome === 'PAGE_EMPTY' || !String(outcome).includes(ARTICLE[0]!)).toBe(true);
  });

  it('text written in the page with escaped markup stays as the words the reader sees, never as live markup', async () => {
    // "&lt;script&gt;" is text a reader sees; it may appear as such (it is data, not markup)
    const html = hostilePage('<p>Engineers wrote &lt;b&gt;bold&lt;/b&gt; in the report to show the old markup used by the council website.</p>');
    const r = await processPage(html, { url: 'https://courier.test/a' });
    expect(r.text).toContain('Engineers wrote <b>bold</b> in the report');
    // it is the visible text, decoded once: no entity is left half-escaped
    expect(r.text).not.toMatch(/&(lt|gt|amp);/);
  });

  it('the output record schema has no field meant to carry HTML', () => {
    // Every string field of a record, by name: none is HTML (contentHtml of FeedItem stops at extract).
    const fields = outputRecordSchema.options.flatMap((o) => Object.keys(o.shape));
    expect(fields).not.toContain('contentHtml');
    expect(fields.filter((f) => /html/i.test(f))).toEqual([]);
  });
});
