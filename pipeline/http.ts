// The one HTTP client of feedsift, for feeds and pages alike. Built on node:http/https
// (not fetch) so that name resolution goes through our own lookup — hostOverrides first,
// then DNS — and the outbound guard (pipeline/address-guard.ts) checks, inside that lookup,
// the very address the socket then connects to: a name that resolves to a public address
// when asked early and to 10.0.0.5 at connect time (DNS rebinding) is still refused.
// Every failure is classified here, once, into the typed errors of pipeline/errors.ts;
// no caller ever guesses from a message.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { parseAllowList, refuseConnection, type AllowList } from './address-guard.ts';
import { FeedsiftError, PermanentError, RetryableError } from './errors.ts';
import type { ErrorCode, Stage } from './errors.ts';

/** A resolved address, as dns.lookup gives it. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname that hostOverrides does not map. */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress>;

export interface HttpOptions {
  /** Milliseconds to establish the TCP connection. Default 10 000. */
  connectTimeoutMs: number;
  /** Milliseconds from sending the request to receiving the response headers. Default 15 000. */
  headersTimeoutMs: number;
  /** Milliseconds from the response headers to the end of the body. Default 30 000. */
  bodyTimeoutMs: number;
  /** Largest body accepted, in bytes, counted while streaming, on the wire and after decompression. Default 10 MiB. */
  maxBytes: number;
  /** Redirect hops followed before TOO_MANY_REDIRECTS. Default 5. */
  maxRedirects: number;
  /** User-Agent header. Default 'feedsift/0.1 (+https://github.com/feedsift/feedsift)'. */
  userAgent: string;
  /** hostname → IP address, consulted before DNS (fixtures map *.test names to 127.0.0.1). Default {}. */
  hostOverrides: Record<string, string>;
  /** Resolver for names not in hostOverrides. Default: dns.lookup. Tests pass a spy. */
  resolveHost?: ResolveHost;
  /**
   * Exemptions from the outbound guard, which otherwise refuses (BLOCKED_ADDRESS) every
   * loopback, private, link-local, CGNAT, multicast, reserved, documentation and cloud-metadata
   * address: hostnames (`feeds.internal`, `*.test`) and IPs or CIDR ranges (`10.0.0.5`,
   * `fd00::/8`). A hostOverrides entry does not exempt its host by itself. Default [] (none).
   */
  allowHosts: readonly string[];
  /**
   * Largest decompressed:wire byte ratio accepted once the decompressed body passes
   * RATIO_CHECK_FROM_BYTES (1 MiB); above it, TOO_LARGE (a compression bomb). Default 100.
   */
  maxDecompressionRatio: number;
  /**
   * Page limits, enforced after the response (they travel with the HTTP options because every
   * page fetch has them): characters of a decoded page handed to the DOM (fetch-page, TOO_LARGE
   * before parsing), default 5 000 000; elements of the parsed page (extract, TOO_LARGE), default 50 000.
   */
  maxPageChars: number;
  maxElements: number;
}

export const defaultHttpOptions: HttpOptions = Object.freeze({
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 15_000,
  bodyTimeoutMs: 30_000,
  maxBytes: 10 * 1024 * 1024,
  maxRedirects: 5,
  userAgent: 'feedsift/0.1 (+https://github.com/feedsift/feedsift)',
  hostOverrides: Object.freeze({}) as Record<string, string>,
  allowHosts: Object.freeze([]) as readonly string[],
  maxDecompressionRatio: 100,
  maxPageChars: 5_000_000,
  maxElements: 50_000,
});

/** The decompression ratio is judged only past this many decompressed bytes (small bodies compress well legitimately). */
export const RATIO_CHECK_FROM_BYTES = 1024 * 1024;

export interface HttpRequest {
  url: string;
  /** Accept header; default `*\/*`. */
  accept?: string;
  /** Sent as If-None-Match. */
  etag?: string;
  /** Sent as If-Modified-Since. */
  lastModified?: string;
}

export interface HttpResponse {
  /** Final URL, after redirects. */
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Decompressed body (empty on 304). */
  body: Buffer;
  notModified: boolean;
}

/** Statuses worth retrying later (RFC 9110 semantics; 425 Too Early, 429 Too Many Requests). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

// Socket-level error codes that mean "the peer or the path failed; try again later".
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN',
  'EPIPE', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET',
]);
const DNS_NOT_FOUND_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/** RFC 6761 §6.4: names under .invalid never resolve; we do not ask DNS about them. */
export function isReservedInvalidHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'invalid' || h.endsWith('.invalid');
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function defaultResolveHost(hostname: string): Promise<ResolvedAddress> {
  return dns.promises.lookup(hostname).then((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
}

/** The address a hostname connects to: the override when there is one, else the resolver. */
export async function resolveHostname(hostname: string, opts: Pick<HttpOptions, 'hostOverrides' | 'resolveHost'>): Promise<ResolvedAddress> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const ipFamily = net.isIP(bare);
  if (ipFamily) return { address: bare, family: ipFamily === 6 ? 6 : 4 };
  const override = opts.hostOverrides[hostname.toLowerCase()];
  if (override !== undefined) return { address: override, family: net.isIPv6(override) ? 6 : 4 };
  if (isReservedInvalidHost(hostname)) {
    throw Object.assign(new Error(`${hostname} is under the reserved .invalid TLD`), { code: 'ENOTFOUND' });
  }
  return (opts.resolveHost ?? defaultResolveHost)(hostname);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | ResolvedAddress[], family?: number) => void;

interface Ctx {
  stage: Stage;
  url: string;
}

/** PermanentError BLOCKED_ADDRESS when the guard refuses `address` for `hostname`. */
function guardAddress(allow: AllowList, hostname: string, address: string, ctx: Ctx): void {
  const reason = refuseConnection(allow, hostname, address);
  if (reason === undefined) return;
  const shown = hostname.replace(/^\[|\]$/g, '') === address ? address : `${hostname} → ${address}`;
  throw permanent(ctx, 'BLOCKED_ADDRESS', `refused to connect to ${shown} (${reason} address; exempt it with FEEDSIFT_ALLOW_HOSTS) (GET ${ctx.url})`, {
    address,
    reason,
  });
}

/**
 * A `lookup` for http.request that goes through resolveHostname and then the guard, so the
 * address checked is the address connected to (handles `all: true` from autoSelectFamily).
 */
function lookupFor(opts: HttpOptions, allow: AllowList, ctx: Ctx) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolveHostname(hostname, opts)
      .then((r) => {
        guardAddress(allow, hostname, r.address, ctx);
        return r;
      })
      .then(
        (r) => (options.all ? callback(null, [r]) : callback(null, r.address, r.family)),
        (err: NodeJS.ErrnoException) => callback(err, ''),
      );
  };
}

const parsedAllowLists = new WeakMap<readonly string[], AllowList>();

function allowListOf(o: HttpOptions, ctx: Ctx): AllowList {
  const cached = parsedAllowLists.get(o.allowHosts);
  if (cached) return cached;
  try {
    const parsed = parseAllowList(o.allowHosts);
    parsedAllowLists.set(o.allowHosts, parsed);
    return parsed;
  } catch (err) {
    throw new PermanentError('config', 'CONFIG_INVALID', `allowHosts: ${(err as Error).message} (GET ${ctx.url})`, { url: ctx.url });
  }
}

function permanent(ctx: Ctx, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): PermanentError {
  return new PermanentError(ctx.stage, code, message, { url: ctx.url, ...extra });
}
function retryable(ctx: Ctx, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): RetryableError {
  return new RetryableError(ctx.stage, code, message, { url: ctx.url, ...extra });
}

/** Map a socket/request error (or one of our own) to a FeedsiftError. */
function classifyNetworkError(err: unknown, ctx: Ctx): FeedsiftError {
  if (err instanceof FeedsiftError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  const what = `${e?.message ?? String(err)} (GET ${ctx.url})`;
  if (DNS_NOT_FOUND_CODES.has(code)) return permanent(ctx, 'DNS_NOT_FOUND', `host not found: ${what}`, { cause: err });
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return retryable(ctx, 'TIMEOUT', `timed out: ${what}`, { cause: err });
  // A bad certificate will not fix itself between two retries.
  if (/^(CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code) || code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return permanent(ctx, 'CONNECT_FAILED', `TLS failure: ${what}`, { cause: err, tls: true });
  }
  if (CONNECT_ERROR_CODES.has(code)) return retryable(ctx, 'CONNECT_FAILED', `connection failed: ${what}`, { cause: err });
  return retryable(ctx, 'CONNECT_FAILED', `request failed: ${what}`, { cause: err });
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

interface Exchange {
  res: http.IncomingMessage;
  req: http.ClientRequest;
  headers: Record<string, string>;
  /** Clears timers and destroys the connection. */
  close: () => void;
  /** Rejects with a TIMEOUT when the body takes longer than bodyTimeoutMs. */
  bodyDeadline: Promise<never>;
}

/** One request/response, no redirects: resolves at the response headers. */
function exchange(url: URL, headers: Record<string, string>, o: HttpOptions, allow: AllowList, ctx: Ctx): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const timers: NodeJS.Timeout[] = [];
    const clear = (): void => timers.forEach(clearTimeout);
    let settled = false;
    let failBody: (err: FeedsiftError) => void = () => {};
    const bodyDeadline = new Promise<never>((_, rej) => {
      failBody = rej;
    });
    bodyDeadline.catch(() => {}); // observed by readBody; never an unhandled rejection

    const req = mod.request(url, {
      method: 'GET',
      headers,
      agent: false, // one connection per request: a pooled socket must not outlive a host's resolution
      lookup: lookupFor(o, allow, ctx) as unknown as net.LookupFunction,
      servername: net.isIP(url.hostname) ? undefined : url.hostname,
    });
    const fail = (err: unknown): void => {
      const classified = classifyNetworkError(err, ctx);
      clear();
      req.destroy();
      if (!settled) {
        settled = true;
        reject(classified);
      } else {
        failBody(classified);
      }
    };
    timers.push(
      setTimeout(() => fail(retryable(ctx, 'TIMEOUT', `no response headers within ${o.headersTimeoutMs} ms (GET ${ctx.url})`)), o.headersTimeoutMs),
    );
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const t = setTimeout(() => fail(retryable(ctx, 'TIMEOUT', `no connection within ${o.connectTimeoutMs} ms (GET ${ctx.url})`)), o.connectTimeoutMs);
      timers.push(t);
      socket.once('connect', () => clearTimeout(t));
    });
    req.on('error', fail);
    req.on('response', (res) => {
      clear();
      settled = true;
      timers.push(
        setTimeout(() => fail(retryable(ctx, 'TIMEOUT', `body not received within ${o.bodyTimeoutMs} ms (GET ${ctx.url})`)), o.bodyTimeoutMs),
      );
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      resolve({
        res,
        req,
        headers: flattenHeaders(res.headers),
        close: () => {
          clear();
          req.destroy();
        },
        bodyDeadline,
      });
    });
    req.end();
  });
}

function decompressorFor(encoding: string | undefined, ctx: Ctx): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return undefined;
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.createGunzip();
  // "deflate" is meant to be zlib-wrapped (RFC 9110 §8.4.1.2) but some servers send raw deflate;
  // inflate with the zlib header first and let a header error surface as DECOMPRESSION_FAILED.
  if (enc === 'deflate') return zlib.createInflate();
  if (enc === 'br') return zlib.createBrotliDecompress();
  throw permanent(ctx, 'DECOMPRESSION_FAILED', `unsupported Content-Encoding "${encoding}" (GET ${ctx.url})`);
}

/** Reads the body, decompressing, with the size limit on both the wire and the decoded bytes. */
async function readBody(ex: Exchange, o: HttpOptions, ctx: Ctx): Promise<Buffer> {
  const declared = Number(ex.headers['content-length']);
  if (Number.isFinite(declared) && declared > o.maxBytes) {
    throw permanent(ctx, 'TOO_LARGE', `Content-Length ${declared} exceeds the limit of ${o.maxBytes} bytes (GET ${ctx.url})`, { limit: o.maxBytes });
  }
  const decoder = decompressorFor(ex.headers['content-encoding'], ctx);
  const body = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let outBytes = 0;
    let done = false;
    const finish = (err: FeedsiftError | undefined): void => {
      if (done) return;
      done = true;
      if (err) {
        decoder?.destroy();
        ex.close();
        reject(err);
      } else {
        resolve(Buffer.concat(chunks));
      }
    };
    const tooLarge = (where: string): FeedsiftError =>
      permanent(ctx, 'TOO_LARGE', `body exceeds the limit of ${o.maxBytes} bytes ${where} (GET ${ctx.url})`, { limit: o.maxBytes });
    const out: Readable = decoder ?? ex.res;
    ex.res.on('data', (chunk: Buffer) => {
      wireBytes += chunk.length;
      if (wireBytes > o.maxBytes) finish(tooLarge('on the wire'));
    });
    out.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > o.maxBytes) return finish(tooLarge(decoder ? 'after decompression' : 'on the wire'));
      if (decoder && outBytes > RATIO_CHECK_FROM_BYTES && outBytes > wireBytes * o.maxDecompressionRatio) {
        return finish(
          permanent(ctx, 'TOO_LARGE', `decompression ratio over ${o.maxDecompressionRatio}:1 (${outBytes} bytes from ${wireBytes}), a compression bomb (GET ${ctx.url})`, {
            limit: o.maxDecompressionRatio,
          }),
        );
      }
      chunks.push(chunk);
    });
    out.on('end', () => finish(undefined));
    if (decoder) {
      decoder.on('error', (err) => finish(permanent(ctx, 'DECOMPRESSION_FAILED', `cannot decompress the body: ${err.message} (GET ${ctx.url})`, { cause: err })));
      ex.res.pipe(decoder);
    }
  });
  try {
    return await Promise.race([body, ex.bodyDeadline]);
  } finally {
    ex.close();
  }
}

function statusError(status: number, headers: Record<string, string>, ctx: Ctx): FeedsiftError {
  const message = `HTTP ${status} (GET ${ctx.url})`;
  if (RETRYABLE_STATUSES.has(status)) {
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return retryable(ctx, 'HTTP_RETRYABLE_STATUS', message, retryAfterMs === undefined ? { status } : { status, retryAfterMs });
  }
  return permanent(ctx, 'HTTP_STATUS', message, { status });
}

function parseHttpUrl(raw: string, ctx: Ctx, base?: URL): URL {
  let url: URL;
  try {
    url = base ? new URL(raw, base) : new URL(raw);
  } catch (err) {
    throw permanent(ctx, 'BAD_URL', `not a URL: "${raw}"`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw permanent({ ...ctx, url: url.toString() }, 'UNSUPPORTED_PROTOCOL', `only http and https are fetched, not ${url.protocol} (${url})`);
  }
  return url;
}

/**
 * GET a URL: redirects followed by hand (each hop resolved anew), conditional headers sent
 * when given, 304 → notModified, body decompressed and size-limited. Throws only FeedsiftErrors,
 * whose message starts with `stage`.
 */
export async function httpGet(req: HttpRequest, opts: Partial<HttpOptions> = {}, stage: Stage = 'http'): Promise<HttpResponse> {
  const o: HttpOptions = { ...defaultHttpOptions, ...opts };
  const ctx: Ctx = { stage, url: req.url };
  let url = parseHttpUrl(req.url, ctx);
  const allow = allowListOf(o, ctx);
  const headers: Record<string, string> = {
    'user-agent': o.userAgent,
    accept: req.accept ?? '*/*',
    'accept-encoding': 'gzip, deflate, br',
  };
  if (req.etag) headers['if-none-match'] = req.etag;
  if (req.lastModified) headers['if-modified-since'] = req.lastModified;

  for (let hop = 0; ; hop++) {
    const hopCtx: Ctx = { stage, url: url.toString() };
    if (isReservedInvalidHost(url.hostname)) {
      throw permanent(hopCtx, 'DNS_NOT_FOUND', `host not found: ${url.hostname} is under the reserved .invalid TLD (GET ${url})`);
    }
    // An IP literal never reaches the lookup (node connects to it directly): checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(literal)) guardAddress(allow, url.hostname, literal, hopCtx);
    const ex = await exchange(url, headers, o, allow, hopCtx);
    const status = ex.res.statusCode ?? 0;
    const location = ex.headers.location;
    if (REDIRECT_STATUSES.has(status) && location) {
      ex.close();
      if (hop >= o.maxRedirects) {
        throw permanent(hopCtx, 'TOO_MANY_REDIRECTS', `more than ${o.maxRedirects} redirects (started at ${req.url}, last ${url})`, { startUrl: req.url });
      }
      url = parseHttpUrl(location, hopCtx, url);
      continue;
    }
    if (status === 304) {
      ex.close();
      return { url: url.toString(), status, headers: ex.headers, body: Buffer.alloc(0), notModified: true };
    }
    if (status < 200 || status > 299) {
      ex.close();
      throw statusError(status, ex.headers, hopCtx);
    }
    const body = await readBody(ex, o, hopCtx);
    return { url: url.toString(), status, headers: ex.headers, body, notModified: false };
  }
}
