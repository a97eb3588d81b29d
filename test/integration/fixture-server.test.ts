// The loopback fixture server serves exactly the manifest: right bytes, charset, validators,
// gzip, port substitution, and the broken feeds break the way they are declared to.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { decodeXML } from 'entities';
import { XMLValidator } from 'fast-xml-parser';
import iconv from 'iconv-lite';
import { JSDOM } from 'jsdom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureOutlet, FixturePage } from '../../fixtures/manifest.ts';
import { brokenFeeds, fixturePath, itemLinkTemplate, loadExpectedSeeds, outlets, PORT_PLACEHOLDER, withPort } from '../../fixtures/manifest.ts';
import type { FixtureServer } from '../../fixtures/server.ts';
import { acceptsGzip, startFixtureServer, substitutePort } from '../../fixtures/server.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let server: FixtureServer;

function get(host: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers: { Host: `${host}:${server.port}`, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();
const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};
const itemLink = (outlet: FixtureOutlet, page: FixturePage): string => withPort(itemLinkTemplate(outlet, page), server.port);

beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});

const feedCases = outlets.map((o) => ({ id: o.id, outlet: o }));
const pageCases = outlets.flatMap((o) => o.pages.map((page) => ({ where: `${o.host}${page.path}`, outlet: o, page })));

describe('feeds', () => {
  it.each(feedCases)('$id: 200, declared Content-Type and charset, every item with its port-substituted link', async ({ outlet }) => {
    const reply = await get(outlet.host, outlet.feed.path);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(outlet.feed.contentType);
    expect(reply.body.includes(PORT_PLACEHOLDER)).toBe(false);
    const text = iconv.decode(reply.body, outlet.feed.charset);
    if (outlet.feed.format === 'json') {
      const doc = JSON.parse(text) as { version: string; title: string; items: Array<{ title: string; url: string }> };
      expect(doc.version).toBe('https://jsonfeed.org/version/1.1');
      expect(doc.title).toBe(outlet.feed.title);
      expect(doc.items.map((i) => [i.title, i.url])).toEqual(outlet.pages.map((p) => [p.title, itemLink(outlet, p)]));
      return;
    }
    expect(XMLValidator.validate(text)).toBe(true);
    const decoded = decodeXML(text);
    expect(decoded).toContain(outlet.feed.title);
    for (const page of outlet.pages) {
      expect(decoded).toContain(page.title);
      expect(decoded).toContain(itemLink(outlet, page));
    }
  });

  it('the ISO-8859-1 feed declares its charset only in the XML declaration, and its bytes are not UTF-8', async () => {
    const legacy = outlets.filter((o) => o.feed.charset !== 'utf-8');
    expect(legacy.length).toBeGreaterThan(0);
    for (const outlet of legacy) {
      const reply = await get(outlet.host, outlet.feed.path);
      expect(reply.headers['content-type']).not.toMatch(/charset/i);
      expect(reply.body.subarray(0, 60).toString('latin1')).toMatch(new RegExp(`encoding="${outlet.feed.charset}"`, 'i'));
      expect(isUtf8(reply.body)).toBe(false);
      // a non-ASCII title survives only when decoded with the declared charset
      expect(outlet.pages.some((p) => /[^\x00-\x7f]/.test(p.title) && iconv.decode(reply.body, outlet.feed.charset).includes(p.title))).toBe(true);
    }
  });

  it('covers RSS 2.0 (twice), Atom, RDF and JSON Feed', () => {
    const formats = outlets.map((o) => o.feed.format);
    expect(formats.filter((f) => f === 'rss').length).toBeGreaterThanOrEqual(2);
    expect(new Set(formats)).toEqual(new Set(['rss', 'atom', 'rdf', 'json']));
  });
});

describe('pages', () => {
  it.each(pageCases)('$where: 200, declared Content-Type, title after decoding with the declared charset', async ({ outlet, page }) => {
    const reply = await get(outlet.host, page.path);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(page.contentType);
    expect(reply.body.includes(PORT_PLACEHOLDER)).toBe(false);
    const html = iconv.decode(reply.body, page.charset);
    const { document } = new JSDOM(html).window;
    expect(squash(document.title)).toContain(squash(page.title));
    if (page.charset !== 'utf-8') {
      // declared only in the HTTP header: nothing in the page says it, and it is not UTF-8
      expect(html).not.toMatch(/<meta[^>]+charset/i);
      expect(page.contentType).toMatch(new RegExp(`charset=${page.charset}`, 'i'));
      expect(isUtf8(reply.body)).toBe(false);
    }
    if (outlet.kind === 'seed-outlet') {
      expect(document.documentElement.getAttribute('lang')).toMatch(/^en/);
      expect(squash(document.querySelector('h1')?.textContent ?? '')).toBe(page.title);
      expect(document.querySelector('link[rel=canonical]')?.getAttribute('href')).toBe(`http://${outlet.host}:${server.port}${page.path}`);
    }
  });

  it('serves an item link with its tracking parameters (the query is not part of the route)', async () => {
    const tracked = pageCases.filter((c) => c.page.linkQuery);
    expect(tracked.length).toBeGreaterThan(1);
    for (const { outlet, page } of tracked) {
      const url = new URL(itemLink(outlet, page));
      expect(url.searchParams.get('utm_source')).toBe('rss');
      expect((await get(outlet.host, url.pathname + url.search)).status).toBe(200);
    }
  });
});

describe('seed pages carry every line of their seed', () => {
  const expected = loadExpectedSeeds();

  it('there is one expectation per seed, each pointing at its outlet page', () => {
    const seeds = outlets.flatMap((o) => o.pages.filter((p) => p.seed).map((p) => p.seed));
    expect(expected.map((e) => e.seed).sort()).toEqual([...seeds].sort());
    expect(seeds).toHaveLength(5);
  });

  it.each(expected.map((e) => ({ seed: e.seed, e })))('$seed', async ({ e }) => {
    const outlet = outlets.find((o) => o.id === e.outlet)!;
    const page = outlet.pages.find((p) => p.seed === e.seed)!;
    expect(e.url).toBe(itemLinkTemplate(outlet, page));
    const seedLines = readFileSync(fixturePath(`seeds/${e.seed}`), 'utf8').split('\n');
    // expectations quote the seed exactly
    for (const line of [...e.mustKeep, ...e.mayDrop]) expect(seedLines).toContain(line);
    const reply = await get(outlet.host, page.path);
    const { document } = new JSDOM(iconv.decode(reply.body, page.charset)).window;
    const blocks = [...document.body.querySelectorAll('p, h1, h2, h3, h4, li, a, div, time')].map((el) => squash(el.textContent ?? ''));
    const bodyText = squash(document.body.textContent ?? '');
    for (const text of e.mustKeep) expect(blocks, text.slice(0, 60)).toContain(squash(text));
    for (const { text } of e.mustRemove) expect(bodyText).toContain(squash(text));
  });
});

describe('HTTP behaviour', () => {
  const outlet = outlets[0]!;
  const page = outlet.pages[0]!;

  it('sends validators and answers If-None-Match and If-Modified-Since with 304', async () => {
    const first = await get(outlet.host, outlet.feed.path);
    const etag = first.headers.etag as string;
    const lastModified = first.headers['last-modified'] as string;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(Date.parse(lastModified)).toBe(Math.max(...outlet.pages.map((p) => Date.parse(p.publishedAt))));

    const same = await get(outlet.host, outlet.feed.path, { 'If-None-Match': etag });
    expect(same.status).toBe(304);
    expect(same.body.length).toBe(0);
    expect(same.headers.etag).toBe(etag);

    expect((await get(outlet.host, outlet.feed.path, { 'If-None-Match': '"something-else", W/"nope"' })).status).toBe(200);
    expect((await get(outlet.host, outlet.feed.path, { 'If-Modified-Since': lastModified })).status).toBe(304);
    expect((await get(outlet.host, outlet.feed.path, { 'If-Modified-Since': new Date(Date.parse(lastModified) - 1000).toUTCString() })).status).toBe(200);
    // If-None-Match wins over If-Modified-Since
    expect((await get(outlet.host, outlet.feed.path, { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified })).status).toBe(200);
  });

  it('gzips when the client accepts it, with the same bytes inside and a weak ETag that still validates', async () => {
    const plain = await get(outlet.host, page.path);
    const zipped = await get(outlet.host, page.path, { 'Accept-Encoding': 'gzip, deflate' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.headers.etag).toBe(`W/${plain.headers.etag as string}`);
    const revalidated = await get(outlet.host, page.path, { 'Accept-Encoding': 'gzip', 'If-None-Match': zipped.headers.etag as string });
    expect(revalidated.status).toBe(304);
    expect((await get(outlet.host, page.path, { 'Accept-Encoding': 'gzip;q=0, identity' })).headers['content-encoding']).toBeUndefined();
  });

  it.each([
    ['gzip', true],
    ['deflate, gzip;q=0.5', true],
    ['*', true],
    ['gzip;q=0', false],
    ['*;q=0', false],
    ['br, deflate', false],
    ['identity', false],
  ])('Accept-Encoding %j admits gzip: %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });

  it('HEAD answers the headers without a body', async () => {
    const head = await get(outlet.host, page.path, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBe(readFileSync(fixturePath(page.file)).length + (String(server.port).length - PORT_PLACEHOLDER.length) * countPlaceholders(page.file));
  });

  it('replaces every {{PORT}} in the bytes', () => {
    const bytes = Buffer.from('a{{PORT}}b{{PORT}}{{PORT}}', 'latin1');
    expect(substitutePort(bytes, 8123).toString('latin1')).toBe('a8123b81238123');
    const none = Buffer.from('plain', 'latin1');
    expect(substitutePort(none, 1)).toBe(none);
  });

  it('records each request with its host (no port) and request target', async () => {
    const before = server.requests.length;
    await get(outlet.host.toUpperCase(), `${page.path}?utm_source=rss`, { 'User-Agent': 'feedsift-test' });
    const last = server.requests.at(-1)!;
    expect(server.requests.length).toBe(before + 1);
    expect(last).toMatchObject({ method: 'GET', host: outlet.host, path: `${page.path}?utm_source=rss` });
    expect(last.headers['user-agent']).toBe('feedsift-test');
  });
});

function countPlaceholders(file: string): number {
  return readFileSync(fixturePath(file), 'latin1').split(PORT_PLACEHOLDER).length - 1;
}

describe('broken feeds', () => {
  it('lists the 500, the malformed and the unresolvable feed', () => {
    expect(server.brokenFeeds.map((f) => f.id)).toEqual(brokenFeeds.map((b) => b.id));
    expect(new Set(brokenFeeds.map((b) => b.failure))).toEqual(new Set(['http-500', 'malformed', 'not-a-feed', 'unresolvable']));
  });

  it('the 500 route answers 500', async () => {
    const url = new URL(server.brokenFeeds.find((f) => f.id === 'broken-500')!.url);
    const reply = await get(url.hostname, url.pathname);
    expect(reply.status).toBe(500);
    expect(reply.headers.etag).toBeUndefined();
  });

  it('the malformed route answers 200 with an RSS content type and XML that does not parse', async () => {
    const url = new URL(server.brokenFeeds.find((f) => f.id === 'broken-malformed')!.url);
    const reply = await get(url.hostname, url.pathname);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/rss\+xml/);
    const text = reply.body.toString('utf8');
    expect(text).toContain('<rss');
    expect(XMLValidator.validate(text)).not.toBe(true);
  });

  it('the unresolvable feed is on a .invalid host that is not mapped to loopback nor served', async () => {
    const url = new URL(server.brokenFeeds.find((f) => f.id === 'broken-unresolvable')!.url);
    expect(url.hostname.endsWith('.invalid')).toBe(true);
    expect(server.hosts[url.hostname]).toBeUndefined();
    expect((await get(url.hostname, url.pathname)).status).toBe(404);
  });
});

describe('configuration handed to the pipeline', () => {
  it('good feeds: stable ids, names, the server port, 300 s polls, hosts mapped to loopback', () => {
    expect(server.feeds.map((f) => f.id)).toEqual(outlets.map((o) => o.id));
    expect(new Set(server.feeds.map((f) => f.id)).size).toBe(server.feeds.length);
    for (const feed of server.feeds) {
      const url = new URL(feed.url);
      expect(url.port).toBe(String(server.port));
      expect(server.hosts[url.hostname]).toBe('127.0.0.1');
      expect(url.hostname.endsWith('.test')).toBe(true);
      expect(feed.name).toBeTruthy();
      expect(feed.pollIntervalSeconds).toBe(300);
    }
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
  });
});

describe('nothing outside the manifest is served', () => {
  const host = outlets[0]!.host;
  it.each([
    [host, '/'],
    [host, '/feed'],
    [host, '/FEED/'],
    [host, '/outlets/athens-observer/feed.xml'],
    [host, '/manifest.ts'],
    [host, '/../manifest.ts'],
    [host, outlets[1]!.feed.path],
    ['127.0.0.1', outlets[0]!.feed.path],
    ['localhost', outlets[0]!.feed.path],
    ['unknown.test', outlets[0]!.feed.path],
    ['zyte-mirror.test', '/articles/LICENSE'],
    ['zyte-mirror.test', '/ground-truth.json'],
  ])('%s %s → 404', async (h, path) => {
    expect((await get(h, path)).status).toBe(404);
  });
});
