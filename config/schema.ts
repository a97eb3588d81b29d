// The one schema of feedsift's configuration: environment variables for the process,
// config/feeds.yaml for the feeds. Every option is documented here with its default, and
// the README's configuration table is checked against this file by a test.
import { z } from 'zod';
import { allowListProblems } from '../pipeline/address-guard.ts';
import { filterProblems, keywordProblem } from '../pipeline/filter.ts';

/** "90", "90s", "15m", "2h", "1d" → seconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' ? 0.001 : unit === 's' ? 1 : unit === 'm' ? 60 : unit === 'h' ? 3600 : 86_400;
  return n * factor;
}

const duration = (min: number, max: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const seconds = parseDuration(v);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use e.g. 300, "90s", "15m", "2h")` });
      return z.NEVER;
    }
    if (seconds < min || seconds > max) {
      ctx.addIssue({ code: 'custom', message: `${seconds}s is outside ${min}s–${max}s` });
      return z.NEVER;
    }
    return seconds;
  });

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

const languageTag = z
  .string()
  .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, 'must be a BCP-47 language tag such as "en" or "pt-BR"');

/**
 * A feed's `filters:` block (pipeline/filter.ts): its lists extend the global ones
 * (FEEDSIFT_LANGUAGES_* / FEEDSIFT_KEYWORDS_*) unless `inherit: false`; minWords replaces FEEDSIFT_MIN_WORDS.
 */
export const feedFiltersSchema = z.strictObject({
  /** Primary subtags compared ('en-GB' ~ 'en'); 'und' (undetermined) passes an allow list only if listed. */
  languages: z.strictObject({ allow: z.array(languageTag).optional(), deny: z.array(languageTag).optional() }).optional(),
  /** Regular expressions matched against title and text (Unicode, case-insensitive unless written /…/flags). */
  keywords: z.strictObject({ include: z.array(z.string().min(1)).optional(), exclude: z.array(z.string().min(1)).optional() }).optional(),
  /** Minimum words after cleaning for this feed; default FEEDSIFT_MIN_WORDS. */
  minWords: z.number().int().min(0).max(10_000).optional(),
  /** false: the global lists do not apply to this feed. Default true. */
  inherit: z.boolean().optional(),
});

/** One feed in config/feeds.yaml. */
export const feedEntrySchema = z.strictObject({
  /** The feed's URL (RSS, Atom, RDF or JSON Feed). Required. */
  url: httpUrl,
  /** Display name of the outlet; default: the feed's own title, else its host. */
  name: z.string().min(1).optional(),
  /** Stable id used in job ids and Redis keys; default: derived from the URL. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-" only (max 64)').optional(),
  /** How often to poll; default: `defaults.pollInterval`. */
  pollInterval: duration(30, 7 * 86_400).optional(),
  /** Language the operator expects (a prior for detection, not a filter); default: none. */
  language: languageTag.optional(),
  /** Filters of this feed's articles, combined with the global ones; default: none. */
  filters: feedFiltersSchema.optional(),
}).superRefine((feed, ctx) => {
  // keyword patterns are compiled here, at load, so a bad one names its feed before anything runs
  for (const p of filterProblems(feed.filters ?? {})) {
    ctx.addIssue({ code: 'custom', path: ['filters', ...p.path], message: `feed "${feed.id ?? feed.url}": ${p.reason}` });
  }
});

export const feedsFileSchema = z.strictObject({
  defaults: z
    .strictObject({
      /** Poll interval for feeds that set none. Default 15m. */
      pollInterval: duration(30, 7 * 86_400).default(900),
    })
    .default({ pollInterval: 900 }),
  /** OPML files (paths relative to the feeds file) whose feeds are added to `feeds`. */
  import: z.array(z.string().min(1)).default([]),
  feeds: z.array(feedEntrySchema).default([]),
});
export type FeedsFile = z.infer<typeof feedsFileSchema>;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Comma-separated language tags: "en,de,pt-BR". */
const languageListEnv = z
  .string()
  .default('')
  .transform((v, ctx) => {
    const tags = v.split(',').map((t) => t.trim()).filter(Boolean);
    for (const tag of tags) {
      if (!languageTag.safeParse(tag).success) ctx.addIssue({ code: 'custom', message: `"${tag}" is not a BCP-47 language tag such as "en" or "pt-BR"` });
    }
    return tags;
  });

/** A JSON array of keyword patterns: regular expressions may hold commas, so no comma list. */
const keywordListEnv = z
  .string()
  .default('')
  .transform((v, ctx) => {
    let list: unknown;
    try {
      list = JSON.parse(v.trim() || '[]');
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.length > 0)) {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of non-empty regular expressions, e.g. ["\\bsport\\b", "horoscope"]' });
      return z.NEVER;
    }
    for (const pattern of list as string[]) {
      const problem = keywordProblem(pattern);
      if (problem) ctx.addIssue({ code: 'custom', message: `global filter: ${problem}` });
    }
    return list as string[];
  });

/**
 * Environment variables. Each entry: [variable, schema with default, description].
 * Nothing outside config/ reads process.env.
 */
export const envOptions = {
  REDIS_URL: [z.string().url().optional(), 'Redis to use. Unset: start a private redis-server from PATH (the embedded default).'],
  FEEDSIFT_FEEDS_FILE: [z.string().default('config/feeds.yaml'), 'The feeds file.'],
  FEEDSIFT_PREFIX: [z.string().regex(/^[A-Za-z0-9_{}-]{1,64}$/).default('feedsift'), 'Prefix of every Redis key and BullMQ queue.'],
  FEEDSIFT_DATA_DIR: [z.string().default('.feedsift'), 'Local folder for the embedded Redis data.'],
  FEEDSIFT_LOG_LEVEL: [z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'), 'pino log level (logs go to stderr).'],
  FEEDSIFT_POLL_CONCURRENCY: [int(1, 256).default(4), 'Feed polls one worker process runs at once.'],
  FEEDSIFT_ARTICLE_CONCURRENCY: [int(1, 256).default(4), 'Article jobs (fetch, extract, language, strip) one worker process runs at once.'],
  FEEDSIFT_CPU_THREADS: [
    z.union([z.literal('auto'), int(0, 256)]).default('auto'),
    'Page threads of one worker process (decode, DOM, extraction, language, strip off the event loop); auto: the cores available to the process (os.availableParallelism()); 0: on the main thread.',
  ],
  FEEDSIFT_PAGE_TIMEOUT_MS: [int(10, 3_600_000).default(60_000), 'Deadline of one page on its page thread; past it the job fails with PAGE_TIMEOUT and the thread is replaced (with FEEDSIFT_CPU_THREADS=0 there is no deadline).'],
  FEEDSIFT_CPU_THREAD_MAX_PAGES: [int(0, 100_000_000).default(0), 'A page thread is replaced by a fresh one after this many pages (its heap goes with it); 0: never.'],
  FEEDSIFT_CPU_THREAD_MAX_HEAP_MB: [int(0, 65_536).default(256), 'V8 old-generation heap limit of each page thread (MiB); a page that needs more fails with PAGE_WORKER_CRASHED, its thread replaced; 0: V8\'s default.'],
  FEEDSIFT_JOB_ATTEMPTS: [int(1, 50).default(4), 'Attempts for a job failing with a retryable error (permanent errors fail at once).'],
  FEEDSIFT_BACKOFF_MS: [int(0, 3_600_000).default(2000), 'First retry delay; doubles each attempt (a Retry-After from the server wins).'],
  FEEDSIFT_LOCK_DURATION_MS: [int(1000, 3_600_000).default(30_000), 'Lock a worker holds on an active job; a job whose worker died (lock expired) is taken up again by the stalled-job check, which runs this often.'],
  FEEDSIFT_SHUTDOWN_TIMEOUT_MS: [int(0, 3_600_000).default(30_000), 'On SIGTERM/SIGINT, time in-flight jobs get to finish; after it the process closes forcefully and exits with code 1.'],
  FEEDSIFT_HTTP_CONNECT_TIMEOUT_MS: [int(100, 300_000).default(10_000), 'TCP/TLS connect timeout.'],
  FEEDSIFT_HTTP_HEADERS_TIMEOUT_MS: [int(100, 300_000).default(15_000), 'Time allowed until response headers.'],
  FEEDSIFT_HTTP_BODY_TIMEOUT_MS: [int(100, 600_000).default(30_000), 'Time allowed for the whole body.'],
  FEEDSIFT_HTTP_MAX_BYTES: [int(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024), 'Largest response body accepted (after decompression).'],
  FEEDSIFT_HTTP_MAX_REDIRECTS: [int(0, 20).default(5), 'Redirects followed per request.'],
  FEEDSIFT_HTTP_MAX_DECOMPRESSION_RATIO: [
    int(2, 100_000).default(100),
    'Largest decompressed:compressed ratio accepted once a body passes 1 MiB decompressed (a compression bomb → TOO_LARGE).',
  ],
  FEEDSIFT_ALLOW_HOSTS: [
    z
      .string()
      .default('')
      .transform((v, ctx) => {
        const entries = v.split(',').map((p) => p.trim()).filter(Boolean);
        for (const problem of allowListProblems(entries)) ctx.addIssue({ code: 'custom', message: problem });
        return entries;
      }),
    'Comma-separated exemptions from the outbound guard (hostnames, *.suffixes, IPs, CIDR ranges); everything else that resolves to a loopback, private, link-local, CGNAT, multicast, reserved or metadata address is refused with BLOCKED_ADDRESS.',
  ],
  FEEDSIFT_MAX_PAGE_CHARS: [int(10_000, 500_000_000).default(5_000_000), 'Characters of a decoded page handed to the DOM; longer → TOO_LARGE before parsing.'],
  FEEDSIFT_MAX_PAGE_ELEMENTS: [int(100, 10_000_000).default(50_000), 'Elements of a parsed page the extract stage accepts; more → TOO_LARGE.'],
  FEEDSIFT_HOST_OVERRIDES: [
    z
      .string()
      .default('')
      .transform((v, ctx) => {
        const map: Record<string, string> = {};
        for (const pair of v.split(',').map((p) => p.trim()).filter(Boolean)) {
          const m = /^([A-Za-z0-9.-]+)=([0-9.]+|\[?[0-9A-Fa-f:]+\]?)$/.exec(pair);
          if (!m) {
            ctx.addIssue({ code: 'custom', message: `"${pair}" is not host=IP` });
            continue;
          }
          map[m[1]!.toLowerCase()] = m[2]!.replace(/^\[|\]$/g, '');
        }
        return map;
      }),
    'Comma-separated host=IP pairs resolved without DNS (like extra /etc/hosts entries), e.g. `feeds.internal=10.0.0.5`.',
  ],
  FEEDSIFT_USER_AGENT: [z.string().min(1).default('feedsift/0.1 (+https://github.com/feedsift/feedsift)'), 'User-Agent sent with every request.'],
  FEEDSIFT_HOST_CONCURRENCY: [int(1, 64).default(2), 'Requests in flight per host, across all worker processes (shared through Redis).'],
  FEEDSIFT_HOST_DELAY_MS: [int(0, 600_000).default(1000), 'Minimum milliseconds between two request starts on one host, across all workers (a robots.txt Crawl-delay raises it; a Retry-After pushes that host back).'],
  FEEDSIFT_HOST_MAX_WAIT_MS: [int(100, 600_000).default(30_000), 'Longest a job waits for a per-host request slot before it is retried later (HOST_BUSY).'],
  FEEDSIFT_RESPECT_ROBOTS: [
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default('true')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
    'Obey robots.txt (product token "feedsift", cached 24 h) before fetching an article page.',
  ],
  FEEDSIFT_POLL_MIN_INTERVAL_S: [
    int(30, 86_400).default(300),
    'Shortest poll interval adaptive polling may choose (busy feeds); each feed\'s job scheduler ticks this often (or at the feed\'s pollInterval when shorter) and skips ticks before the feed is due.',
  ],
  FEEDSIFT_POLL_MAX_INTERVAL_S: [
    int(60, 30 * 86_400).default(21_600),
    'Longest poll interval: failure backoff, unchanged-feed backoff, feed TTLs, Cache-Control and Retry-After stop here; flagged (dead) feeds are polled this often.',
  ],
  FEEDSIFT_FEED_DEAD_AFTER_HOURS: [int(1, 24 * 365).default(24), 'A feed failing without a success for this many hours is flagged dead (shown by `status`, logged) and polled at the max interval, never dropped.'],
  FEEDSIFT_MAX_ITEMS_PER_FEED: [int(1, 10_000).default(200), 'Items taken from one poll of one feed (newest first as the feed lists them).'],
  FEEDSIFT_MIN_WORDS: [int(0, 10_000).default(25), 'Articles with fewer words after cleaning are dropped as too-short (counted, not published); a feed\'s filters.minWords replaces it.'],
  FEEDSIFT_LANGUAGES_ALLOW: [languageListEnv, 'Comma-separated languages (primary subtags compared) whose articles are published; empty: any. "und" (undetermined) passes only if listed.'],
  FEEDSIFT_LANGUAGES_DENY: [languageListEnv, 'Comma-separated languages whose articles are never published (deny wins over allow).'],
  FEEDSIFT_KEYWORDS_INCLUDE: [keywordListEnv, 'JSON array of regular expressions; when set, an article is published only if one matches its title or text.'],
  FEEDSIFT_KEYWORDS_EXCLUDE: [keywordListEnv, 'JSON array of regular expressions; an article whose title or text one matches is not published.'],
  FEEDSIFT_DEDUPE_CROSS_LANGUAGE: [
    z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    'Link copies of a story across languages on shared names, numbers and countries (off by default: it also merges some same-topic pages in two languages).',
  ],
  FEEDSIFT_DEDUPE_CONCURRENCY: [
    int(1, 64).default(4),
    'Dedupe jobs one worker process runs at once: their text features are computed side by side (on the page threads, when the process has them), their decisions taken one at a time in arrival order; decisions of other processes run beside them (each holds the index lock shared by every process only to check and commit; one that a commit made meanwhile made stale is taken again under the lock).',
  ],
  FEEDSIFT_DEDUPE_WINDOW_HOURS: [int(1, 24 * 90).default(72), 'Two articles further apart than this are never the same story.'],
  FEEDSIFT_KEEP_COMPLETED: [int(0, 1_000_000).default(1000), 'Completed jobs kept per internal queue for inspection.'],
  FEEDSIFT_HTTP_PORT: [int(0, 65_535).default(8080), 'Port of the HTTP endpoint of `feedsift start` (/metrics, /healthz, /readyz, /ui); 0: a free port, logged at start. `start --port` overrides it.'],
  FEEDSIFT_HTTP_HOST: [z.string().min(1).default('127.0.0.1'), 'Address the HTTP endpoint listens on: loopback by default; `0.0.0.0` (or `::`) to be reached from other machines (the docker-compose services set it).'],
  FEEDSIFT_UI_TOKEN: [
    z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 16`)').optional(),
    'Token protecting the Bull Board dashboard at /ui (`Authorization: Bearer <token>`, or `/ui?token=<token>` once, then a cookie). Unset: /ui is open to anyone who can reach the port, read-only, and a warning is logged.',
  ],
} as const;

export type EnvKey = keyof typeof envOptions;
