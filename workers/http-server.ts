// The HTTP endpoint of `feedsift start`: /metrics (Prometheus), /healthz (the process is alive),
// /readyz (Redis answers and this process's workers run) and the Bull Board dashboard at /ui,
// protected by FEEDSIFT_UI_TOKEN when it is set.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Worker } from 'bullmq';
import type { FeedConfig } from '../pipeline/records.ts';
import type { WorkerContext } from './context.ts';
import { Metrics } from './metrics.ts';

/** Where the dashboard is served. */
export const UI_PATH = '/ui';
/** The cookie a `?token=` login sets: an HMAC of the token, never the token itself. */
export const UI_COOKIE = 'feedsift_ui';
/** Longest /readyz waits for Redis to answer PING. */
const PING_TIMEOUT_MS = 2000;
/** After close(), connections still open (a keep-alive client, a slow scrape) are cut after this. */
const CLOSE_GRACE_MS = 2000;

export interface HttpServerOptions {
  /** The runtime's context (settings, Redis, queues, log) and its workers. */
  runtime: { ctx: WorkerContext; workers: readonly Worker[] };
  /** The configured feeds, for the per-feed gauges. */
  feeds: readonly FeedConfig[];
  /** Default: the settings' FEEDSIFT_HTTP_PORT (0: a free port). */
  port?: number;
  /** Default: the settings' FEEDSIFT_HTTP_HOST. */
  host?: string;
  /** Default: the settings' FEEDSIFT_UI_TOKEN. */
  uiToken?: string | undefined;
}

export interface HttpServer {
  /** `http://host:port` as bound (the real port when 0 was asked). */
  url: string;
  port: number;
  metrics: Metrics;
  /** From now on /readyz answers 503 (the process is shutting down); the other routes still answer. */
  markStopping(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  reason?: string;
  redis: string;
  workers: Record<string, string>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, `${JSON.stringify(body)}\n`, { 'content-type': 'application/json' });
}

/** Compares two secrets in constant time whatever their lengths. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function uiSessionValue(token: string): string {
  return createHmac('sha256', token).update('feedsift /ui session').digest('base64url');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** ok: let through; login: a valid `?token=` (set the cookie, redirect without it); denied: 401. */
export function uiAccess(req: Pick<IncomingMessage, 'headers'>, url: URL, token: string | undefined): 'ok' | 'login' | 'denied' {
  if (token === undefined) return 'ok';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (bearer) return sameSecret(bearer[1]!, token) ? 'ok' : 'denied';
  const query = url.searchParams.get('token');
  if (query !== null) return sameSecret(query, token) ? 'login' : 'denied';
  const cookie = cookieValue(req.headers.cookie, UI_COOKIE);
  if (cookie !== undefined && sameSecret(cookie, uiSessionValue(token))) return 'ok';
  return 'denied';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const { ctx, workers } = opts.runtime;
  const { log } = ctx;
  const port = opts.port ?? ctx.settings.httpServer.port;
  const host = opts.host ?? ctx.settings.httpServer.host;
  const token = 'uiToken' in opts ? opts.uiToken : ctx.settings.httpServer.uiToken;
  let stopping = false;

  const metrics = new Metrics({
    redis: ctx.redis,
    prefix: ctx.settings.prefix,
    queues: ctx.queues,
    feeds: opts.feeds,
    onRedisError: (err) => log.debug({ err: err.message }, 'metrics: redis not readable'),
  });
  metrics.observeWorkers(workers);

  // Bull Board on every queue, internal and output; read-only while nobody has to log in
  const board = new ExpressAdapter();
  board.setBasePath(UI_PATH);
  createBullBoard({
    queues: Object.values(ctx.queues).map((q) => new BullMQAdapter(q, { readOnlyMode: token === undefined })),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: `feedsift (${ctx.settings.prefix})` } },
  });
  const boardApp = board.getRouter() as Handler;

  async function readiness(): Promise<Readiness> {
    const workerStates: Record<string, string> = {};
    for (const w of workers) workerStates[w.name] = w.closing ? 'closing' : w.isRunning() ? 'running' : 'stopped';
    const redisStatus = ctx.redis.status;
    const base = { redis: redisStatus, workers: workerStates };
    if (stopping) return { ready: false, reason: 'shutting down', ...base };
    const idle = Object.entries(workerStates).find(([, s]) => s !== 'running');
    if (idle) return { ready: false, reason: `worker ${idle[0]} is ${idle[1]}`, ...base };
    // a command sent while the connection is down would wait in ioredis' queue until it is back
    if (redisStatus !== 'ready') return { ready: false, reason: `redis connection is ${redisStatus}`, ...base };
    try {
      const pong = await withTimeout(ctx.redis.ping(), PING_TIMEOUT_MS);
      if (pong !== 'PONG') return { ready: false, reason: `redis answered PING with ${pong}`, ...base };
    } catch (err) {
      return { ready: false, reason: `redis did not answer PING: ${(err as Error).message}`, ...base };
    }
    return { ready: true, ...base };
  }

  function serveUi(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const access = uiAccess(req, url, token);
    if (access === 'denied') {
      send(res, 401, `401: the dashboard needs the token (FEEDSIFT_UI_TOKEN): send "Authorization: Bearer <token>", or open ${UI_PATH}?token=<token> once.\n`, {
        'www-authenticate': 'Bearer realm="feedsift"',
      });
      return;
    }
    if (access === 'login') {
      // the token leaves the address bar (and the history) at once; the cookie carries the session
      url.searchParams.delete('token');
      send(res, 303, 'see other\n', {
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${UI_COOKIE}=${uiSessionValue(token!)}; Path=${UI_PATH}; HttpOnly; SameSite=Strict`,
      });
      return;
    }
    // Bull Board's routes are relative to its base path
    const rest = (req.url ?? '').slice(UI_PATH.length);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    boardApp(req, res, (err) => {
      if (err) {
        log.error({ err: (err as Error).message }, 'dashboard error');
        if (!res.headersSent) send(res, 500, '500: dashboard error\n');
      } else if (!res.headersSent) send(res, 404, '404: not found\n');
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://feedsift.local');
    const path = url.pathname;
    if (path === UI_PATH || path.startsWith(`${UI_PATH}/`)) return serveUi(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '405: method not allowed\n', { allow: 'GET, HEAD' });
    switch (path) {
      case '/healthz':
        return sendJson(res, 200, { status: 'alive' });
      case '/readyz': {
        const r = await readiness();
        return sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', ...r });
      }
      case '/metrics': {
        const body = await metrics.render();
        return send(res, 200, body, { 'content-type': metrics.contentType });
      }
      case '/':
        return send(res, 200, `feedsift (${ctx.settings.prefix})\n/metrics  Prometheus metrics\n/healthz  liveness\n/readyz   readiness\n${UI_PATH}       Bull Board dashboard\n`);
      default:
        return send(res, 404, '404: not found (/metrics, /healthz, /readyz, /ui)\n');
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ path: req.url, err: (err as Error).message }, 'http endpoint error');
      if (!res.headersSent) send(res, 500, '500: internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => reject(new Error(`cannot listen on ${host}:${port} (${err.code ?? err.message})`));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  log.info({ url, host, port: bound, ui: `${url}${UI_PATH}`, uiProtected: token !== undefined }, 'http endpoint listening (/metrics, /healthz, /readyz, /ui)');
  if (token === undefined) log.warn({ ui: `${url}${UI_PATH}` }, 'FEEDSIFT_UI_TOKEN is not set: the dashboard is open to anyone who can reach this address (read-only)');

  return {
    url,
    port: bound,
    metrics,
    markStopping() {
      stopping = true;
    },
    close() {
      stopping = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      });
    },
  };
}
