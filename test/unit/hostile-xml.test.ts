// Hostile XML against the feed parser: entity expansion, external entities (a loopback server
// that must see no request), parameter entities, deep nesting. Each is refused with HOSTILE_XML,
// nothing expanded or fetched. No timed assertions: the vitest timeout bounds each case.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FeedsiftError } from '../../pipeline/errors.ts';
import { checkXmlSafety, MAX_XML_DEPTH, parseFeed, pollFeed } from '../../pipeline/fetch-feed.ts';

const URL_ = 'http://127.0.0.1/feed.xml';
const item = (body: string): string => `<rss version="2.0"><channel><title>t</title><item><link>http://a.test/1</link><title>${body}</title></item></channel></rss>`;

const seen: string[] = [];
let server: http.Server;
let origin: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/xxe-feed') {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      return void res.end(`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "${origin}/secret">]>${item('&x;')}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('root:x:0:0:secret');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen.length = 0;
});

function billionLaughs(levels: number): string {
  const decls = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= levels; i++) decls.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?><!DOCTYPE rss [${decls.join('')}]>${item(`&lol${levels};`)}`;
}

/** The error parseFeed throws (fails the test when it parses). */
function rejection(xml: string): FeedsiftError {
  try {
    parseFeed(xml, { url: URL_ });
  } catch (err) {
    expect(err).toBeInstanceOf(FeedsiftError);
    return err as FeedsiftError;
  }
  return expect.fail('expected parseFeed to throw');
}

const nested = (depth: number): string => item(`${'<b>'.repeat(depth)}deep${'</b>'.repeat(depth)}`);
const unclosed = (depth: number): string => `<rss version="2.0"><channel>${'<x>'.repeat(depth)}`;

describe('hostile XML → HOSTILE_XML, never expanded, never fetched', () => {
  const cases: Array<[string, () => string]> = [
    ['billion laughs (10 levels, 10^10 lols)', () => billionLaughs(10)],
    ['quadratic blowup (a 100 000-char entity referenced 20 000 times)', () => `<!DOCTYPE rss [<!ENTITY a "${'a'.repeat(100_000)}">]>${item('&a;'.repeat(20_000))}`],
    ['XXE: a SYSTEM file entity', () => `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>${item('&x;')}`],
    ['XXE: a SYSTEM http entity at the loopback server', () => `<!DOCTYPE rss [<!ENTITY x SYSTEM "${origin}/secret">]>${item('&x;')}`],
    ['XXE: a PUBLIC entity', () => `<!DOCTYPE rss [<!ENTITY x PUBLIC "-//X//Y//EN" "${origin}/secret">]>${item('&x;')}`],
    ['a parameter entity fetching an external DTD', () => `<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "${origin}/evil.dtd"> %dtd;]>${item('x')}`],
    ['a lower-case doctype with entities', () => `<!doctype rss [<!entity x "y">]>${item('&x;')}`],
    ['100 000 nested elements', () => nested(100_000)],
    ['100 000 unclosed elements', () => unclosed(100_000)],
    [`${MAX_XML_DEPTH + 1} nested elements (one past the limit)`, () => nested(MAX_XML_DEPTH + 1)],
    ['5 000 unclosed <br> in a broken feed (the lenient parser nests them)', () => item(`a${'<br>'.repeat(5_000)}b`)],
  ];
  it.each(cases)('%s', (_name, build) => {
    const err = rejection(build());
    expect(err.code).toBe('HOSTILE_XML');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^parse-feed: /);
    expect(err.message).not.toContain('root:');
    expect(seen).toEqual([]);
  }, 10_000);

  it('pollFeed of an XXE feed: only the feed itself is requested', async () => {
    const err = await pollFeed({ id: 'x', url: `${origin}/xxe-feed`, pollIntervalSeconds: 300 }, {}, { allowHosts: ['127.0.0.1'] }).then(
      () => expect.fail('expected a rejection'),
      (e: unknown) => e as FeedsiftError,
    );
    expect(err.code).toBe('HOSTILE_XML');
    expect(seen).toEqual(['/xxe-feed']);
  }, 10_000);
});

describe('what stays accepted', () => {
  it.each([
    ['a DOCTYPE without an internal subset', `<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "${origin}/rss-0.91.dtd">${item('Caf&eacute; news')}`, 'Café news'],
    ['HTML named entities without a DTD (repaired, not declared)', item('&eacute;t&eacute; &amp; &hellip;'), 'été & …'],
    ['"<!ENTITY" as text inside CDATA', item('<![CDATA[about <!DOCTYPE x [<!ENTITY a "b">]> syntax]]>'), 'about <!DOCTYPE x [<!ENTITY a "b">]> syntax'],
    [`${MAX_XML_DEPTH - 10} nested elements`, nested(MAX_XML_DEPTH - 10), 'deep'],
    ['500 unclosed <br> in a broken feed (recovered leniently)', item(`a${'<br>'.repeat(500)}b`), undefined],
    ['quoted ">" and "<" in attribute values', `<rss version="2.0"><channel><item a="x>y"><link>http://a.test/1</link><title>ok</title></item></channel></rss>`, 'ok'],
  ])('%s', (_name, xml, title) => {
    const feed = parseFeed(xml, { url: URL_ });
    expect(feed.items).toHaveLength(1);
    if (title !== undefined) expect(feed.items[0]!.title).toBe(title);
    expect(seen).toEqual([]);
  });

  it('checkXmlSafety counts depth, not elements: a long flat feed passes', () => {
    expect(() => checkXmlSafety(`<rss><channel>${'<item><title>x</title></item>'.repeat(50_000)}</channel></rss>`, URL_)).not.toThrow();
  });
});
