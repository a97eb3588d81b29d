// Wiring: queues, workers, job schedulers, draining, graceful close.
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/load.ts';
import { pollTickSeconds } from '../pipeline/poll-schedule.ts';
import type { FeedConfig } from '../pipeline/records.ts';
import { articleProcessor } from './article.ts';
import { backoffStrategy } from './adapter.ts';
import { internalJobOptions, type QueueName, type WorkerContext } from './context.ts';
import { dedupeProcessor } from './dedupe.ts';
import { INTERNAL_QUEUES, OUTPUT_QUEUES, QUEUES, type PollJob } from './jobs.ts';
import type { Logger } from './log.ts';
import { FeedStore } from './feed-state.ts';
import { createPageCleaner, type PageCleaner } from './page-pool.ts';
import { pollProcessor } from './poll.ts';
import { readStats } from './stats.ts';

export type Role = 'poll' | 'article' | 'dedupe';

/** How many times a job may lose its worker (crash, SIGKILL, lost lock) before it is failed. */
export const MAX_STALLED = 3;
export const ALL_ROLES: readonly Role[] = ['poll', 'article', 'dedupe'];

export interface Runtime {
  ctx: WorkerContext;
  workers: Worker[];
  /** Where article pages are cleaned: the page threads (FEEDSIFT_CPU_THREADS), closed by close(). */
  pages: PageCleaner;
  /**
   * Stops taking jobs, lets in-flight ones finish, closes every connection. With `timeoutMs`,
   * gives up waiting after it and drops the connections (the unfinished jobs stay active until
   * their lock expires, then another worker's stalled-job check takes them up again).
   * Resolves true when every in-flight job finished, false when the deadline cut them off.
   */
  close(opts?: { timeoutMs?: number }): Promise<boolean>;
}

export function redisConnection(url: string): Redis {
  // BullMQ requires maxRetriesPerRequest: null on its connections
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

export function openQueues(redis: Redis, prefix: string): Record<QueueName, Queue> {
  const queues = {} as Record<QueueName, Queue>;
  for (const name of [...INTERNAL_QUEUES, ...OUTPUT_QUEUES]) queues[name] = new Queue(name, { connection: redis, prefix });
  return queues;
}

export interface StartOptions {
  redisUrl: string;
  log: Logger;
  /** Which queues this process works on; default all. */
  roles?: readonly Role[];
  now?: () => Date;
}

/** Opens the queues and starts a worker per role. Workers log their errors; they never crash the process. */
export async function startRuntime(config: Config, opts: StartOptions): Promise<Runtime> {
  const { settings } = config;
  const redis = redisConnection(opts.redisUrl);
  const queues = openQueues(redis, settings.prefix);
  const ctx: WorkerContext = { settings, redis, queues, log: opts.log, now: opts.now ?? (() => new Date()) };
  const roles = opts.roles ?? ALL_ROLES;
  // the article stage's CPU half on page threads (started on first use; idle ones never keep the process alive)
  const pages = createPageCleaner({ ...settings.cpu, threads: roles.includes('article') ? settings.cpu.threads : 0 });
  if (roles.includes('article') && settings.cpu.threads > settings.articleConcurrency) {
    opts.log.warn({ cpuThreads: settings.cpu.threads, articleConcurrency: settings.articleConcurrency }, 'more page threads than article jobs in flight: some threads will stay idle (raise FEEDSIFT_ARTICLE_CONCURRENCY)');
  }
  const processors: Record<Role, { queue: QueueName; concurrency: number; fn: (job: Job) => Promise<unknown> }> = {
    poll: { queue: QUEUES.poll, concurrency: settings.pollConcurrency, fn: pollProcessor(ctx) },
    article: { queue: QUEUES.article, concurrency: settings.articleConcurrency, fn: articleProcessor(ctx, pages) },
    dedupe: { queue: QUEUES.dedupe, concurrency: settings.dedupeConcurrency, fn: dedupeProcessor(ctx, pages) },
  };
  const workers: Worker[] = [];
  const connections: Redis[] = [redis];
  for (const role of roles) {
    const p = processors[role];
    const connection = redisConnection(opts.redisUrl);
    connections.push(connection);
    const worker = new Worker(p.queue, p.fn, {
      connection,
      prefix: settings.prefix,
      concurrency: p.concurrency,
      // a worker that dies (SIGKILL, lost host) stops renewing its locks; its jobs are taken up
      // again by the next stalled-job check after the lock expires
      lockDuration: settings.lockDurationMs,
      stalledInterval: settings.lockDurationMs,
      // a job whose worker is killed is taken up again; only a job that kills its worker
      // MAX_STALLED times over (a poisoned input) is failed for an operator to inspect
      maxStalledCount: MAX_STALLED,
      settings: { backoffStrategy: backoffStrategy(settings.backoffMs) },
    });
    worker.on('error', (err) => opts.log.error({ queue: p.queue, err: err.message }, 'worker error'));
    worker.on('failed', (job, err) => {
      const final = job ? job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError' : true;
      opts.log.warn({ queue: p.queue, jobId: job?.id, attemptsMade: job?.attemptsMade, final }, `job failed: ${err.message}`);
    });
    workers.push(worker);
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    ctx,
    workers,
    pages,
    async close(closeOpts = {}) {
      const graceful = Promise.all(workers.map((w) => w.close())).then(() => true);
      let timer: NodeJS.Timeout | undefined;
      const deadline =
        closeOpts.timeoutMs === undefined
          ? new Promise<boolean>(() => {})
          : new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), closeOpts.timeoutMs)));
      const finished = await Promise.race([graceful, deadline]);
      clearTimeout(timer);
      if (!finished) {
        opts.log.error({ timeoutMs: closeOpts.timeoutMs }, 'in-flight jobs did not finish before the shutdown deadline; closing forcefully');
        for (const c of connections) c.disconnect();
        await pages.close();
        return false;
      }
      await pages.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await Promise.all(connections.map((c) => c.quit().catch(() => {})));
      return true;
    },
  };
}

/**
 * One job scheduler per feed (BullMQ job schedulers); schedulers of feeds no longer configured are
 * removed. Each ticks at the feed's lowest adaptive interval (pollTickSeconds); a tick before the
 * feed's own nextPollAt is skipped by the poll worker (workers/feed-health.ts).
 */
export async function syncSchedulers(ctx: WorkerContext, feeds: readonly FeedConfig[]): Promise<{ upserted: number; removed: number }> {
  const queue = ctx.queues.poll;
  const wanted = new Set(feeds.map((f) => `feed-${f.id}`));
  for (const feed of feeds) {
    const data: PollJob = { feed: { ...feed } };
    await queue.upsertJobScheduler(
      `feed-${feed.id}`,
      { every: pollTickSeconds(feed.pollIntervalSeconds, ctx.settings.polling) * 1000 },
      { name: 'poll', data, opts: internalJobOptions(ctx.settings) },
    );
  }
  let removed = 0;
  const existing = await queue.getJobSchedulers(0, -1);
  for (const s of existing) {
    if (s.key && !wanted.has(s.key)) {
      await queue.removeJobScheduler(s.key);
      removed++;
    }
  }
  return { upserted: feeds.length, removed };
}

/** Resolves when no internal queue has a job waiting, active, delayed or prioritized (seen twice in a row). */
export async function waitForDrain(ctx: WorkerContext, opts: { timeoutMs: number; pollMs?: number; onProgress?: (counts: Record<string, number>) => void }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let idleStreak = 0;
  while (Date.now() < deadline) {
    const counts: Record<string, number> = {};
    let pending = 0;
    for (const name of INTERNAL_QUEUES) {
      const c = await ctx.queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      const n = Object.values(c).reduce((a, b) => a + b, 0);
      counts[name] = n;
      pending += n;
    }
    opts.onProgress?.(counts);
    idleStreak = pending === 0 ? idleStreak + 1 : 0;
    if (idleStreak >= 2) return;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
  throw new Error(`queues did not drain within ${opts.timeoutMs} ms`);
}

/** The URL a job of an internal queue works on: the feed for a poll, the page for an article or dedupe job. */
export function jobTarget(queue: string, data: unknown): string {
  const d = data as { feed?: { url?: string }; item?: { link?: string }; article?: { url?: string } } | undefined;
  if (queue === QUEUES.poll && d?.feed?.url) return d.feed.url;
  return d?.item?.link ?? d?.article?.url ?? '';
}

export interface FailureSummary {
  queue: string;
  jobId: string;
  target: string;
  reason: string;
  attempts: number;
}

export interface RunSummary {
  runId: string;
  feeds: number;
  stats: Record<string, number>;
  failures: FailureSummary[];
  /** Feeds that were read but with a problem the parser recovered from. */
  warnings: Array<{ feedUrl: string; warning: string }>;
}

/** Polls every feed once (jobs tagged with runId), waits until everything downstream is done, summarises. */
export async function runOnce(ctx: WorkerContext, feeds: readonly FeedConfig[], opts: { runId: string; timeoutMs: number; onProgress?: (counts: Record<string, number>) => void }): Promise<RunSummary> {
  const jobs = feeds.map((feed) => ({
    name: 'poll',
    data: { feed: { ...feed }, runId: opts.runId } satisfies PollJob,
    opts: { ...internalJobOptions(ctx.settings), jobId: `poll-${feed.id}-${opts.runId}` },
  }));
  await ctx.queues.poll.addBulk(jobs);
  await waitForDrain(ctx, { timeoutMs: opts.timeoutMs, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  const failures: FailureSummary[] = [];
  for (const name of INTERNAL_QUEUES) {
    const failed = await ctx.queues[name].getJobs(['failed'], 0, -1);
    for (const job of failed) {
      if (job.data?.runId !== opts.runId) continue;
      failures.push({
        queue: name,
        jobId: job.id ?? '',
        target: jobTarget(name, job.data),
        reason: job.failedReason,
        attempts: job.attemptsMade,
      });
    }
  }
  const store = new FeedStore(ctx.redis, ctx.settings.prefix);
  const warnings: RunSummary['warnings'] = [];
  for (const feed of feeds) {
    const state = await store.get(feed.id);
    if (state.lastWarning) warnings.push({ feedUrl: feed.url, warning: state.lastWarning });
  }
  return { runId: opts.runId, feeds: feeds.length, stats: await readStats(ctx.redis, ctx.settings.prefix, opts.runId), failures, warnings };
}

/** Every record in the output queues (oldest first), e.g. for `demo --out`. */
export async function readOutput(ctx: WorkerContext): Promise<unknown[]> {
  const out: Array<{ ts: number; data: unknown }> = [];
  for (const name of OUTPUT_QUEUES) {
    const jobs = await ctx.queues[name].getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized'], 0, -1, true);
    for (const j of jobs) out.push({ ts: j.timestamp, data: j.data });
  }
  return out.sort((a, b) => a.ts - b.ts).map((x) => x.data);
}
