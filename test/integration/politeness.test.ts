// The per-host politeness gate on real Redis, against a loopback server that logs every request
// (host, path, start time, requests of that host in flight at its start). Two HostGates on two
// Redis connections stand for two worker processes. Assertions read the server's log: what it
// saw, in what order, how many at once, and the gaps between starts as the server measured them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FeedsiftError } from '../../pipeline/errors.ts';
import { httpGet, type HttpOptions } from '../../pipeline/http.ts';
import { HostGate, type PolitenessOptions } from '../../workers/politeness.ts';
import { deletePrefix, newRedis, uniquePrefix } from '../helpers/redis.ts';

interface Hit {
  host: string;
  path: string;
  start: number;
  inFlight: number;
  userAgent: string;
}

const HOSTS = ['a.test', 'b.test', 'r.test', 'down.test', 'gone.test', 'k.test', 'cd.test'];
const ROBOTS: Record<string, { status: number; body?: string }> = {
  // the * group forbids /private; our own group (matched case-insensitively) replaces it
  'r.test': { status: 200, body: '\uFEFFUser-agent: *\r\nDisallow: /\r\n\r\nUser-agent: FeedSift\r\nDisallow: /secret # ours\r\nAllow: /secret/open\r\n' },
  'down.test': { status: 503 },
  'gone.test': { status: 404 },
  'cd.test': { status: 200, body: 'User-agent: *\nCrawl-delay: 0.3\n' },
};

let server: http.Server;
let port = 0;
let log: Hit[] = [];
const inFlight = new Map<string, number>();

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  const host = (req.headers.host ?? '').split(':')[0]!;
  const path = req.url ?? '/';
  const now = inFlight.get(host) ?? 0;
  inFlight.set(host, now + 1);
  log.push({ host, path, start: performance.now(), inFlight: now + 1, userAgent: String(req.headers['user-agent']) });
  res.on('close', () => inFlight.set(host, (inFlight.get(host) ?? 1) - 1));
  if (path === '/robots.txt') {
    const r = ROBOTS[host] ?? { status: 404 };
    res.writeHead(r.status, { 'content-type': 'text/plain' });
    return void res.end(r.body ?? '');
  }
  if (path.startsWith('/429')) {
    res.writeHead(429, { 'retry-after': '3' });
    return void res.end();
  }
  const slow = /^\/slow\/(\d+)/.exec(path);
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body><p>ok</p></body></html>');
  }, slow ? Number(slow[1]) : 0);
}

beforeAll(async () => {
  server = http.createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const HTTP: Partial<HttpOptions> = {
  hostOverrides: Object.fromEntries(HOSTS.map((h) => [h, '127.0.0.1'])),
  allowHosts: HOSTS,
};
const url = (host: string, path: string) => `http://${host}:${port}${path}`;

let prefix: string;
let redisA: Redis;
let redisB: Redis;
beforeEach(() => {
  prefix = uniquePrefix('fstest-polite');
  redisA = newRedis();
  redisB = newRedis();
  log = [];
});
afterEach(async () => {
  await deletePrefix(redisA, prefix);
  redisA.disconnect();
  redisB.disconnect();
});

const opts = (o: Partial<PolitenessOptions>): PolitenessOptions => ({ hostConcurrency: 2, hostDelayMs: 0, respectRobots: true, maxWaitMs: 10_000, ...o });
const fetchThrough = (gate: HostGate, target: string, robots = false) =>
  gate.around(target, { robots }, () => httpGet({ url: target }, HTTP, 'fetch-page'));
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof FeedsiftError ? err.code : String(err);
  }
}
const startsOf = (host: string, pathPrefix = '/') => log.filter((h) => h.host === host && h.path.startsWith(pathPrefix)).map((h) => h.start);
const gaps = (starts: number[]) => starts.slice(1).map((s, i) => s - starts[i]!);

describe('two gates (two workers) share one host budget', () => {
  it('never more than hostConcurrency requests of a host in flight at the server', async () => {
    const gates = [new HostGate(redisA, prefix, opts({ hostConcurrency: 2 }), HTTP), new HostGate(redisB, prefix, opts({ hostConcurrency: 2 }), HTTP)];
    // 12 slow requests to a.test and 4 to b.test, all started at once from both gates
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => fetchThrough(gates[i % 2]!, url('a.test', `/slow/60/${i}`))),
      ...Array.from({ length: 4 }, (_, i) => fetchThrough(gates[i % 2]!, url('b.test', `/slow/60/${i}`))),
    ]);
    const a = log.filter((h) => h.host === 'a.test');
    expect(a).toHaveLength(12);
    expect(Math.max(...a.map((h) => h.inFlight))).toBe(2);
    // the limit is per host: b.test ran beside a.test, within its own limit
    const b = log.filter((h) => h.host === 'b.test');
    expect(b).toHaveLength(4);
    expect(Math.max(...b.map((h) => h.inFlight))).toBeLessThanOrEqual(2);
  });

  it('keeps hostDelayMs between request starts, as the server saw them', async () => {
    const DELAY = 200;
    const gates = [new HostGate(redisA, prefix, opts({ hostConcurrency: 8, hostDelayMs: DELAY }), HTTP), new HostGate(redisB, prefix, opts({ hostConcurrency: 8, hostDelayMs: DELAY }), HTTP)];
    await Promise.all(Array.from({ length: 6 }, (_, i) => fetchThrough(gates[i % 2]!, url('a.test', `/page/${i}`))));
    const starts = startsOf('a.test');
    expect(starts).toHaveLength(6);
    // the gap is fixed when a slot is taken; the request reaches the server a few ms later, give or take
    for (const gap of gaps(starts)) expect(gap).toBeGreaterThanOrEqual(DELAY - 30);
  });
});

describe('Retry-After', () => {
  it('a 429 with Retry-After holds back that host only', async () => {
    const gate = new HostGate(redisA, prefix, opts({ maxWaitMs: 300 }), HTTP);
    const other = new HostGate(redisB, prefix, opts({ maxWaitMs: 300 }), HTTP);
    const first = await fetchThrough(gate, url('a.test', '/429')).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(FeedsiftError);
    expect((first as FeedsiftError).details.retryAfterMs).toBe(3000);
    // another host: served at once
    expect(await codeOf(fetchThrough(other, url('b.test', '/page/1')))).toBe('ok');
    // the same host, from another worker: no slot within 300 ms (the host is deferred for 3 s); never requested
    const busy = await fetchThrough(other, url('a.test', '/page/2')).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(FeedsiftError);
    expect((busy as FeedsiftError).code).toBe('HOST_BUSY');
    expect((busy as FeedsiftError).retryable).toBe(true);
    expect((busy as FeedsiftError).details.retryAfterMs).toBeGreaterThan(2000);
    expect(log.map((h) => `${h.host}${h.path}`)).toEqual(['a.test/429', 'b.test/page/1']);
  });
});

describe('robots.txt for page fetches', () => {
  it('a disallowed page fails with ROBOTS_DISALLOWED and is never requested; robots.txt is fetched once', async () => {
    const gates = [new HostGate(redisA, prefix, opts({}), HTTP), new HostGate(redisB, prefix, opts({}), HTTP)];
    expect(await codeOf(fetchThrough(gates[0]!, url('r.test', '/secret/plans'), true))).toBe('ROBOTS_DISALLOWED');
    expect(await codeOf(fetchThrough(gates[1]!, url('r.test', '/secret/more'), true))).toBe('ROBOTS_DISALLOWED');
    // our group replaces the * group ("Disallow: /" for everyone else); its longer Allow wins
    expect(await codeOf(fetchThrough(gates[1]!, url('r.test', '/news/1'), true))).toBe('ok');
    expect(await codeOf(fetchThrough(gates[0]!, url('r.test', '/secret/open/1'), true))).toBe('ok');
    expect(log.map((h) => h.path)).toEqual(['/robots.txt', '/news/1', '/secret/open/1']);
    // the product token in robots.txt matched the one our User-Agent starts with
    expect(log[0]!.userAgent.toLowerCase().startsWith('feedsift/')).toBe(true);
  });

  it('FEEDSIFT_RESPECT_ROBOTS=false and feed fetches skip robots.txt', async () => {
    const off = new HostGate(redisA, prefix, opts({ respectRobots: false }), HTTP);
    expect(await codeOf(fetchThrough(off, url('r.test', '/secret/x'), true))).toBe('ok');
    const on = new HostGate(redisB, prefix, opts({}), HTTP);
    expect(await codeOf(fetchThrough(on, url('r.test', '/secret/feed.xml'), false))).toBe('ok');
    expect(log.map((h) => h.path)).toEqual(['/secret/x', '/secret/feed.xml']);
  });

  it('robots.txt 404 → allowed; 503 → retryable, the page waits and is not requested', async () => {
    const gate = new HostGate(redisA, prefix, opts({}), HTTP);
    expect(await codeOf(fetchThrough(gate, url('gone.test', '/anything'), true))).toBe('ok');
    const down = await fetchThrough(gate, url('down.test', '/page'), true).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(FeedsiftError);
    expect((down as FeedsiftError).retryable).toBe(true);
    expect((down as FeedsiftError).message).toMatch(/^fetch-page: robots\.txt of .* unavailable/);
    // asked again within the minute: the remembered failure, no new robots.txt request
    expect(await codeOf(fetchThrough(gate, url('down.test', '/page2'), true))).toBe('HTTP_RETRYABLE_STATUS');
    expect(log.map((h) => `${h.host}${h.path}`)).toEqual(['gone.test/robots.txt', 'gone.test/anything', 'down.test/robots.txt']);
  });

  it('a Crawl-delay raises the host delay for that host', async () => {
    const gates = [new HostGate(redisA, prefix, opts({ hostConcurrency: 8 }), HTTP), new HostGate(redisB, prefix, opts({ hostConcurrency: 8 }), HTTP)];
    await gates[0]!.robotsPolicy(url('cd.test', '/')); // robots.txt read first, so the pages all see its delay
    await Promise.all(Array.from({ length: 4 }, (_, i) => fetchThrough(gates[i % 2]!, url('cd.test', `/p/${i}`), true)));
    const starts = startsOf('cd.test', '/p/');
    expect(starts).toHaveLength(4);
    for (const gap of gaps(starts)) expect(gap).toBeGreaterThanOrEqual(300 - 30);
  });
});

describe('a killed holder', () => {
  it('its slot expires (alone, not with the whole key) and another worker takes it', async () => {
    const o = opts({ hostConcurrency: 2, slotTtlMs: 400 });
    const killed = new HostGate(redisA, prefix, o, HTTP);
    await killed.acquire(url('k.test', '/x'));
    redisA.disconnect(); // the holder dies without releasing
    const patient = new HostGate(redisB, prefix, { ...o, maxWaitMs: 5000 }, HTTP);
    const hasty = new HostGate(redisB, prefix, { ...o, maxWaitMs: 100 }, HTTP);
    // the dead holder's slot is really held: with one more lease taken, the host is full
    const mine = await patient.acquire(url('k.test', '/y'));
    expect(await codeOf(hasty.acquire(url('k.test', '/z')))).toBe('HOST_BUSY');
    await patient.release(mine);
    // meanwhile the host stays in use (the slots key is written again and again) …
    for (let i = 0; i < 8; i++) {
      await patient.release(await patient.acquire(url('k.test', `/busy/${i}`)));
      await new Promise((r) => setTimeout(r, 80));
    }
    // … and still both slots are free at once: the dead holder's token expired by its own score
    // (the key as a whole, just written again, has not expired)
    const first = await patient.acquire(url('k.test', '/1'));
    const second = await hasty.acquire(url('k.test', '/2'));
    expect([first.host, second.host]).toEqual(['k.test', 'k.test']);
    redisA = newRedis(); // for afterEach's cleanup
  });

  it('a live holder keeps its slot past the slot lifetime (renewed while held)', async () => {
    const o = opts({ hostConcurrency: 1, slotTtlMs: 300 });
    const holder = new HostGate(redisA, prefix, o, HTTP);
    let probe = 'not run';
    await holder.around(url('k.test', '/long'), {}, async () => {
      await new Promise((r) => setTimeout(r, 700)); // more than twice the slot lifetime
      probe = await codeOf(new HostGate(redisB, prefix, { ...o, maxWaitMs: 100 }, HTTP).acquire(url('k.test', '/other')));
    });
    expect(probe).toBe('HOST_BUSY');
  });
});
