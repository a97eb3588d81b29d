import { Readability } from '@mozilla/readability';
import { JSDOM, VirtualConsole } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { DOM_KINDS } from '../../pipeline/dom.ts';
import { PermanentError } from '../../pipeline/errors.ts';
import { chooseTitle, extractPage, extractPageWithRegion, MAX_DEPTH, nameWords } from '../../pipeline/extract.ts';

const PARAS = [
  'The United States has signalled its readiness to provide intelligence, surveillance, and air defence support to any European-led security initiative for postwar Ukraine, officials said.',
  'US President Donald Trump told European leaders last week that Washington would participate in coordinating security guarantees for Ukraine, a move Kyiv has sought to deter future aggression.',
  'Senior US officials have since indicated that the country could contribute strategic enablers, including command and control, and air defence assets, to support a European deployment on the ground.',
  'A coalition led by the UK and France has pledged to protect Ukraine from potential postwar attacks, but European officials privately acknowledged that any deployment would rely heavily on US support.',
];

function page(opts: { head?: string; article?: string; htmlAttrs?: string; afterArticle?: string } = {}): string {
  return `<!doctype html><html ${opts.htmlAttrs ?? 'lang="en"'}><head><meta charset="utf-8">${opts.head ?? '<title>Plan for Ukraine</title>'}
<style>.x{color:red}</style><script>document.write("SCRIPT TEXT")</script></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav></header>
<main><article>${opts.article ?? PARAS.map((p) => `<p>${p}</p>`).join('\n')}</article>${opts.afterArticle ?? ''}</main>
<footer><p>© 2025 Example News. All rights reserved.</p></footer></body></html>`;
}
const URL_ = 'https://www.example.com/world/plan?utm_source=rss#top';

describe('extractPage: metadata', () => {
  it('reads title, site, byline, date, language, canonical URL and lead image from the head', () => {
    const head = `<title>US backs plan for Ukraine - Example News</title>
      <meta property="og:title" content="US backs plan for Ukraine | Example News">
      <meta property="og:site_name" content="Example News">
      <meta name="author" content="Jane Doe">
      <meta property="article:published_time" content="2025-08-27T11:34:00+03:00">
      <link rel="canonical" href="/world/plan-ukraine?utm_medium=feed&id=7">
      <meta property="og:image" content="/img/lead.jpg">`;
    const p = extractPage(page({ head, htmlAttrs: 'lang="en-GB"' }), { url: URL_ });
    expect(p).toMatchObject({
      title: 'US backs plan for Ukraine',
      siteName: 'Example News',
      byline: 'Jane Doe',
      publishedAt: '2025-08-27T08:34:00.000Z',
      htmlLang: 'en',
      canonicalUrl: 'https://www.example.com/world/plan-ukraine?id=7',
      leadImage: 'https://www.example.com/img/lead.jpg',
      extractedFrom: 'page',
    });
  });

  it('takes the feed item date first, then JSON-LD (read before scripts are removed), then <time>', () => {
    const ld = `<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
      {"@type":"WebSite","name":"Graph Site"},
      {"@type":"NewsArticle","headline":"Plan for Ukraine","datePublished":"2025-08-26T10:00:00Z","author":{"@type":"Person","name":"Khagan Isayev"},"publisher":{"@type":"Organization","name":"Caliber"}}]}</script>`;
    const withTime = page({ head: `<title>Plan for Ukraine</title>${ld}`, article: `<time datetime="2025-08-20T00:00:00Z">Aug 20</time>${PARAS.map((p) => `<p>${p}</p>`).join('')}` });
    const feedItem = { guid: 'g', link: URL_, publishedAt: '2025-08-27T09:00:00.000Z' };
    expect(extractPage(withTime, { url: URL_, feedItem }).publishedAt).toBe('2025-08-27T09:00:00.000Z');
    const fromLd = extractPage(withTime, { url: URL_ });
    expect(fromLd.publishedAt).toBe('2025-08-26T10:00:00.000Z');
    expect(fromLd.siteName).toBe('Caliber');
    const timeOnly = page({ article: `<p><time datetime="2025-08-20T00:00:00Z">Aug 20</time></p>${PARAS.map((p) => `<p>${p}</p>`).join('')}` });
    expect(extractPage(timeOnly, { url: URL_ }).publishedAt).toBe('2025-08-20T00:00:00.000Z');
  });

  it('uses og:url when there is no rel=canonical, and the cleaned page URL when neither is usable', () => {
    const og = extractPage(page({ head: '<title>t</title><meta property="og:url" content="https://example.com/a?fbclid=1">' }), { url: URL_ });
    expect(og.canonicalUrl).toBe('https://example.com/a');
    const bad = extractPage(page({ head: '<title>t</title><link rel="canonical" href="javascript:void(0)">' }), { url: URL_ });
    expect(bad.canonicalUrl).toBe('https://www.example.com/world/plan');
  });

  it('leaves htmlLang unset when the page does not declare a usable one', () => {
    expect(extractPage(page({ htmlAttrs: '' }), { url: URL_ }).htmlLang).toBeUndefined();
    expect(extractPage(page({ htmlAttrs: 'lang="iw"' }), { url: URL_ }).htmlLang).toBe('he');
  });
});

describe('extractPage on every DOM', () => {
  const head = `<title>US backs plan for Ukraine - Example News</title><base href="https://cdn.example.org/assets/">
    <meta property="og:site_name" content="Example News"><meta property="og:image" content="img/lead.jpg">
    <link rel="canonical" href="/world/plan-ukraine?utm_medium=feed">`;
  const html = page({ head, article: `<h1>US backs plan for Ukraine</h1>${PARAS.map((p) => `<p>${p}</p>`).join('')}<h2>What comes next</h2><p>${PARAS[0]}</p>` });
  const reference = extractPage(html, { url: URL_, dom: 'jsdom' });

  it.each(DOM_KINDS)('%s gives the same page as jsdom, links resolved against <base href> then the page URL', (dom) => {
    const p = extractPage(html, { url: URL_, dom });
    expect(p).toEqual(reference);
    expect(p.leadImage).toBe('https://cdn.example.org/assets/img/lead.jpg');
    expect(p.canonicalUrl).toBe('https://cdn.example.org/world/plan-ukraine');
    expect(p.blocks.map((b) => b.text)).toContain('What comes next');
  });
});

describe('chooseTitle', () => {
  it.each([
    [['US backs plan | Example News', 'US backs plan for Ukraine - Example News'], 'Example News', 'US backs plan'],
    [['Example News: Kyiv talks resume', undefined, null], 'Example News', 'Kyiv talks resume'],
    [['Example News', 'Kyiv talks resume'], 'Example News', 'Kyiv talks resume'],
    [['Home', 'Kyiv talks resume today'], undefined, 'Kyiv talks resume today'],
    [['基辅会谈恢复', 'A much longer English headline here'], undefined, '基辅会谈恢复'],
    [[undefined, ''], undefined, undefined],
  ])('%j (site %j) → %j', (candidates, site, expected) => {
    expect(chooseTitle(candidates, site)).toBe(expected);
  });
});

describe('extractPage: blocks', () => {
  it('turns the article into typed blocks in document order, normalising text', () => {
    const article = `<h2>Three-level design</h2><p>${PARAS[0]}</p>
      <p>${PARAS[1]!.replace('Donald Trump', 'Donald&nbsp;Trump')}<br>second line</p>
      <ul><li>four to five European brigades on the ground with support</li><li>strategic enablers from the US</li></ul>
      <blockquote><p>We are against it, and our position has not changed at all.</p></blockquote>
      <pre>code  sample</pre>
      <div>${PARAS[2]} <a href="/x">a link</a></div><p>${PARAS[3]}</p>`;
    const { blocks } = extractPage(page({ article }), { url: URL_ });
    expect(blocks.map((b) => [b.kind, b.text.slice(0, 30)])).toEqual([
      ['heading', 'Three-level design'],
      ['paragraph', PARAS[0]!.slice(0, 30)],
      ['paragraph', PARAS[1]!.slice(0, 30)],
      ['paragraph', 'second line'],
      ['list-item', 'four to five European brigades'],
      ['list-item', 'strategic enablers from the US'],
      ['quote', 'We are against it, and our pos'],
      ['preformatted', 'code sample'],
      ['paragraph', PARAS[2]!.slice(0, 30)],
      ['paragraph', PARAS[3]!.slice(0, 30)],
    ]);
    expect(blocks[2]!.text).toContain('Donald Trump');
    expect(blocks[2]!.text.endsWith('aggression.')).toBe(true);
    expect(blocks[8]!.linkDensity).toBeGreaterThan(0);
    expect(blocks[8]!.linkDensity).toBeLessThan(0.1);
    expect(blocks[1]!.linkDensity).toBe(0);
    expect(blocks.some((b) => b.text.includes('SCRIPT TEXT') || b.text.includes('color:red'))).toBe(false);
  });

  it('puts back a sub-heading that Readability drops from inside the article', () => {
    // Readability removes h1/h2 whose class has a negative weight ("scroll" here).
    const article = `<div class="article-body"><p>${PARAS[0]}</p><p>${PARAS[1]}</p>
      <h2 class="c-heading scroll-anchor">No to a mission of American soldiers</h2>
      <p>${PARAS[2]}</p><p>${PARAS[3]}</p></div>`;
    const html = page({ article });
    const dom = new JSDOM(html, { url: URL_, virtualConsole: new VirtualConsole() });
    const plain = new Readability(dom.window.document).parse()?.textContent ?? '';
    dom.window.close();
    expect(plain).toContain(PARAS[2]!.slice(0, 40));
    expect(plain).not.toContain('No to a mission'); // the case this recovery exists for
    const texts = extractPage(html, { url: URL_ }).blocks.map((b) => b.text);
    expect(texts.indexOf('No to a mission of American soldiers')).toBe(texts.indexOf(PARAS[2]!) - 1);
  });

  it('does not put back furniture Readability removed from inside the article', () => {
    const article = `<div class="article-body"><p>${PARAS[0]}</p><p>${PARAS[1]}</p>
      <div class="related-box"><h3>Related coverage</h3><p>Other leaders meet in Paris</p></div>
      <p>${PARAS[2]}</p><p>${PARAS[3]}</p></div>`;
    const html = page({ article });
    const dom = new JSDOM(html, { url: URL_, virtualConsole: new VirtualConsole() });
    const plain = new Readability(dom.window.document).parse()?.textContent ?? '';
    dom.window.close();
    expect(plain).not.toContain('Related coverage');
    const texts = extractPage(html, { url: URL_ }).blocks.map((b) => b.text).join('\n');
    expect(texts).not.toContain('Related coverage');
    expect(texts).not.toContain('Other leaders meet in Paris');
  });
});

describe('extractPage: fallbacks and errors', () => {
  const navOnly = '<!doctype html><html><head><title>x</title></head><body><nav><a href="/">Home</a></nav><p>Hello.</p></body></html>';

  it("falls back to the feed item's content when the page has too little text", () => {
    const feedItem = { guid: 'g', link: URL_, title: 'Plan', contentHtml: PARAS.map((p) => `<p>${p}</p>`).join('') + '<script>bad()</script>' };
    const p = extractPage(navOnly, { url: URL_, feedItem });
    expect(p.extractedFrom).toBe('feed');
    expect(p.blocks.map((b) => b.text)).toEqual(PARAS);
  });

  it("falls back to the feed item's summary when it has no content", () => {
    const feedItem = { guid: 'g', link: URL_, summary: `${PARAS[0]}\n\n${PARAS[1]}` };
    const p = extractPage(navOnly, { url: URL_, feedItem });
    expect(p.extractedFrom).toBe('feed');
    expect(p.blocks.map((b) => b.text)).toEqual([PARAS[0], PARAS[1]]);
  });

  it('keeps a page result that is short but longer than the feed text', () => {
    const p = extractPage(page(), { url: URL_, feedItem: { guid: 'g', link: URL_, summary: 'Short.' } });
    expect(p.extractedFrom).toBe('page');
  });

  it('throws PAGE_EMPTY when neither the page nor the feed item has text', () => {
    const empty = '<!doctype html><html><head><title></title></head><body></body></html>';
    expect(() => extractPage(empty, { url: URL_ })).toThrow(PermanentError);
    try {
      extractPage(empty, { url: URL_, feedItem: { guid: 'g', link: URL_ } });
    } catch (err) {
      expect((err as PermanentError).code).toBe('PAGE_EMPTY');
      expect((err as PermanentError).message).toMatch(/^extract: /);
    }
  });

  it('throws TOO_LARGE above maxElements, and BAD_URL for a page URL that is not one', () => {
    expect(() => extractPage(page(), { url: URL_, maxElements: 5 })).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    expect(() => extractPage(page(), { url: 'not a url' })).toThrow(expect.objectContaining({ code: 'BAD_URL' }));
  });

  // Readability's time grows with the cube of the nesting depth: the limit keeps a page built to
  // be slow from holding a worker for minutes.
  it.each([
    [MAX_DEPTH - 10, 'extracted'],
    [MAX_DEPTH + 10, 'TOO_LARGE'],
    [20_000, 'TOO_LARGE'],
  ])('a page nesting its article %i elements deep: %s', (depth, outcome) => {
    const nested = `<html><body>${'<div>'.repeat(depth)}<p>${PARAS.join('</p><p>')}</p>${'</div>'.repeat(depth)}</body></html>`;
    if (outcome === 'TOO_LARGE') {
      expect(() => extractPage(nested, { url: URL_ })).toThrow(expect.objectContaining({ code: 'TOO_LARGE', message: expect.stringMatching(/deep, more than the 512 allowed/) }));
    } else {
      expect(extractPage(nested, { url: URL_ }).blocks.map((b) => b.text)).toEqual(PARAS);
    }
  });
});

describe('extractPage: furniture inside the article container', () => {
  const body = (inner: string): string =>
    `<div class="article-body"><p>${PARAS[0]}</p><p>${PARAS[1]}</p>${inner}<p>${PARAS[2]}</p><p>${PARAS[3]}</p></div>`;
  const plainReadability = (html: string): string => {
    const dom = new JSDOM(html, { url: URL_, virtualConsole: new VirtualConsole() });
    try {
      return new Readability(dom.window.document).parse()?.textContent ?? '';
    } finally {
      dom.window.close();
    }
  };
  const cases: Array<{ name: string; inner: string; gone: string; reason: string; article?: string }> = [
    { name: 'a share bar named by its class', inner: '<div class="post-share_bar"><span>Share this article on Facebook and Twitter now</span></div>', gone: 'Share this article', reason: 'share-widget' },
    { name: 'an author box named in camelCase', inner: '<div class="writerBio"><p>Jane Doe is a reporter covering European security and defence policy from Brussels.</p></div>', gone: 'Jane Doe is a reporter', reason: 'byline' },
    { name: 'a newsletter box', inner: '<section id="newsletter-signup"><p>Get the morning briefing with the day\'s main stories, every weekday at seven.</p></section>', gone: 'Get the morning briefing', reason: 'boilerplate' },
    { name: 'a figcaption', inner: '<figure><img src="/a.jpg" width="800" height="450"><figcaption>Leaders meet in Paris on Monday to discuss the security plan.</figcaption></figure>', gone: 'Leaders meet in Paris', reason: 'boilerplate' },
    { name: 'a caption in a plain box with its picture', inner: '<div><img src="/a.jpg"><div>Troops at a training ground near Lviv on Tuesday morning.</div></div>', gone: 'Troops at a training ground', reason: 'boilerplate' },
    { name: 'a teaser headline linking to the same site', inner: '<p><a href="/world/other-story">EU ministers agree on a new sanctions package for the summer</a></p>', gone: 'EU ministers agree', reason: 'related-content' },
  ];
  it.each(cases)('$name is cut, with its reason, though Readability keeps it', ({ inner, gone, reason }) => {
    const html = page({ article: body(inner) });
    expect(plainReadability(html)).toContain(gone);
    const { page: p, region } = extractPageWithRegion(html, { url: URL_ });
    const text = p.blocks.map((b) => b.text).join('\n');
    expect(text).not.toContain(gone);
    for (const para of PARAS) expect(text).toContain(para);
    expect(region.find((b) => b.text.includes(gone))).toMatchObject({ extracted: false, reason });
  });

  it('keeps links to other sites (a product list) and pictures inside paragraphs', () => {
    const inner = `<ul><li><a href="https://shop.example.net/charger">Satechi 72W USB-C Power Delivery Car Charger</a></li><li><a href="https://shop.example.net/router">Linksys Velop Wi-Fi 6 Mesh Router</a></li></ul>
      <p>The show was really great and we enjoyed a free drink at the cafe <img src="/smile.png"> before it started.</p>`;
    const text = extractPage(page({ article: body(inner) }), { url: URL_ }).blocks.map((b) => b.text).join('\n');
    expect(text).toContain('Satechi 72W USB-C Power Delivery Car Charger');
    expect(text).toContain('The show was really great');
  });

  it('cuts teaser <article>s beside the one that holds the headline, and only then', () => {
    const teaser = (t: string): string => `<article class="story"><h2>${t}</h2><p>${PARAS[0]!.slice(0, 120)} ${t}.</p></article>`;
    const main = `<article class="story"><h1>Plan for Ukraine</h1>${PARAS.map((p) => `<p>${p}</p>`).join('')}</article>`;
    const html = (inner: string): string => page({ head: '<title>Plan for Ukraine</title>', article: `<div class="river">${inner}</div>` });
    const withHeadline = extractPage(html(main + teaser('Ferry fares rise') + teaser('Museum opens late')), { url: URL_ }).blocks.map((b) => b.text);
    expect(withHeadline.join('\n')).not.toContain('Ferry fares rise');
    expect(withHeadline).toContain(PARAS[3]);
    const noHeadline = main.replace('<h1>Plan for Ukraine</h1>', '');
    const without = extractPage(html(noHeadline + teaser('Ferry fares rise')), { url: URL_ }).blocks.map((b) => b.text);
    expect(without.join('\n')).toContain('Ferry fares rise');
  });

  it.each([
    ['relatedArticles', ['related', 'articles', 'related-articles']],
    ['post-share_bar', ['post', 'share', 'bar', 'post-share', 'share-bar']],
    ['shadow thread', ['shadow', 'thread', 'shadow-thread']],
  ])('nameWords(%j)', (name, words) => {
    expect(nameWords(name)).toEqual(words);
  });
});
