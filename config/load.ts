// Loads the configuration once at start: environment + feeds file (+ OPML imports),
// validated together so that every problem is reported at once, then frozen.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { PermanentError } from '../pipeline/errors.ts';
import type { HttpOptions } from '../pipeline/http.ts';
import type { PolitenessOptions } from '../workers/politeness.ts';
import { filterProblems, type FilterLists } from '../pipeline/filter.ts';
import type { PollingOptions } from '../pipeline/poll-schedule.ts';
import type { FeedConfig } from '../pipeline/records.ts';
import { cleanUrl, sha256Hex, displayHost } from '../pipeline/url.ts';
import { parseOpml } from './opml.ts';
import { envOptions, feedsFileSchema, type EnvKey } from './schema.ts';

export interface ConfigProblem {
  /** `env`, or the file the problem is in. */
  source: string;
  /** Dotted path inside the source (`feeds.2.url`), or the variable name. */
  path: string;
  reason: string;
}

export class ConfigError extends PermanentError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super('config', 'CONFIG_INVALID', `${problems.length} problem(s) in the configuration:\n${problems.map(formatProblem).join('\n')}`);
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `  - ${p.source}${p.path ? ` › ${p.path}` : ''}: ${p.reason}`;
}

type EnvValues = { [K in EnvKey]: z.output<(typeof envOptions)[K][0]> };

export interface Settings {
  redisUrl: string | undefined;
  feedsFile: string;
  prefix: string;
  dataDir: string;
  logLevel: EnvValues['FEEDSIFT_LOG_LEVEL'];
  pollConcurrency: number;
  articleConcurrency: number;
  dedupeConcurrency: number;
  /** Page threads (0: the main thread), their per-page deadline and recycling (workers/page-pool.ts). */
  cpu: { threads: number; pageTimeoutMs: number; maxPagesPerThread: number; maxHeapMb: number };
  jobAttempts: number;
  backoffMs: number;
  maxItemsPerFeed: number;
  minWords: number;
  /** Global article filters (FEEDSIFT_LANGUAGES_*, FEEDSIFT_KEYWORDS_*); each feed's own extend them. */
  filters: FilterLists;
  dedupeWindowHours: number;
  dedupeCrossLanguage: boolean;
  keepCompleted: number;
  /** Adaptive polling bounds and the dead-feed threshold (pipeline/poll-schedule.ts, workers/feed-health.ts). */
  polling: PollingOptions;
  /** BullMQ lock duration and stalled-job check interval (ms). */
  lockDurationMs: number;
  /** Deadline for in-flight jobs on SIGTERM/SIGINT (ms). */
  shutdownTimeoutMs: number;
  /** Per-host politeness (concurrency, delay, robots.txt), shared by all workers through Redis. */
  politeness: PolitenessOptions;
  /** Options of the HTTP client. */
  http: HttpOptions;
  /** The HTTP endpoint of `feedsift start` (workers/http-server.ts). */
  httpServer: { port: number; host: string; uiToken: string | undefined };
}

export interface Config {
  settings: Settings;
  feeds: FeedConfig[];
}

/** Validates the environment; returns the values or problems. */
function readEnv(env: Record<string, string | undefined>, problems: ConfigProblem[]): EnvValues {
  const out: Record<string, unknown> = {};
  for (const [key, [schema]] of Object.entries(envOptions)) {
    const raw = env[key];
    const result = (schema as z.ZodType).safeParse(raw === '' ? undefined : raw);
    if (result.success) out[key] = result.data;
    else for (const issue of result.error.issues) problems.push({ source: 'env', path: key, reason: issue.message });
  }
  return out as EnvValues;
}

export function settingsFromEnv(v: EnvValues): Settings {
  return {
    redisUrl: v.REDIS_URL,
    feedsFile: v.FEEDSIFT_FEEDS_FILE,
    prefix: v.FEEDSIFT_PREFIX,
    dataDir: v.FEEDSIFT_DATA_DIR,
    logLevel: v.FEEDSIFT_LOG_LEVEL,
    pollConcurrency: v.FEEDSIFT_POLL_CONCURRENCY,
    articleConcurrency: v.FEEDSIFT_ARTICLE_CONCURRENCY,
    dedupeConcurrency: v.FEEDSIFT_DEDUPE_CONCURRENCY,
    cpu: {
      threads: v.FEEDSIFT_CPU_THREADS === 'auto' ? availableParallelism() : v.FEEDSIFT_CPU_THREADS,
      pageTimeoutMs: v.FEEDSIFT_PAGE_TIMEOUT_MS,
      maxPagesPerThread: v.FEEDSIFT_CPU_THREAD_MAX_PAGES,
      maxHeapMb: v.FEEDSIFT_CPU_THREAD_MAX_HEAP_MB,
    },
    jobAttempts: v.FEEDSIFT_JOB_ATTEMPTS,
    backoffMs: v.FEEDSIFT_BACKOFF_MS,
    maxItemsPerFeed: v.FEEDSIFT_MAX_ITEMS_PER_FEED,
    minWords: v.FEEDSIFT_MIN_WORDS,
    filters: {
      languages: { allow: [...v.FEEDSIFT_LANGUAGES_ALLOW], deny: [...v.FEEDSIFT_LANGUAGES_DENY] },
      keywords: { include: [...v.FEEDSIFT_KEYWORDS_INCLUDE], exclude: [...v.FEEDSIFT_KEYWORDS_EXCLUDE] },
    },
    dedupeWindowHours: v.FEEDSIFT_DEDUPE_WINDOW_HOURS,
    dedupeCrossLanguage: v.FEEDSIFT_DEDUPE_CROSS_LANGUAGE,
    keepCompleted: v.FEEDSIFT_KEEP_COMPLETED,
    polling: {
      minIntervalS: v.FEEDSIFT_POLL_MIN_INTERVAL_S,
      maxIntervalS: v.FEEDSIFT_POLL_MAX_INTERVAL_S,
      deadAfterHours: v.FEEDSIFT_FEED_DEAD_AFTER_HOURS,
    },
    lockDurationMs: v.FEEDSIFT_LOCK_DURATION_MS,
    shutdownTimeoutMs: v.FEEDSIFT_SHUTDOWN_TIMEOUT_MS,
    politeness: {
      hostConcurrency: v.FEEDSIFT_HOST_CONCURRENCY,
      hostDelayMs: v.FEEDSIFT_HOST_DELAY_MS,
      maxWaitMs: v.FEEDSIFT_HOST_MAX_WAIT_MS,
      respectRobots: v.FEEDSIFT_RESPECT_ROBOTS,
    },
    http: {
      connectTimeoutMs: v.FEEDSIFT_HTTP_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: v.FEEDSIFT_HTTP_HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: v.FEEDSIFT_HTTP_BODY_TIMEOUT_MS,
      maxBytes: v.FEEDSIFT_HTTP_MAX_BYTES,
      maxRedirects: v.FEEDSIFT_HTTP_MAX_REDIRECTS,
      userAgent: v.FEEDSIFT_USER_AGENT,
      hostOverrides: { ...v.FEEDSIFT_HOST_OVERRIDES },
      allowHosts: [...v.FEEDSIFT_ALLOW_HOSTS],
      maxDecompressionRatio: v.FEEDSIFT_HTTP_MAX_DECOMPRESSION_RATIO,
      maxPageChars: v.FEEDSIFT_MAX_PAGE_CHARS,
      maxElements: v.FEEDSIFT_MAX_PAGE_ELEMENTS,
    },
    httpServer: { port: v.FEEDSIFT_HTTP_PORT, host: v.FEEDSIFT_HTTP_HOST, uiToken: v.FEEDSIFT_UI_TOKEN },
  };
}

/** Feed id: configured, else a readable slug of the host plus a short hash of the URL. */
export function feedIdFor(url: string): string {
  const host = displayHost(url).replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40);
  return `${host}-${sha256Hex(cleanUrl(url)).slice(0, 8)}`;
}

function zodProblems(source: string, error: z.ZodError, prefix: Array<string | number> = []): ConfigProblem[] {
  return error.issues.map((issue) => ({
    source,
    path: [...prefix, ...issue.path].map(String).join('.'),
    reason: issue.message,
  }));
}

/** Parses and validates a feeds file's text; OPML imports are read relative to `file`. */
export function readFeedsFile(file: string, text: string, problems: ConfigProblem[], readFile = (p: string) => readFileSync(p, 'utf8')): FeedConfig[] {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}` : '';
    problems.push({ source: file, path: where, reason: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
    return [];
  }
  const parsed = feedsFileSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(file, parsed.error));
    return [];
  }
  const { defaults, feeds, import: imports } = parsed.data;
  const out: FeedConfig[] = [];
  for (const f of feeds) {
    out.push({
      id: f.id ?? feedIdFor(f.url),
      url: f.url,
      ...(f.name ? { name: f.name } : {}),
      pollIntervalSeconds: f.pollInterval ?? defaults.pollInterval,
      ...(f.language ? { languageHint: f.language.toLowerCase().split('-')[0] } : {}),
      ...(f.filters ? { filters: f.filters } : {}),
    });
  }
  imports.forEach((rel, i) => {
    const opmlPath = path.resolve(path.dirname(file), rel);
    try {
      for (const o of parseOpml(readFile(opmlPath))) {
        out.push({
          id: feedIdFor(o.url),
          url: o.url,
          ...(o.name ? { name: o.name } : {}),
          pollIntervalSeconds: defaults.pollInterval,
          ...(o.language ? { languageHint: o.language.toLowerCase().split('-')[0] } : {}),
        });
      }
    } catch (err) {
      problems.push({ source: file, path: `import.${i}`, reason: `cannot import ${opmlPath}: ${(err as Error).message}` });
    }
  });
  // the same feed twice is a mistake an operator wants to hear about
  const seen = new Map<string, number>();
  out.forEach((f, i) => {
    const prev = seen.get(f.id);
    if (prev !== undefined) problems.push({ source: file, path: `feeds.${i}`, reason: `duplicate feed id "${f.id}" (also feeds.${prev})` });
    else seen.set(f.id, i);
  });
  return out;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj)) deepFreeze(v);
  }
  return obj;
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Feeds given programmatically (demo, tests) instead of reading the feeds file. */
  feeds?: FeedConfig[];
  /** Merged into settings (demo, tests). */
  overrides?: (s: Settings) => void;
}

/** Reads and validates everything; throws ConfigError listing every problem. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const values = readEnv(env, problems);
  if (values.FEEDSIFT_POLL_MIN_INTERVAL_S > values.FEEDSIFT_POLL_MAX_INTERVAL_S) {
    problems.push({ source: 'env', path: 'FEEDSIFT_POLL_MIN_INTERVAL_S', reason: `${values.FEEDSIFT_POLL_MIN_INTERVAL_S} is above FEEDSIFT_POLL_MAX_INTERVAL_S (${values.FEEDSIFT_POLL_MAX_INTERVAL_S})` });
  }
  let feeds: FeedConfig[] = opts.feeds ?? [];
  // feeds given programmatically skip the file's schema: their keyword patterns are checked here
  for (const feed of feeds) {
    for (const p of filterProblems(feed.filters ?? {})) {
      problems.push({ source: 'feeds', path: [feed.id, 'filters', ...p.path].join('.'), reason: `feed "${feed.id}": ${p.reason}` });
    }
  }
  if (!opts.feeds && values.FEEDSIFT_FEEDS_FILE) {
    const file = path.resolve(opts.cwd ?? process.cwd(), values.FEEDSIFT_FEEDS_FILE);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ source: file, path: '', reason: `cannot read the feeds file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    }
    if (text !== undefined) feeds = readFeedsFile(file, text, problems);
  }
  if (problems.length) throw new ConfigError(problems);
  const settings = settingsFromEnv(values);
  opts.overrides?.(settings);
  return deepFreeze({ settings, feeds });
}
