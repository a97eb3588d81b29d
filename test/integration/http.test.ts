// The HTTP client against a loopback server started here: redirects, conditional GET,
// compression, limits, timeouts, status classification, host overrides and .invalid names.
// Also the two callers, pollFeed and fetchPage, end to end over the same server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedsiftError, PermanentError, RetryableError } from '../../pipeline/errors.ts';
import { pollFeed } from '../../pipeline/fetch-feed.ts';
import { fetchPage } from '../../pipeline/fetch-page.ts';
import type { HttpOptions, ResolveHost } from '../../pipeline/http.ts';
import { defaultHttpOptions, httpGet, parseRetryAfter } from '../../pipeline/http.ts';
import { processArticle } from '../../pipeline/article.ts';

const MiB = 1024 * 1024;
/** The outbound guard refuses loopback: this file's server on 127.0.0.1 is reached through the allowlist. */
const LOOPBACK: Partial<HttpOptions> = { allowHosts: ['127.0.0.1'] };
const LONG_TEXT = 'All the news that fits, and then some more. '.repeat(2000); // ~88 KB
const RSS_1251 = iconv.encode(
  '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Новости дня</title>' +
    '<item><title>Первая новость</title><link>/news/1</link><guid>n1</guid></item></channel></rss>',
  'windows-1251',
);
const ETAG = '"v1"';
const LAST_MODIFIED = 'Wed, 27 Aug 2025 08:34:00 GMT';
const seenHeaders: http.IncomingHttpHeaders[] = [];
const openSockets = new Set<import('node:net').Socket>();

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  seenHeaders.push(req.headers);
  const p = url.pathname;
  const chain = /^\/chain\/(\d+)$/.exec(p);
  if (chain) {
    const n = Number(chain[1]);
    if (n === 0) return void res.end('end of chain');
    res.writeHead(302, { location: `${n - 1}` }); // relative to /chain/
    return void res.end();
  }
  switch (p) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', etag: ETAG });
      return void res.end('hello');
    case '/redirect-relative':
      res.writeHead(301, { location: 'ok?from=redirect' });
      return void res.end();
    case '/redirect-absolute-path':
      res.writeHead(308, { location: '/ok' });
      return void res.end();
    case '/redirect-ftp':
      res.writeHead(302, { location: 'ftp://127.0.0.1/file' });
      return void res.end();
    case '/conditional':
      if (req.headers['if-none-match'] === ETAG || req.headers['if-modified-since'] === LAST_MODIFIED) {
        res.writeHead(304, { etag: ETAG });
        return void res.end();
      }
      res.writeHead(200, { etag: ETAG, 'last-modified': LAST_MODIFIED });
      return void res.end('fresh');
    case '/gzip':
      res.writeHead(200, { 'content-encoding': 'gzip' });
      return void res.end(zlib.gzipSync(LONG_TEXT));
    case '/br':
      res.writeHead(200, { 'content-encoding': 'br' });
      return void res.end(zlib.brotliCompressSync(LONG_TEXT));
    case '/deflate':
      res.writeHead(200, { 'content-encoding': 'deflate' });
      return void res.end(zlib.deflateSync(LONG_TEXT));
    case '/corrupt-gzip':
      res.writeHead(200, { 'content-encoding': 'gzip' });
      return void res.end(Buffer.from('this is not gzip at all'));
    case '/big-streamed': {
      // 3 MiB in 64 KiB chunks, no Content-Length: the limit must be enforced while streaming.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < 3 * MiB && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    case '/big-declared':
      res.writeHead(200, { 'content-length': String(3 * MiB) });
      return void res.end(Buffer.alloc(3 * MiB));
    case '/gzip-bomb':
      // 32 MiB of zeros compress to ~32 KiB: small on the wire, large once decompressed.
      res.writeHead(200, { 'content-encoding': 'gzip' });
      return void res.end(zlib.gzipSync(Buffer.alloc(32 * MiB)));
    case '/bomb-gzip':
    case '/bomb-deflate':
    case '/bomb-br': {
      // 5 MiB of zeros: under the 10 MiB size limit once decompressed, but ~1000:1 or more
      const kind = p.slice('/bomb-'.length);
      const zeros = Buffer.alloc(5 * MiB);
      const packed = kind === 'gzip' ? zlib.gzipSync(zeros) : kind === 'deflate' ? zlib.deflateSync(zeros) : zlib.brotliCompressSync(zeros);
      res.writeHead(200, { 'content-encoding': kind });
      return void res.end(packed);
    }
    case '/gzip-text-2mib':
      // ordinary text compresses ~4:1, far under the ratio limit: only the size limit can stop it
      res.writeHead(200, { 'content-encoding': 'gzip' });
      return void res.end(zlib.gzipSync(Buffer.from(Array.from({ length: 2 * MiB / 8 }, (_, i) => (i * 2654435761 % 99_999_989).toString(36).padEnd(8, ' ')).join(''))));
    case '/gzip-small-zeros':
      // 512 KiB of zeros: a huge ratio, but under the size from which the ratio is judged
      res.writeHead(200, { 'content-encoding': 'gzip' });
      return void res.end(zlib.gzipSync(Buffer.alloc(512 * 1024)));
    case '/big-page':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(`<!doctype html><html><body>${'<p>long page</p>'.repeat(10_000)}</body></html>`);
    case '/many-elements':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(`<!doctype html><html><head><title>Many</title></head><body><article>${'<p>Every paragraph of this page is a sentence long enough to count.</p>'.repeat(300)}</article></body></html>`);
    case '/slow-headers':
      setTimeout(() => res.writeHead(200).end('late'), 5_000).unref();
      return;
    case '/slow-body':
      res.writeHead(200);
      res.write('a first part…');
      setTimeout(() => res.end('and the rest'), 5_000).unref();
      return;
    case '/404':
      res.writeHead(404);
      return void res.end('not here');
    case '/410':
      res.writeHead(410);
      return void res.end('gone');
    case '/500':
      res.writeHead(500);
      return void res.end('oops');
    case '/429':
      res.writeHead(429, { 'retry-after': '120' });
      return void res.end('slow down');
    case '/503-date':
      res.writeHead(503, { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() });
      return void res.end('maintenance');
    case '/feed-1251':
      res.writeHead(200, { 'content-type': 'application/rss+xml', etag: ETAG });
      return void res.end(RSS_1251);
    case '/feed-conditional':
      if (req.headers['if-none-match'] === ETAG) {
        res.writeHead(304);
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'application/rss+xml', etag: ETAG, 'last-modified': LAST_MODIFIED });
      return void res.end(RSS_1251);
    case '/json-feed':
      res.writeHead(200, { 'content-type': 'application/feed+json' });
      return void res.end(
        JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'J', items: [{ id: '1', url: '/a/1', title: 'One' }] }),
      );
    case '/html-page':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(Buffer.concat([Buffer.from('<!doctype html><html><head><meta charset="windows-1251"><title>t</title></head><body><p>'), iconv.encode('Привет, мир', 'windows-1251'), Buffer.from('</p></body></html>')]));
    case '/untyped-html':
      return void res.end('<!DOCTYPE html><html><body><p>no content type</p></body></html>');
    case '/pdf':
      res.writeHead(200, { 'content-type': 'application/pdf' });
      return void res.end('%PDF-1.4');
    case '/not-a-feed':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html><head><title>Home</title></head><body><p>Welcome</p></body></html>');
    default:
      res.writeHead(404);
      res.end();
  }
}

let server: http.Server;
let base: string;
let port: number;

beforeAll(async () => {
  server = http.createServer(route);
  server.on('connection', (s) => {
    openSockets.add(s);
    s.on('close', () => openSockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const s of openSockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<FeedsiftError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a rejection').toBeInstanceOf(FeedsiftError);
  return err as FeedsiftError;
}

/** A resolver that records the names it is asked about, and knows none. */
function spyResolver(): { resolveHost: ResolveHost; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolveHost: async (hostname) => {
      asked.push(hostname);
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    },
  };
}

describe('httpGet: successful fetches', () => {
  it('GETs a body with headers, status and final URL', async () => {
    const res = await httpGet({ url: `${base}/ok` }, LOOPBACK);
    expect(res).toMatchObject({ url: `${base}/ok`, status: 200, notModified: false });
    expect(res.body.toString()).toBe('hello');
    expect(res.headers.etag).toBe(ETAG);
    expect(seenHeaders.at(-1)?.['user-agent']).toBe('feedsift/0.1 (+https://github.com/feedsift/feedsift)');
    expect(seenHeaders.at(-1)?.['accept-encoding']).toContain('br');
  });

  it.each([
    ['relative Location', '/redirect-relative', '/ok?from=redirect'],
    ['absolute-path Location (308)', '/redirect-absolute-path', '/ok'],
    ['a chain of 5 (the limit)', '/chain/5', '/chain/0'],
  ])('follows redirects: %s', async (_name, path, finalPath) => {
    const res = await httpGet({ url: `${base}${path}` }, LOOPBACK);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}${finalPath}`);
  });

  it.each([
    ['gzip', '/gzip'],
    ['brotli', '/br'],
    ['deflate', '/deflate'],
  ])('decompresses %s bodies', async (_name, path) => {
    const res = await httpGet({ url: `${base}${path}` }, LOOPBACK);
    expect(res.body.toString()).toBe(LONG_TEXT);
  });

  it.each([
    ['If-None-Match', { etag: ETAG }],
    ['If-Modified-Since', { lastModified: LAST_MODIFIED }],
  ])('sends %s and reports 304 as notModified', async (_name, cond) => {
    const res = await httpGet({ url: `${base}/conditional`, ...cond }, LOOPBACK);
    expect(res.notModified).toBe(true);
    expect(res.status).toBe(304);
    expect(res.body.length).toBe(0);
    const fresh = await httpGet({ url: `${base}/conditional` }, LOOPBACK);
    expect(fresh.notModified).toBe(false);
    expect(fresh.body.toString()).toBe('fresh');
  });

  it('resolves a hostname through hostOverrides, without asking the resolver', async () => {
    const spy = spyResolver();
    const res = await httpGet({ url: `http://outlet-one.test:${port}/ok` }, { hostOverrides: { 'outlet-one.test': '127.0.0.1' }, allowHosts: ['outlet-one.test'], resolveHost: spy.resolveHost });
    expect(res.body.toString()).toBe('hello');
    expect(seenHeaders.at(-1)?.host).toBe(`outlet-one.test:${port}`);
    expect(spy.asked).toEqual([]);
  });
});

describe('httpGet: failures are classified once', () => {
  const cases: Array<{ name: string; path: string; opts?: Partial<HttpOptions>; code: string; retryable: boolean; status?: number }> = [
    { name: '404', path: '/404', code: 'HTTP_STATUS', retryable: false, status: 404 },
    { name: '410', path: '/410', code: 'HTTP_STATUS', retryable: false, status: 410 },
    { name: '500', path: '/500', code: 'HTTP_RETRYABLE_STATUS', retryable: true, status: 500 },
    { name: 'a chain of 6 redirects', path: '/chain/6', code: 'TOO_MANY_REDIRECTS', retryable: false },
    { name: 'a redirect to ftp:', path: '/redirect-ftp', code: 'UNSUPPORTED_PROTOCOL', retryable: false },
    { name: 'a streamed body over maxBytes', path: '/big-streamed', opts: { maxBytes: MiB }, code: 'TOO_LARGE', retryable: false },
    { name: 'a declared Content-Length over maxBytes', path: '/big-declared', opts: { maxBytes: MiB }, code: 'TOO_LARGE', retryable: false },
    { name: 'a gzip bomb over maxBytes once decompressed', path: '/gzip-bomb', opts: { maxBytes: MiB }, code: 'TOO_LARGE', retryable: false },
    { name: 'a gzip bomb under maxBytes, over the ratio', path: '/bomb-gzip', code: 'TOO_LARGE', retryable: false },
    { name: 'a deflate bomb under maxBytes, over the ratio', path: '/bomb-deflate', code: 'TOO_LARGE', retryable: false },
    { name: 'a brotli bomb under maxBytes, over the ratio', path: '/bomb-br', code: 'TOO_LARGE', retryable: false },
    { name: 'ordinary gzip text over maxBytes once decompressed', path: '/gzip-text-2mib', opts: { maxBytes: MiB }, code: 'TOO_LARGE', retryable: false },
    { name: 'a corrupt gzip body', path: '/corrupt-gzip', code: 'DECOMPRESSION_FAILED', retryable: false },
    { name: 'slow response headers', path: '/slow-headers', opts: { headersTimeoutMs: 150 }, code: 'TIMEOUT', retryable: true },
    { name: 'a slow body', path: '/slow-body', opts: { bodyTimeoutMs: 150 }, code: 'TIMEOUT', retryable: true },
  ];
  it.each(cases)('$name → $code', async ({ path, opts, code, retryable, status }) => {
    const err = await failure(httpGet({ url: `${base}${path}` }, { ...LOOPBACK, ...opts }, 'fetch-feed'));
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err).toBeInstanceOf(retryable ? RetryableError : PermanentError);
    expect(err.message.startsWith('fetch-feed: ')).toBe(true);
    expect(err.details.url).toContain('127.0.0.1');
    if (status !== undefined) expect(err.details.status).toBe(status);
  });

  it('429 carries Retry-After seconds as retryAfterMs', async () => {
    const err = await failure(httpGet({ url: `${base}/429` }, LOOPBACK, 'fetch-page'));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe('HTTP_RETRYABLE_STATUS');
    expect((err as RetryableError).retryAfterMs).toBe(120_000);
    expect(err.message).toMatch(/^fetch-page: HTTP 429/);
  });

  it('503 carries a Retry-After HTTP-date as a delay from now', async () => {
    const err = (await failure(httpGet({ url: `${base}/503-date` }, LOOPBACK))) as RetryableError;
    expect(err.code).toBe('HTTP_RETRYABLE_STATUS');
    expect(err.retryAfterMs).toBeGreaterThan(3_000_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(3_600_000);
  });

  it('parses Retry-After forms', () => {
    const now = Date.parse('Wed, 27 Aug 2025 08:00:00 GMT');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 27 Aug 2025 08:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 27 Aug 2025 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('refused connection → CONNECT_FAILED, retryable', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await failure(httpGet({ url: `http://127.0.0.1:${closedPort}/` }, LOOPBACK));
    expect(err.code).toBe('CONNECT_FAILED');
    expect(err.retryable).toBe(true);
  });

  it('a name the resolver does not know → DNS_NOT_FOUND, permanent (the resolver was asked)', async () => {
    const spy = spyResolver();
    const err = await failure(httpGet({ url: 'http://unknown-outlet.test/feed' }, { resolveHost: spy.resolveHost }));
    expect(err.code).toBe('DNS_NOT_FOUND');
    expect(err.retryable).toBe(false);
    expect(spy.asked).toEqual(['unknown-outlet.test']);
  });

  it.each(['http://feed.invalid/rss', 'https://a.b.INVALID./x', 'http://invalid/'])(
    '%s → DNS_NOT_FOUND without any DNS query',
    async (url) => {
      const spy = spyResolver();
      const err = await failure(httpGet({ url }, { hostOverrides: { 'other.test': '127.0.0.1' }, resolveHost: spy.resolveHost }));
      expect(err.code).toBe('DNS_NOT_FOUND');
      expect(err.details.url).toBe(new URL(url).toString());
      expect(spy.asked).toEqual([]);
    },
  );

  it.each([
    ['ftp://127.0.0.1/feed', 'UNSUPPORTED_PROTOCOL'],
    ['file:///etc/passwd', 'UNSUPPORTED_PROTOCOL'],
    ['not a url', 'BAD_URL'],
  ])('%s → %s', async (url, code) => {
    const err = await failure(httpGet({ url }));
    expect(err.code).toBe(code);
    expect(err.message.startsWith('http: ')).toBe(true);
  });
});

describe('limits: what passes and what each message says', () => {
  it.each(['/bomb-gzip', '/bomb-deflate', '/bomb-br'])('%s names the ratio; a raised ratio limit lets it through', async (path) => {
    const err = await failure(httpGet({ url: `${base}${path}` }, LOOPBACK));
    expect(err.message).toMatch(/decompression ratio over 100:1/);
    const res = await httpGet({ url: `${base}${path}` }, { ...LOOPBACK, maxDecompressionRatio: 1e9 });
    expect(res.body.length).toBe(5 * MiB);
  });

  it('a small body compressed far past the ratio passes (judged only past 1 MiB)', async () => {
    const res = await httpGet({ url: `${base}/gzip-small-zeros` }, LOOPBACK);
    expect(res.body.length).toBe(512 * 1024);
  });

  it('ordinary text: the size limit, after decompression', async () => {
    const err = await failure(httpGet({ url: `${base}/gzip-text-2mib` }, { ...LOOPBACK, maxBytes: MiB }));
    expect(err.message).toMatch(/after decompression/);
    expect((await httpGet({ url: `${base}/gzip-text-2mib` }, LOOPBACK)).body.length).toBe(2 * MiB);
  });

  it('a page longer than maxPageChars → TOO_LARGE before the DOM', async () => {
    const err = await failure(fetchPage(`${base}/big-page`, { ...LOOPBACK, maxPageChars: 100_000 }));
    expect(err.code).toBe('TOO_LARGE');
    expect(err.stage).toBe('fetch-page');
    expect(err.details.limit).toBe(100_000);
    expect((await fetchPage(`${base}/big-page`, LOOPBACK)).html.length).toBeGreaterThan(100_000);
  });

  it('processArticle hands maxElements to the extract stage (TOO_LARGE above it)', async () => {
    const item = { guid: 'm', link: `${base}/many-elements` };
    const feedRef = { id: 'f', url: `${base}/feed` };
    const err = await failure(processArticle(item, feedRef, { http: { ...LOOPBACK, maxElements: 200 }, minWords: 1 }));
    expect(err.code).toBe('TOO_LARGE');
    expect(err.stage).toBe('extract');
    const ok = await processArticle(item, feedRef, { http: LOOPBACK, minWords: 1 });
    expect('dropped' in ok).toBe(false);
  });

  it('defaults', () => {
    expect(defaultHttpOptions).toMatchObject({ maxBytes: 10 * MiB, maxDecompressionRatio: 100, maxRedirects: 5, maxPageChars: 5_000_000, maxElements: 50_000, allowHosts: [] });
  });
});

describe('pollFeed over HTTP', () => {
  const feed = (path: string) => ({ id: 'f', url: `${base}${path}`, pollIntervalSeconds: 300 });

  it('fetches, decodes windows-1251 from the XML declaration, resolves links against the final URL', async () => {
    const out = await pollFeed(feed('/feed-1251'), {}, LOOPBACK);
    expect(out.notModified).toBe(false);
    if (out.notModified) return;
    expect(out.charset).toBe('windows-1251');
    expect(out.etag).toBe(ETAG);
    expect(out.feed.title).toBe('Новости дня');
    expect(out.feed.items).toEqual([{ guid: 'n1', link: `${base}/news/1`, title: 'Первая новость' }]);
    expect(seenHeaders.at(-1)?.accept).toContain('application/rss+xml');
  });

  it('sends the stored validators and reports notModified', async () => {
    const first = await pollFeed(feed('/feed-conditional'), {}, LOOPBACK);
    expect(first.notModified).toBe(false);
    if (first.notModified) return;
    expect(first.lastModified).toBe(LAST_MODIFIED);
    const second = await pollFeed(feed('/feed-conditional'), { etag: first.etag, lastModified: first.lastModified }, LOOPBACK);
    expect(second).toEqual({ notModified: true });
  });

  it('parses a JSON Feed by content type', async () => {
    const out = await pollFeed(feed('/json-feed'), {}, LOOPBACK);
    if (out.notModified) throw new Error('unexpected 304');
    expect(out.feed.format).toBe('json');
    expect(out.feed.items[0]?.link).toBe(`${base}/a/1`);
  });

  it.each([
    ['/not-a-feed', 'NOT_A_FEED', 'parse-feed: '],
    ['/404', 'HTTP_STATUS', 'fetch-feed: '],
  ])('%s → %s', async (path, code, prefix) => {
    const err = await failure(pollFeed(feed(path), {}, LOOPBACK));
    expect(err.code).toBe(code);
    expect(err.message.startsWith(prefix)).toBe(true);
  });
});

describe('fetchPage over HTTP', () => {
  it('decodes the page with its meta charset', async () => {
    const page = await fetchPage(`${base}/html-page`, LOOPBACK);
    expect(page).toMatchObject({ finalUrl: `${base}/html-page`, status: 200, charset: 'windows-1251', contentType: 'text/html' });
    expect(page.html).toContain('<p>Привет, мир</p>');
  });

  it('accepts an HTML document served without a Content-Type', async () => {
    const page = await fetchPage(`${base}/untyped-html`, LOOPBACK);
    expect(page.html).toContain('no content type');
    expect(page.contentType).toBe('');
  });

  it('rejects a non-HTML content type with NOT_HTML (permanent)', async () => {
    const err = await failure(fetchPage(`${base}/pdf`, LOOPBACK));
    expect(err.code).toBe('NOT_HTML');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^fetch-page: expected an HTML page, got "application\/pdf"/);
  });

  it('classifies HTTP failures with stage fetch-page', async () => {
    const err = await failure(fetchPage(`${base}/500`, LOOPBACK));
    expect(err.code).toBe('HTTP_RETRYABLE_STATUS');
    expect(err.stage).toBe('fetch-page');
  });
});
