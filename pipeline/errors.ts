// Typed errors of every stage. Two classes drive retry behaviour:
// - RetryableError: the same input may succeed later (network, timeout, 408/429/5xx).
// - PermanentError: retrying cannot help (4xx, unparseable, too large, blocked address).
// Every error carries a stable `code` (documented in README.md) and a message that
// starts with the stage that raised it, so a log line or a failed job says where and why.

export type Stage =
  | 'config'
  | 'http'
  | 'charset'
  | 'fetch-feed'
  | 'parse-feed'
  | 'fetch-page'
  | 'extract'
  | 'language'
  | 'strip'
  | 'dedupe'
  | 'publish'
  | 'redis'
  | 'worker';

/** Every error code, each documented in README.md › Errors (a test checks). */
export const ERROR_CODES = [
  // network and HTTP (raised by pipeline/http.ts, classified once there)
  'DNS_NOT_FOUND',
  'CONNECT_FAILED',
  'TIMEOUT',
  'HTTP_RETRYABLE_STATUS', // 408, 425, 429, 500, 502, 503, 504
  'HTTP_STATUS', // any other non-2xx
  'TOO_LARGE',
  'TOO_MANY_REDIRECTS',
  'BAD_URL',
  'UNSUPPORTED_PROTOCOL',
  'DECOMPRESSION_FAILED',
  'BLOCKED_ADDRESS', // the outbound guard refused the address a host resolved to (pipeline/address-guard.ts)
  // content
  'FEED_UNPARSEABLE',
  'HOSTILE_XML', // parse-feed: a DOCTYPE declaring entities, or nesting deeper than MAX_XML_DEPTH
  'NOT_A_FEED',
  'PAGE_EMPTY',
  'NOT_HTML', // fetch-page: the response is not an HTML document (content type)
  'ROBOTS_DISALLOWED', // fetch-page: the site's robots.txt disallows the page for our user-agent (workers/politeness.ts)
  'INVALID_JOB',
  // infrastructure
  'LOCK_TIMEOUT',
  'HOST_BUSY', // worker: no per-host request slot within FEEDSIFT_HOST_MAX_WAIT_MS; the job is retried later
  'PAGE_TIMEOUT', // worker: a page ran past FEEDSIFT_PAGE_TIMEOUT_MS on its page thread; the thread was stopped and replaced
  'PAGE_WORKER_CRASHED', // worker: the page thread died mid-page (out of memory, a crash); replaced, the job is retried
  'REDIS_UNAVAILABLE',
  'CONFIG_INVALID',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  url?: string;
  status?: number;
  retryAfterMs?: number;
  cause?: unknown;
  [key: string]: unknown;
}

export class FeedsiftError extends Error {
  readonly code: ErrorCode;
  readonly stage: Stage;
  readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(stage: Stage, code: ErrorCode, message: string, retryable: boolean, details: ErrorDetails = {}) {
    super(`${stage}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.stage = stage;
    this.code = code;
    this.retryable = retryable;
    this.details = details;
  }

  /** The shape written into records, logs and failed-job summaries. */
  toJSON(): { code: ErrorCode; stage: Stage; message: string; retryable: boolean; url?: string; status?: number } {
    const out: ReturnType<FeedsiftError['toJSON']> = {
      code: this.code,
      stage: this.stage,
      message: this.message,
      retryable: this.retryable,
    };
    if (this.details.url !== undefined) out.url = this.details.url;
    if (this.details.status !== undefined) out.status = this.details.status;
    return out;
  }
}

/** The same request may succeed later. `retryAfterMs` is honoured when the server said so. */
export class RetryableError extends FeedsiftError {
  constructor(stage: Stage, code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(stage, code, message, true, details);
  }
  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}

/** Retrying cannot help; the job fails at once and stays inspectable. */
export class PermanentError extends FeedsiftError {
  constructor(stage: Stage, code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(stage, code, message, false, details);
  }
}

export function isFeedsiftError(err: unknown): err is FeedsiftError {
  return err instanceof FeedsiftError;
}

/** A compact, JSON-safe description of any thrown value. */
export function describeError(err: unknown): { code: string; message: string; retryable: boolean } {
  if (isFeedsiftError(err)) return { code: err.code, message: err.message, retryable: err.retryable };
  if (err instanceof Error) return { code: 'UNEXPECTED', message: err.message, retryable: true };
  return { code: 'UNEXPECTED', message: String(err), retryable: true };
}
