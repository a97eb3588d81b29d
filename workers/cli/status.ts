// `feedsift status`: what the pipeline holds right now — the job counts of every internal and
// output queue, the job schedulers, the outcome counters, and each configured feed's health
// (workers/feed-health.ts feedHealth: last poll, success and error, failures in a row, the
// adaptive poll schedule, the dead-feed flag) with the parser's last warning.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/load.ts';
import type { FeedConfig } from '../../pipeline/records.ts';
import { feedHealth, type FeedHealthRow } from '../feed-health.ts';
import { FeedStore } from '../feed-state.ts';
import { INTERNAL_QUEUES, OUTPUT_QUEUES } from '../jobs.ts';
import { readStats } from '../stats.ts';
import { formatInterval } from './feeds.ts';
import { withQueues } from './run.ts';

export const COUNTED_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
export type QueueCounts = Record<(typeof COUNTED_STATES)[number], number>;

export type FeedHealthLabel = 'ok' | 'failing' | 'flagged' | 'never polled';

/** One feed's row: its health (feedHealth), a label, its configured name, the parser's last warning. */
export interface FeedStatus extends FeedHealthRow {
  name?: string;
  health: FeedHealthLabel;
  /** What the parser last recovered from (e.g. a truncated document); absent when the last poll was clean. */
  lastWarning?: string;
}

export interface Status {
  prefix: string;
  /** Job counts per queue: the internal ones (poll, article, dedupe), then the output ones. */
  queues: Record<string, QueueCounts>;
  /** Job schedulers installed in the poll queue (one per feed when `start` runs with scheduling). */
  schedulers: number;
  /** Outcome counters since the prefix was first used (workers/stats.ts). */
  stats: Record<string, number>;
  feeds: FeedStatus[];
}

/** ok; failing (the last attempt failed); flagged (failing for FEEDSIFT_FEED_DEAD_AFTER_HOURS); never polled. */
export function healthOf(row: FeedHealthRow): FeedHealthLabel {
  if (!row.lastSuccessAt && !row.lastErrorAt && !row.lastPollAt) return 'never polled';
  if (row.flagged) return 'flagged';
  return row.consecutiveFailures > 0 ? 'failing' : 'ok';
}

export async function collectStatus(redis: Redis, queues: Record<string, Queue>, prefix: string, feeds: readonly FeedConfig[]): Promise<Status> {
  const counts: Record<string, QueueCounts> = {};
  for (const name of [...INTERNAL_QUEUES, ...OUTPUT_QUEUES]) {
    counts[name] = (await queues[name]!.getJobCounts(...COUNTED_STATES)) as QueueCounts;
  }
  const health = await feedHealth(redis, prefix, feeds);
  const states = await new FeedStore(redis, prefix).getMany(feeds.map((f) => f.id));
  const rows: FeedStatus[] = health.map((row, i) => {
    const { name } = feeds[i]!;
    const warning = states[i]!.lastWarning;
    return { ...row, ...(name ? { name } : {}), health: healthOf(row), ...(warning ? { lastWarning: warning } : {}) };
  });
  return {
    prefix,
    queues: counts,
    schedulers: (await queues.poll!.getJobSchedulers(0, -1)).length,
    stats: await readStats(redis, prefix),
    feeds: rows,
  };
}

/** "12s ago", "4m ago", "3h ago", "2d ago"; "in 5m" for a future time. */
export function relativeTime(iso: string | null | undefined, now: Date): string {
  if (!iso) return '-';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = Math.round((now.getTime() - ms) / 1000);
  const a = Math.abs(d);
  const text = a < 60 ? `${a}s` : a < 3600 ? `${Math.round(a / 60)}m` : a < 86_400 ? `${Math.round(a / 3600)}h` : `${Math.round(a / 86_400)}d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The poll schedule and health details of a feed, under its row: interval and why, rate, failing/flagged since. */
function scheduleLine(f: FeedStatus, now: Date): string {
  const parts: string[] = [];
  if (f.intervalS !== null) parts.push(`every ${formatInterval(f.intervalS)}${f.pollReason ? ` (${f.pollReason})` : ''}`);
  if (f.itemsPerDay !== null) parts.push(`${f.itemsPerDay} items/day`);
  if (f.lastPollAt) parts.push(`last poll ${relativeTime(f.lastPollAt, now)}`);
  if (f.failedPolls > 0) parts.push(`${f.failedPolls} failed poll(s) in a row`);
  if (f.failingSince) parts.push(`failing since ${relativeTime(f.failingSince, now)}`);
  if (f.flaggedSince) parts.push(`flagged dead since ${relativeTime(f.flaggedSince, now)}`);
  return parts.join(' · ');
}

export function statusLines(s: Status, now = new Date()): string[] {
  const lines = [`prefix ${s.prefix}`, '', 'queues'];
  const states = COUNTED_STATES;
  lines.push(...table(['queue', ...states], Object.entries(s.queues).map(([q, c]) => [q, ...states.map((k) => String(c[k] ?? 0))])).map((l) => `  ${l}`));
  lines.push('', `job schedulers: ${s.schedulers}`);
  const counters = Object.entries(s.stats).sort(([a], [b]) => a.localeCompare(b));
  lines.push('counters');
  if (!counters.length) lines.push('  (none yet)');
  // wrapped to lines of about 100 columns
  for (const [k, v] of counters) {
    const item = `${k} ${v}`;
    const last = lines.length - 1;
    if (lines[last]!.startsWith('  ') && lines[last]!.length + item.length + 3 <= 100) lines[last] += ` · ${item}`;
    else lines.push(`  ${item}`);
  }
  lines.push('', `feeds (${s.feeds.length})`);
  if (!s.feeds.length) return [...lines, '  (none configured)'];
  const hasNext = s.feeds.some((f) => f.nextPollAt !== null);
  const header = ['feed', 'health', 'fails', 'last success', 'last error', ...(hasNext ? ['next poll'] : [])];
  const rows = s.feeds.map((f) => [f.id, f.health, String(f.consecutiveFailures), relativeTime(f.lastSuccessAt, now), relativeTime(f.lastErrorAt, now), ...(hasNext ? [relativeTime(f.nextPollAt, now)] : [])]);
  const [head, ...body] = table(header, rows);
  lines.push(`  ${head}`);
  s.feeds.forEach((f, i) => {
    lines.push(`  ${body[i]}`);
    lines.push(`      ${f.name ? `${f.name} — ` : ''}${f.url}`);
    if (f.lastError && f.health !== 'ok') lines.push(`      last error: ${f.lastError}`);
    if (f.lastWarning) lines.push(`      warning: ${f.lastWarning}`);
    const schedule = scheduleLine(f, now);
    if (schedule) lines.push(`      ${schedule}`);
  });
  return lines;
}

export async function runStatus(config: Config, opts: { json: boolean; stdout: NodeJS.WritableStream }): Promise<number> {
  return withQueues(config, async (queues, redis) => {
    const status = await collectStatus(redis, queues, config.settings.prefix, config.feeds);
    opts.stdout.write(opts.json ? `${JSON.stringify(status)}\n` : `${statusLines(status).join('\n')}\n`);
    return 0;
  });
}
