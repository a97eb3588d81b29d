// The outbound guard end to end, on loopback only. Two servers: ALLOWED on 127.0.0.1 (the
// allowlisted fixture address) and TARGET on 127.0.0.2 — loopback too, but not allowlisted,
// standing in for an internal service. Every refusal asserts that TARGET saw no request.
// Hostnames come from a resolver stub; nothing here resolves a real name or leaves 127.0.0.0/8.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FeedsiftError, PermanentError } from '../../pipeline/errors.ts';
import { pollFeed } from '../../pipeline/fetch-feed.ts';
import { fetchPage } from '../../pipeline/fetch-page.ts';
import type { HttpOptions, ResolvedAddress } from '../../pipeline/http.ts';
import { httpGet } from '../../pipeline/http.ts';

interface Loopback {
  server: http.Server;
  port: number;
  seen: string[];
}

async function listen(host: string): Promise<Loopback> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    if (url.pathname === '/redirect' && to) {
      res.writeHead(302, { location: to });
      return void res.end();
    }
    if (url.pathname === '/feed') {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      return void res.end('<rss version="2.0"><channel><title>t</title><item><link>/a</link></item></channel></rss>');
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body><p>internal secret</p></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

let allowed: Loopback;
let target: Loopback;

beforeAll(async () => {
  allowed = await listen('127.0.0.1');
  target = await listen('127.0.0.2');
});
afterAll(async () => {
  for (const s of [allowed, target]) await new Promise<void>((r) => s.server.close(() => r()));
});
beforeEach(() => {
  allowed.seen.length = 0;
  target.seen.length = 0;
});

const ALLOW: Partial<HttpOptions> = { allowHosts: ['127.0.0.1'] };

/** A resolver stub: name → the next address of its list (the last one repeats), every question recorded. */
function stubResolver(answers: Record<string, string[]>): { resolveHost: (h: string) => Promise<ResolvedAddress>; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolveHost: async (hostname) => {
      asked.push(hostname);
      const list = answers[hostname];
      if (!list) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      const address = list.length > 1 ? list.shift()! : list[0]!;
      return { address, family: address.includes(':') ? 6 : 4 };
    },
  };
}

/** The FeedsiftError a promise rejects with (a resolution fails the test). */
const failure = (p: Promise<unknown>): Promise<FeedsiftError> =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => (expect(e).toBeInstanceOf(FeedsiftError), e as FeedsiftError),
  );

function expectBlocked(err: FeedsiftError, reason = 'loopback'): void {
  expect(err.code).toBe('BLOCKED_ADDRESS');
  expect(err).toBeInstanceOf(PermanentError);
  expect(err.retryable).toBe(false);
  expect(err.details.reason).toBe(reason);
}

describe('outbound guard', () => {
  it('baseline: the allowlisted fixture address is reached', async () => {
    const res = await httpGet({ url: `http://127.0.0.1:${allowed.port}/page` }, ALLOW);
    expect(res.status).toBe(200);
    expect(allowed.seen).toEqual(['/page']);
  });

  it('is on by default: loopback is refused without an allowlist', async () => {
    expectBlocked(await failure(httpGet({ url: `http://127.0.0.1:${allowed.port}/page` })));
    expect(allowed.seen).toEqual([]);
  });

  it.each([
    ['IPv4 literal 127.0.0.2', (port: number) => `http://127.0.0.2:${port}/page`],
    ['IPv4-mapped IPv6 literal', (port: number) => `http://[::ffff:127.0.0.2]:${port}/page`],
    ['IPv4-mapped IPv6 literal, hex form', (port: number) => `http://[::ffff:7f00:2]:${port}/page`],
    ['IPv4 literal written in hex', (port: number) => `http://0x7f.0.0.2:${port}/page`],
    ['IPv4 literal as one integer', (port: number) => `http://2130706434:${port}/page`],
  ])('refuses a loopback address that is not allowlisted: %s', async (_name, urlOf) => {
    const err = await failure(httpGet({ url: urlOf(target.port) }, ALLOW, 'fetch-page'));
    expectBlocked(err);
    expect(err.message).toMatch(/^fetch-page: refused to connect to /);
    expect(target.seen).toEqual([]);
  });

  it('refuses a hostname the resolver maps to a blocked address (checked in the lookup)', async () => {
    const dns = stubResolver({ 'intranet.example': ['127.0.0.2'] });
    const err = await failure(httpGet({ url: `http://intranet.example:${target.port}/page` }, { ...ALLOW, resolveHost: dns.resolveHost }));
    expectBlocked(err);
    expect(err.details.address).toBe('127.0.0.2');
    expect(dns.asked).toEqual(['intranet.example']);
    expect(target.seen).toEqual([]);
  });

  it('a host override does not bypass the guard by itself', async () => {
    const err = await failure(httpGet({ url: `http://outlet.test:${target.port}/page` }, { ...ALLOW, hostOverrides: { 'outlet.test': '127.0.0.2' } }));
    expectBlocked(err);
    expect(target.seen).toEqual([]);
  });

  it('an allowlisted hostname is reached, wherever it resolves', async () => {
    const dns = stubResolver({ 'feeds.internal.test': ['127.0.0.2'] });
    const res = await httpGet({ url: `http://feeds.internal.test:${target.port}/page` }, { allowHosts: ['feeds.internal.test'], resolveHost: dns.resolveHost });
    expect(res.status).toBe(200);
    expect(target.seen).toEqual(['/page']);
  });

  it('an allowlisted CIDR admits its addresses only', async () => {
    const res = await httpGet({ url: `http://127.0.0.2:${target.port}/page` }, { allowHosts: ['127.0.0.2/32'] });
    expect(res.status).toBe(200);
    expectBlocked(await failure(httpGet({ url: `http://127.0.0.1:${allowed.port}/page` }, { allowHosts: ['127.0.0.2/32'] })));
    expect(allowed.seen).toEqual([]);
  });

  it.each([
    ['to an IP literal', () => `http://127.0.0.2:${target.port}/page`],
    ['to a hostname resolving to a blocked address', () => `http://internal.example:${target.port}/page`],
  ])('checks every redirect hop: %s', async (_name, to) => {
    const dns = stubResolver({ 'internal.example': ['127.0.0.2'] });
    const url = `http://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent(to())}`;
    const err = await failure(httpGet({ url }, { ...ALLOW, resolveHost: dns.resolveHost }));
    expectBlocked(err);
    expect(allowed.seen).toHaveLength(1); // the first hop was allowed and made
    expect(target.seen).toEqual([]);
  });

  it('DNS rebinding: the address checked is the one connected to, at every connection', async () => {
    // The name answers an allowlisted address first and a blocked one on the next question,
    // as a rebinding attacker's DNS server would; the redirect makes the client connect again.
    const dns = stubResolver({ 'rebind.example': ['127.0.0.1', '127.0.0.2'] });
    const url = `http://rebind.example:${allowed.port}/redirect?to=${encodeURIComponent(`http://rebind.example:${target.port}/page`)}`;
    const err = await failure(httpGet({ url }, { ...ALLOW, resolveHost: dns.resolveHost }));
    expectBlocked(err);
    expect(dns.asked).toEqual(['rebind.example', 'rebind.example']);
    expect(allowed.seen).toHaveLength(1);
    expect(target.seen).toEqual([]);
  });

  it('IPv6 loopback is refused', async () => {
    expectBlocked(await failure(httpGet({ url: `http://[::1]:${target.port}/page` }, ALLOW)));
  });

  it('guards pollFeed and fetchPage, with their stage', async () => {
    const dns = stubResolver({ 'feeds.example': ['127.0.0.2'] });
    const opts = { ...ALLOW, resolveHost: dns.resolveHost };
    const feedErr = await failure(pollFeed({ id: 'f', url: `http://feeds.example:${target.port}/feed`, pollIntervalSeconds: 300 }, {}, opts));
    expectBlocked(feedErr);
    expect(feedErr.stage).toBe('fetch-feed');
    const pageErr = await failure(fetchPage(`http://feeds.example:${target.port}/page`, opts));
    expectBlocked(pageErr);
    expect(pageErr.stage).toBe('fetch-page');
    expect(target.seen).toEqual([]);
  });
});
