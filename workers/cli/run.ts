// The long-running and run-once modes, shared by the CLI, the demo and the end-to-end test.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config, type LoadOptions } from '../../config/load.ts';
import type { FeedConfig, OutputRecord } from '../../pipeline/records.ts';
import { createLogger, type Logger } from '../log.ts';
import { resolveRedis, type RedisHandle } from '../redis-server.ts';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueName } from '../context.ts';
import { openQueues, readOutput, redisConnection, runOnce, startRuntime, syncSchedulers, type RunSummary, type Role } from '../runtime.ts';
import { deleteKeys } from '../cleanup.ts';
import { readStats } from '../stats.ts';
import { INTERNAL_QUEUES } from '../jobs.ts';
import { progressReporter, type ProgressReporter, type ProgressState } from './progress.ts';
import { startHttpServer } from '../http-server.ts';

/** The configured Redis (REDIS_URL, else the embedded default with its data under FEEDSIFT_DATA_DIR). */
export function configuredRedis(config: Config, redisUrl?: string): Promise<RedisHandle> {
  return resolveRedis(redisUrl ?? config.settings.redisUrl, { dataDir: `${config.settings.dataDir}/redis` });
}

/** Runs `fn` with every queue of the configured prefix open, on the configured Redis; closes all after. */
export async function withQueues<T>(config: Config, fn: (queues: Record<QueueName, Queue>, redis: Redis) => Promise<T>): Promise<T> {
  const handle = await configuredRedis(config);
  const redis = redisConnection(handle.url);
  const queues = openQueues(redis, config.settings.prefix);
  try {
    return await fn(queues, redis);
  } finally {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await redis.quit().catch(() => {});
    await handle.stop();
  }
}

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
}

export interface OnceOptions {
  config: Config;
  log: Logger;
  /** Redis URL; default: the config's REDIS_URL, else the embedded default. */
  redisUrl?: string;
  timeoutMs?: number;
  /** Called while the queues drain (every 200 ms or so) and once at the end. */
  onProgress?: (p: ProgressState) => void;
  /** Collect every output record (the demo's --out). */
  collectOutput?: boolean;
  /** Delete this prefix's keys at the end (the demo uses a fresh prefix per run). */
  cleanup?: boolean;
}

export interface OnceResult {
  summary: RunSummary;
  records: OutputRecord[];
  redis: { url: string; embedded: boolean };
}

/** Polls every configured feed once, waits for every queue to drain, summarises. */
export async function runOnceWithRedis(opts: OnceOptions): Promise<OnceResult> {
  const { config, log } = opts;
  let handle: RedisHandle | undefined;
  try {
    handle = await configuredRedis(config, opts.redisUrl);
    log.info({ redis: handle.embedded ? `embedded ${handle.url}` : handle.url, prefix: config.settings.prefix }, 'redis ready');
    const runtime = await startRuntime(config, { redisUrl: handle.url, log });
    try {
      const runId = newRunId();
      const started = Date.now();
      const { onProgress } = opts;
      // the drain loop reports pending jobs; the run's counters are read beside them, one read at a time
      let reading: Promise<void> | undefined;
      const onCounts = (pending: Record<string, number>): void => {
        if (!onProgress || reading) return;
        reading = readStats(runtime.ctx.redis, config.settings.prefix, runId)
          .then((stats) => onProgress({ feeds: config.feeds.length, stats, pending, elapsedMs: Date.now() - started }))
          .catch((err: unknown) => log.debug({ err: (err as Error).message }, 'progress: counters not read'))
          .finally(() => (reading = undefined));
      };
      const summary = await runOnce(runtime.ctx, config.feeds, {
        runId,
        timeoutMs: opts.timeoutMs ?? 10 * 60_000,
        ...(onProgress ? { onProgress: onCounts } : {}),
      });
      if (onProgress) {
        await reading;
        onProgress({ feeds: config.feeds.length, stats: summary.stats, pending: Object.fromEntries(INTERNAL_QUEUES.map((q) => [q, 0])), elapsedMs: Date.now() - started });
      }
      const records = opts.collectOutput ? ((await readOutput(runtime.ctx)) as OutputRecord[]) : [];
      if (opts.cleanup) await deleteKeys(runtime.ctx.redis, `${config.settings.prefix}:*`);
      return { summary, records, redis: { url: handle.url, embedded: handle.embedded } };
    } finally {
      await runtime.close();
    }
  } finally {
    await handle?.stop();
  }
}

/**
 * Scheduler + workers until SIGTERM/SIGINT: then no new job is taken, in-flight ones get
 * `shutdownTimeoutMs` to finish, connections close. Sets the exit code: 0 when every in-flight
 * job finished; 1 when the deadline cut them off (or closing failed), and then exits at once.
 */
export async function startForever(config: Config, log: Logger, roles: readonly Role[], schedule: boolean, opts: { port?: number } = {}): Promise<number> {
  const handle = await configuredRedis(config);
  const cpuThreads = roles.includes('article') ? config.settings.cpu.threads : 0;
  log.info({ redis: handle.embedded ? `embedded ${handle.url}` : handle.url, prefix: config.settings.prefix, roles, schedule, articleConcurrency: config.settings.articleConcurrency, cpuThreads }, 'starting');
  const runtime = await startRuntime(config, { redisUrl: handle.url, log, roles });
  // /metrics, /healthz, /readyz and the dashboard (workers/http-server.ts); a port in use stops the start
  const http = await startHttpServer({ runtime, feeds: config.feeds, ...(opts.port !== undefined ? { port: opts.port } : {}) }).catch(async (err: unknown) => {
    await runtime.close();
    await handle.stop();
    throw err;
  });
  if (schedule) {
    const r = await syncSchedulers(runtime.ctx, config.feeds);
    log.info(r, 'job schedulers in place, one per feed');
  }
  const code = await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      const timeoutMs = config.settings.shutdownTimeoutMs;
      log.info({ signal, timeoutMs }, 'stopping: waiting for in-flight jobs');
      http.markStopping();
      runtime
        .close({ timeoutMs })
        .then(async (graceful) => {
          await http.close();
          await handle.stop();
          resolve(graceful ? 0 : 1);
        })
        .catch((err: unknown) => {
          log.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  log.info({ exitCode: code }, code === 0 ? 'stopped' : 'stopped forcefully');
  process.exitCode = code;
  // jobs cut off by the deadline may still hold sockets open: leave now
  if (code !== 0) process.exit(code);
  return code;
}

/**
 * The progress display of a long run on stderr: a bar on a terminal, plain lines otherwise;
 * none when `enabled` is false. `finish` ends it (call it whether the run succeeded or not).
 */
export function stderrProgress(enabled: boolean, stderr: NodeJS.WriteStream = process.stderr): ProgressReporter | undefined {
  if (!enabled) return undefined;
  return progressReporter(stderr, { tty: Boolean(stderr.isTTY), columns: stderr.columns || 80 });
}

export function loadOrExit(opts: LoadOptions, stderr: NodeJS.WritableStream = process.stderr): Config {
  try {
    return loadConfig(opts);
  } catch (err) {
    stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

export function loggerFor(config: Config, bindings: Record<string, unknown> = {}): Logger {
  return createLogger(config.settings.logLevel, bindings);
}

export function summaryLines(summary: RunSummary, extra: Record<string, number> = {}): string[] {
  const s = summary.stats;
  const n = (k: string): number => s[k] ?? 0;
  const lines = [
    `feeds:      ${summary.feeds} configured, ${n('feeds.polled')} polled, ${n('feeds.not-modified')} not modified, ${n('feeds.failed')} failed`,
    `articles:   ${n('items.new')} new items, ${n('articles.processed')} processed, ${n('articles.dropped.too-short')} dropped (too short), ${n('articles.failed')} failed`,
    `stories:    ${n('stories')}`,
    `duplicates: ${n('duplicates')}`,
    `updates:    ${n('updates')}`,
    `removed:    ${n('removed.blocks')} blocks stripped from published articles`,
    ...Object.entries(extra).map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`),
    `failures:   ${summary.failures.length}`,
  ];
  for (const f of summary.failures) lines.push(`  - ${f.queue} ${f.target}: ${f.reason} (attempts: ${f.attempts})`);
  lines.push(`warnings:   ${summary.warnings.length}`);
  for (const w of summary.warnings) lines.push(`  - ${w.feedUrl}: ${w.warning}`);
  return lines;
}

export type { FeedConfig };
