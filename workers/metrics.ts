// Prometheus metrics of one `feedsift start` process (prom-client), served at /metrics by
// workers/http-server.ts. Two kinds:
// - measured in this process: how long each job its workers ran took, by stage and outcome;
// - read from Redis at every scrape: the outcome counters (workers/stats.ts), the depth of every
//   queue and each configured feed's health. These are cluster-wide: every process reports the
//   same values, so a dashboard takes max() over instances, never sum().
import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FeedConfig } from '../pipeline/records.ts';
import type { QueueName } from './context.ts';
import { FeedStore, type FeedState } from './feed-state.ts';
import { readStats } from './stats.ts';

/** Job states exported per queue by `feedsift_queue_jobs`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** Seconds: a dedupe decision takes milliseconds, an article behind a slow host tens of seconds. */
export const JOB_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Longest a scrape waits for Redis before it reports `feedsift_redis_up 0`. */
const DEFAULT_REDIS_TIMEOUT_MS = 5000;

export interface MetricsSources {
  redis: Redis;
  prefix: string;
  /** Every queue, internal and output. */
  queues: Record<QueueName, Queue>;
  /** The configured feeds, for the per-feed gauges. */
  feeds: readonly FeedConfig[];
  redisTimeoutMs?: number;
  /** Told why a scrape could not read Redis. */
  onRedisError?: (err: Error) => void;
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The counter families built from the stats hash (field names: workers/stats.ts). */
export interface OutcomeSamples {
  articles: Sample[];
  polls: Sample[];
  items: Sample[];
  processed: number;
  removedBlocks: number;
  retaken: number;
  confirmed: number;
}

/** Maps the stats hash to the exported counter families. Pure, so the mapping is tested on its own. */
export function outcomeSamples(stats: Record<string, number>): OutcomeSamples {
  const n = (k: string): number => (Number.isFinite(stats[k]) ? stats[k]! : 0);
  const byPrefix = (prefix: string, label: string, fixed: Record<string, string>): Sample[] =>
    Object.keys(stats)
      .filter((k) => k.startsWith(prefix) && k.length > prefix.length)
      .sort()
      .map((k) => ({ labels: { ...fixed, [label]: k.slice(prefix.length) }, value: n(k) }));
  return {
    articles: [
      { labels: { outcome: 'story' }, value: n('stories') },
      { labels: { outcome: 'duplicate' }, value: n('duplicates') },
      { labels: { outcome: 'update' }, value: n('updates') },
      ...byPrefix('articles.filtered.', 'reason', { outcome: 'filtered' }),
      ...byPrefix('articles.failed.', 'reason', { outcome: 'failed' }),
      ...byPrefix('dedupe.failed.', 'reason', { outcome: 'failed_dedupe' }),
    ],
    polls: [
      { labels: { outcome: 'fetched' }, value: n('feeds.polled') },
      { labels: { outcome: 'not_modified' }, value: n('feeds.not-modified') },
      { labels: { outcome: 'skipped' }, value: n('feeds.skipped') },
      ...byPrefix('feeds.failed.', 'reason', { outcome: 'failed' }),
    ],
    items: [
      { labels: { state: 'new' }, value: n('items.new') },
      { labels: { state: 'seen' }, value: n('items.seen') },
    ],
    processed: n('articles.processed'),
    removedBlocks: n('removed.blocks'),
    retaken: n('dedupe.retaken'),
    confirmed: n('dedupe.confirmed'),
  };
}

interface Snapshot {
  stats: Record<string, number>;
  depths: Array<{ queue: string; counts: Record<string, number> }>;
  feeds: Array<{ id: string; state: FeedState }>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export class Metrics {
  readonly registry = new Registry();
  private readonly sources: MetricsSources;
  private readonly jobDuration: Histogram<'stage' | 'outcome'>;
  private readonly articles: Counter<'outcome' | 'reason'>;
  private readonly polls: Counter<'outcome' | 'reason'>;
  private readonly items: Counter<'state'>;
  private readonly processed: Counter;
  private readonly removedBlocks: Counter;
  private readonly retaken: Counter;
  private readonly confirmed: Counter;
  private readonly queueJobs: Gauge<'queue' | 'state'>;
  private readonly feedLastSuccess: Gauge<'feed'>;
  private readonly feedFailures: Gauge<'feed'>;
  private readonly redisUp: Gauge;
  private refreshing: Promise<void> | undefined;

  constructor(sources: MetricsSources) {
    this.sources = sources;
    const registers = [this.registry];
    // process_* and nodejs_*: CPU, memory, event-loop lag, GC of this process
    collectDefaultMetrics({ register: this.registry });
    this.jobDuration = new Histogram({
      name: 'feedsift_job_duration_seconds',
      help: 'Time this process\'s workers spent on a job (BullMQ processedOn to finishedOn), by stage (queue) and outcome (completed, or failed: every failed attempt, retried or final).',
      labelNames: ['stage', 'outcome'],
      buckets: JOB_DURATION_BUCKETS,
      registers,
    });
    this.articles = new Counter({
      name: 'feedsift_articles_total',
      help: 'Articles by outcome, cluster-wide (Redis stats hash): story, duplicate and update records published; filtered (reason: the filter); failed for good in the article stage (failed) or in the dedupe decision (failed_dedupe), reason: the error code.',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.polls = new Counter({
      name: 'feedsift_feed_polls_total',
      help: 'Feed polls by outcome, cluster-wide: fetched, not_modified (HTTP 304), skipped (a scheduler tick before the feed was due: no request), failed for good (reason: the error code).',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.items = new Counter({
      name: 'feedsift_feed_items_total',
      help: 'Feed items read by polls, cluster-wide: new (an article job was queued) or seen (already known to the feed).',
      labelNames: ['state'],
      registers,
    });
    this.processed = new Counter({
      name: 'feedsift_articles_processed_total',
      help: 'Articles through the article stage (fetched, extracted, cleaned, not filtered) and handed to dedupe, cluster-wide.',
      registers,
    });
    this.removedBlocks = new Counter({
      name: 'feedsift_removed_blocks_total',
      help: 'Non-article blocks stripped from published articles, cluster-wide.',
      registers,
    });
    this.retaken = new Counter({
      name: 'feedsift_dedupe_retaken_total',
      help: 'Dedupe decisions taken again under the index lock because a commit made while they were taken touched what they read, cluster-wide (the rest commit as taken).',
      registers,
    });
    this.confirmed = new Counter({
      name: 'feedsift_dedupe_confirmed_total',
      help: 'Dedupe decisions committed as taken although a commit made while they were taken was posted under a term they looked up: the articles it committed could not have changed them, cluster-wide.',
      registers,
    });
    this.queueJobs = new Gauge({
      name: 'feedsift_queue_jobs',
      help: 'Jobs per queue (poll, article, dedupe, stories, duplicates, updates) and state (waiting, active, delayed, failed).',
      labelNames: ['queue', 'state'],
      registers,
    });
    this.feedLastSuccess = new Gauge({
      name: 'feedsift_feed_last_success_timestamp_seconds',
      help: 'Unix time of the last successful poll of each configured feed (0: never).',
      labelNames: ['feed'],
      registers,
    });
    this.feedFailures = new Gauge({
      name: 'feedsift_feed_consecutive_failures',
      help: 'Failed polls of each configured feed since its last success.',
      labelNames: ['feed'],
      registers,
    });
    this.redisUp = new Gauge({
      name: 'feedsift_redis_up',
      help: '1 when this scrape could read Redis; 0 when it could not (the Redis-based metrics are then absent).',
      registers,
    });
  }

  /** Times every job the workers finish, labelled with their queue as the stage. */
  observeWorkers(workers: readonly Worker[]): void {
    for (const worker of workers) {
      worker.on('completed', (job: Job) => this.observeJob(worker.name, 'completed', job));
      worker.on('failed', (job: Job | undefined) => {
        if (job) this.observeJob(worker.name, 'failed', job);
      });
    }
  }

  /** One job's run: processedOn → finishedOn (a retried attempt has no finishedOn: it ends now). */
  observeJob(stage: string, outcome: 'completed' | 'failed', job: Pick<Job, 'processedOn' | 'finishedOn'>, now = Date.now()): void {
    if (!job.processedOn) return;
    const end = job.finishedOn && job.finishedOn >= job.processedOn ? job.finishedOn : now;
    this.jobDuration.observe({ stage, outcome }, Math.max(0, end - job.processedOn) / 1000);
  }

  /** The exposition text, after reading Redis (concurrent scrapes share one read). */
  async render(): Promise<string> {
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    await this.refreshing;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refresh(): Promise<void> {
    const { redis } = this.sources;
    let snapshot: Snapshot;
    try {
      // a command sent while the connection is down would wait in ioredis' queue until it is back
      if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
      snapshot = await withTimeout(this.read(), this.sources.redisTimeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS, 'redis');
    } catch (err) {
      this.clearRedisMetrics();
      this.redisUp.set(0);
      this.sources.onRedisError?.(err as Error);
      return;
    }
    // applied in one synchronous step: a concurrent render never sees a half-filled family
    this.apply(snapshot);
  }

  private async read(): Promise<Snapshot> {
    const { redis, prefix, queues, feeds } = this.sources;
    const store = new FeedStore(redis, prefix);
    const [stats, depths, states] = await Promise.all([
      readStats(redis, prefix),
      Promise.all(Object.entries(queues).map(async ([queue, q]) => ({ queue, counts: await q.getJobCounts(...QUEUE_STATES) }))),
      Promise.all(feeds.map(async (f) => ({ id: f.id, state: await store.get(f.id) }))),
    ]);
    return { stats, depths, feeds: states };
  }

  private clearRedisMetrics(): void {
    for (const m of [this.articles, this.polls, this.items, this.processed, this.removedBlocks, this.retaken, this.confirmed, this.queueJobs, this.feedLastSuccess, this.feedFailures]) m.reset();
  }

  private apply(s: Snapshot): void {
    this.clearRedisMetrics();
    const o = outcomeSamples(s.stats);
    for (const x of o.articles) this.articles.inc(x.labels, x.value);
    for (const x of o.polls) this.polls.inc(x.labels, x.value);
    for (const x of o.items) this.items.inc(x.labels as { state: string }, x.value);
    this.processed.inc(o.processed);
    this.removedBlocks.inc(o.removedBlocks);
    this.retaken.inc(o.retaken);
    this.confirmed.inc(o.confirmed);
    for (const { queue, counts } of s.depths) {
      for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, counts[state] ?? 0);
    }
    for (const { id, state } of s.feeds) {
      const at = state.lastSuccessAt ? Date.parse(state.lastSuccessAt) : NaN;
      this.feedLastSuccess.set({ feed: id }, Number.isFinite(at) ? at / 1000 : 0);
      this.feedFailures.set({ feed: id }, state.consecutiveFailures);
    }
    this.redisUp.set(1);
  }
}
