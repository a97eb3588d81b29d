// parseFeed: one table per concern — formats, item normalisation, and the two ways to fail.
import { describe, expect, it } from 'vitest';
import { FeedsiftError } from '../../pipeline/errors.ts';
import { htmlToText, parseFeed, repairXmlEntities, toIsoDate } from '../../pipeline/fetch-feed.ts';
import type { FeedItem, ParsedFeed } from '../../pipeline/records.ts';

const FEED_URL = 'https://outlet.example/news/feed.xml';

const RSS2 = `<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Outlet &amp; Co</title><link>https://outlet.example/</link><language>en-gb</language>
  <item>
    <title>US offers &lt;b&gt;strategic enablers&lt;/b&gt;</title>
    <link>/news/2025/08/enablers?utm_source=rss</link>
    <guid isPermaLink="false">outlet-1234</guid>
    <pubDate>Wed, 27 Aug 2025 11:34:00 +0300</pubDate>
    <dc:creator>Khagan Isayev</dc:creator>
    <description><![CDATA[<p>The US is ready to provide <a href="/x">enablers</a>.</p>]]></description>
    <content:encoded><![CDATA[<p>Full text.</p><p>Second paragraph.</p>]]></content:encoded>
  </item>
  <item><title>No link at all</title><description>cannot be fetched</description></item>
  <item><title>Guid is the permalink</title><guid>https://outlet.example/news/guid-link</guid><pubDate>not a date</pubDate></item>
</channel></rss>`;

const RSS091 = `<rss version="0.91"><channel><title>Old school</title>
<item><title>Item</title><link>http://old.example/1</link><description>Plain &amp; simple</description></item></channel></rss>`;

const RDF = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/"><title>RDF outlet</title><link>https://rdf.example/</link><dc:language>de</dc:language></channel>
  <item rdf:about="https://rdf.example/a/1"><title>Erste</title><link>https://rdf.example/a/1</link><dc:date>2025-08-27T08:34:00Z</dc:date><dc:creator>Redaktion</dc:creator></item>
  <item rdf:about="https://rdf.example/a/2"><title>Zweite</title></item>
</rdf:RDF>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="uk">
  <title type="html">Atom &amp;lt;outlet&amp;gt;</title>
  <link rel="self" href="https://atom.example/feed"/>
  <link rel="alternate" type="text/html" href="https://atom.example/"/>
  <entry>
    <id>tag:atom.example,2025:1</id>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Kyiv <em>responds</em></div></title>
    <link rel="edit" href="https://atom.example/edit/1"/>
    <link rel="alternate" type="text/html" href="/2025/08/kyiv"/>
    <link rel="enclosure" href="https://atom.example/photo.jpg"/>
    <published>2025-08-27T09:00:00+03:00</published>
    <updated>2025-08-28T10:00:00Z</updated>
    <author><name>Anna K.</name></author>
    <summary>Short &amp; sweet</summary>
    <content type="html">&lt;p&gt;Body&lt;/p&gt;</content>
  </entry>
  <entry><id>tag:atom.example,2025:2</id><title>Only a self link</title><link rel="self" href="https://atom.example/e/2.xml"/></entry>
  <entry><id>https://atom.example/by-id/3</id><title>Id is a URL</title><updated>2025-08-29T00:00:00Z</updated></entry>
</feed>`;

const JSON_FEED = JSON.stringify({
  version: 'https://jsonfeed.org/version/1.1',
  title: 'JSON outlet',
  home_page_url: 'https://json.example/',
  language: 'pt-BR',
  authors: [{ name: 'Redação' }],
  items: [
    { id: 42, url: '/n/42', title: 'Notícia', content_html: '<p>Olá</p>', summary: 'Resumo', date_published: '2025-08-27T08:00:00-03:00' },
    { id: 'x', external_url: 'https://elsewhere.example/story', content_text: 'Only text' },
    { id: 'no-url', title: 'skipped' },
  ],
});

const JSON_FEED_10 = JSON.stringify({
  version: 'https://jsonfeed.org/version/1',
  title: 'v1',
  author: { name: 'Solo' },
  items: [{ id: '1', url: 'https://v1.example/1', date_modified: '2020-01-02T03:04:05Z' }],
});

describe('parseFeed: formats', () => {
  const cases: Array<{ name: string; text: string; expected: ParsedFeed }> = [
    {
      name: 'RSS 2.0',
      text: RSS2,
      expected: {
        format: 'rss',
        title: 'Outlet & Co',
        link: 'https://outlet.example/',
        language: 'en-gb',
        items: [
          {
            guid: 'outlet-1234',
            link: 'https://outlet.example/news/2025/08/enablers?utm_source=rss',
            title: 'US offers strategic enablers',
            publishedAt: '2025-08-27T08:34:00.000Z',
            author: 'Khagan Isayev',
            summary: 'The US is ready to provide enablers.',
            contentHtml: '<p>Full text.</p><p>Second paragraph.</p>',
          },
          { guid: 'https://outlet.example/news/guid-link', link: 'https://outlet.example/news/guid-link', title: 'Guid is the permalink' },
        ],
      },
    },
    {
      name: 'RSS 0.91',
      text: RSS091,
      expected: { format: 'rss', title: 'Old school', items: [{ guid: 'http://old.example/1', link: 'http://old.example/1', title: 'Item', summary: 'Plain & simple' }] },
    },
    {
      name: 'RDF (RSS 1.0)',
      text: RDF,
      expected: {
        format: 'rdf',
        title: 'RDF outlet',
        link: 'https://rdf.example/',
        language: 'de',
        items: [
          { guid: 'https://rdf.example/a/1', link: 'https://rdf.example/a/1', title: 'Erste', publishedAt: '2025-08-27T08:34:00.000Z', author: 'Redaktion' },
          { guid: 'https://rdf.example/a/2', link: 'https://rdf.example/a/2', title: 'Zweite' },
        ],
      },
    },
    {
      name: 'Atom 1.0',
      text: ATOM,
      expected: {
        format: 'atom',
        title: 'Atom <outlet>',
        link: 'https://atom.example/',
        language: 'uk',
        items: [
          {
            guid: 'tag:atom.example,2025:1',
            link: 'https://outlet.example/2025/08/kyiv',
            title: 'Kyiv responds',
            publishedAt: '2025-08-27T06:00:00.000Z',
            author: 'Anna K.',
            summary: 'Short & sweet',
            contentHtml: '<p>Body</p>',
          },
          { guid: 'https://atom.example/by-id/3', link: 'https://atom.example/by-id/3', title: 'Id is a URL', publishedAt: '2025-08-29T00:00:00.000Z' },
        ],
      },
    },
    {
      name: 'JSON Feed 1.1',
      text: JSON_FEED,
      expected: {
        format: 'json',
        title: 'JSON outlet',
        link: 'https://json.example/',
        language: 'pt-BR',
        items: [
          { guid: '42', link: 'https://outlet.example/n/42', title: 'Notícia', publishedAt: '2025-08-27T11:00:00.000Z', author: 'Redação', summary: 'Resumo', contentHtml: '<p>Olá</p>' },
          { guid: 'x', link: 'https://elsewhere.example/story', author: 'Redação', summary: 'Only text' },
        ],
      },
    },
    {
      name: 'JSON Feed 1.0 (author object, date_modified)',
      text: JSON_FEED_10,
      expected: { format: 'json', title: 'v1', items: [{ guid: '1', link: 'https://v1.example/1', author: 'Solo', publishedAt: '2020-01-02T03:04:05.000Z' }] },
    },
  ];

  it.each(cases)('$name', ({ text, expected }) => {
    expect(parseFeed(text, { url: FEED_URL })).toEqual(expected);
  });
});

describe('parseFeed: broken but readable feeds', () => {
  const cases: Array<{ name: string; text: string; title: string; items: Array<Partial<FeedItem>> }> = [
    { name: 'HTML named entities (undefined in XML)', text: '<rss version="2.0"><channel><title>Caf&eacute; &ndash; News&nbsp;&hellip;</title></channel></rss>', title: 'Café – News …', items: [] },
    { name: 'bare ampersands in a link', text: '<rss><channel><title>A&B</title><item><link>http://x.example/?a=1&b=2&c</link></item></channel></rss>', title: 'A&B', items: [{ link: 'http://x.example/?a=1&b=2&c' }] },
    { name: 'truncated document', text: '<rss version="2.0"><channel><title>Cut</title><item><title>one</title><link>http://x.example/1</link></item></channel></rss', title: 'Cut', items: [{ link: 'http://x.example/1', title: 'one' }] },
    { name: 'an unclosed element', text: '<rss version="2.0"><channel><title>Open</title><item><link>http://x.example/1</link><br></item></channel></rss>', title: 'Open', items: [{ link: 'http://x.example/1' }] },
    { name: 'no version attribute', text: '<rss><channel><title>Bare</title><item><link>http://x.example/L</link></item></channel></rss>', title: 'Bare', items: [{ link: 'http://x.example/L' }] },
  ];
  it.each(cases)('$name', ({ text, title, items }) => {
    const feed = parseFeed(text, { url: FEED_URL });
    expect(feed.title).toBe(title);
    expect(feed.items).toHaveLength(items.length);
    items.forEach((want, i) => expect(feed.items[i]).toMatchObject(want));
  });
});

describe('parseFeed: failures', () => {
  const cases: Array<{ name: string; text: string; code: string }> = [
    { name: 'empty document', text: '   \n', code: 'FEED_UNPARSEABLE' },
    { name: 'plain text', text: 'Service Unavailable', code: 'FEED_UNPARSEABLE' },
    { name: 'broken JSON', text: '{"version": "https://jsonfeed.org/version/1.1", "items": [', code: 'FEED_UNPARSEABLE' },
    { name: 'an HTML page', text: '<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>', code: 'NOT_A_FEED' },
    { name: 'other XML', text: '<?xml version="1.0"?><note><to>Anaïs</to></note>', code: 'NOT_A_FEED' },
    { name: 'a sitemap', text: '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.example/</loc></url></urlset>', code: 'NOT_A_FEED' },
    { name: 'JSON that is not a JSON Feed', text: '{"status":"ok","items":[]}', code: 'NOT_A_FEED' },
  ];
  it.each(cases)('$name → $code', ({ text, code }) => {
    let caught: unknown;
    try {
      parseFeed(text, { url: FEED_URL });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FeedsiftError);
    expect((caught as FeedsiftError).code).toBe(code);
    expect((caught as FeedsiftError).retryable).toBe(false);
    expect((caught as FeedsiftError).message).toMatch(/^parse-feed: /);
    expect((caught as FeedsiftError).details.url).toBe(FEED_URL);
  });
});

describe('helpers', () => {
  it.each([
    ['Wed, 27 Aug 2025 11:34:00 +0300', '2025-08-27T08:34:00.000Z'],
    ['Wed, 27 Aug 2025 11:34:00 GMT', '2025-08-27T11:34:00.000Z'],
    ['Wed, 27 Aug 2025 04:34:00 PDT', '2025-08-27T11:34:00.000Z'],
    ['2025-08-27T11:34:00.5+02:00', '2025-08-27T09:34:00.500Z'],
    ['2025-08-27', '2025-08-27T00:00:00.000Z'],
    ['yesterday-ish', undefined],
    ['', undefined],
  ])('toIsoDate(%j)', (input, want) => {
    expect(toIsoDate(input)).toBe(want);
  });

  it.each([
    ['<p>One</p><p>Two &amp; three</p>', 'One Two & three'],
    ['<script>var x = "<p>";</script>Text', 'Text'],
    ['a&nbsp;b <!-- c --> d', 'a b d'],
  ])('htmlToText(%j)', (html, want) => {
    expect(htmlToText(html)).toBe(want);
  });

  it.each([
    ['&eacute;&amp;&lt;', '&#233;&amp;&lt;'],
    ['AT&T &unknownentity; &#169; &#xA9;', 'AT&amp;T &amp;unknownentity; &#169; &#xA9;'],
    ['<![CDATA[&eacute; & raw]]> &copy;', '<![CDATA[&eacute; & raw]]> &#169;'],
  ])('repairXmlEntities(%j)', (xml, want) => {
    expect(repairXmlEntities(xml)).toBe(want);
  });
});

describe('script content never becomes title text', () => {
  it.each([
    ['atom 0.3 xhtml title', `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml">safe<script type="text/javascript">location.href='http:/'+'/example.com/';</script> description</div></title><entry><title>e</title><link rel="alternate" href="http://x.test/e"/></entry></feed>`],
    ['atom 1.0 xhtml title with style', `<feed xmlns="http://www.w3.org/2005/Atom"><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">safe<style>body{display:none}</style> description</div></title><entry><title>e</title><link href="http://x.test/e"/></entry></feed>`],
  ])('%s', (_label, xml) => {
    const feed = parseFeed(xml, { url: 'http://x.test/feed' });
    expect(feed.title).toBe('safe description');
  });
});
