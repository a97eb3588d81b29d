// `feedsift failed list|retry`: the jobs of the internal queues that failed for good (permanent
// error, or retries exhausted) stay in Redis until an operator looks at them; this lists them
// with their reason (`[CODE] stage: message`) and moves chosen ones back to wait.
import type { Job, Queue } from 'bullmq';
import type { Config } from '../../config/load.ts';
import { INTERNAL_QUEUES } from '../jobs.ts';
import { withQueues } from './run.ts';
import { jobTarget } from '../runtime.ts';

export type InternalQueue = (typeof INTERNAL_QUEUES)[number];

export interface FailedJob {
  queue: InternalQueue;
  jobId: string;
  target: string;
  reason: string;
  attempts: number;
  /** ISO time of the last failure. */
  failedAt: string | null;
}

export interface FailedIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function parseQueue(value: string | undefined): InternalQueue[] {
  if (value === undefined) return [...INTERNAL_QUEUES];
  if (!(INTERNAL_QUEUES as readonly string[]).includes(value)) throw new Error(`unknown queue "${value}" (queues: ${INTERNAL_QUEUES.join(', ')})`);
  return [value as InternalQueue];
}

export function describeFailed(queue: InternalQueue, job: Job): FailedJob {
  return {
    queue,
    jobId: job.id ?? '',
    target: jobTarget(queue, job.data),
    reason: job.failedReason ?? '',
    attempts: job.attemptsMade,
    failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}

/** Every failed job of the given queues, oldest failure first. */
export async function listFailed(queues: Record<InternalQueue, Queue>, names: readonly InternalQueue[]): Promise<Array<{ job: Job; info: FailedJob }>> {
  const out: Array<{ job: Job; info: FailedJob }> = [];
  for (const name of names) {
    for (const job of await queues[name].getJobs(['failed'], 0, -1, true)) out.push({ job, info: describeFailed(name, job) });
  }
  return out.sort((a, b) => (a.job.finishedOn ?? 0) - (b.job.finishedOn ?? 0));
}

export function formatFailed(f: FailedJob): string {
  return `${f.queue}\t${f.jobId}\t${f.failedAt ?? '-'}\tattempts ${f.attempts}\t${f.target || '-'}\n  ${f.reason}`;
}

export async function runFailedList(config: Config, opts: { queue?: string; json: boolean }, io: FailedIo): Promise<number> {
  const names = parseQueue(opts.queue);
  return withQueues(config, async (queues) => {
    const failed = await listFailed(queues, names);
    for (const { info } of failed) io.stdout.write(opts.json ? `${JSON.stringify(info)}\n` : `${formatFailed(info)}\n`);
    if (!opts.json) io.stderr.write(`${failed.length} failed job(s) in ${names.join(', ')}\n`);
    return 0;
  });
}

/**
 * Moves failed jobs back to wait (attempts start again). `ids` are job ids, optionally written
 * `queue:id`; with `all`, every failed job of the queues. Exit code 1 when an id is not a failed job.
 */
export async function runFailedRetry(config: Config, opts: { queue?: string; all: boolean; ids: string[]; json: boolean }, io: FailedIo): Promise<number> {
  const names = parseQueue(opts.queue);
  if (!opts.all && opts.ids.length === 0) {
    io.stderr.write('feedsift failed retry: give job ids, or --all\n');
    return 2;
  }
  return withQueues(config, async (queues) => {
    const failed = await listFailed(queues, names);
    const chosen = opts.all
      ? failed
      : failed.filter(({ info }) => opts.ids.some((id) => id === info.jobId || id === `${info.queue}:${info.jobId}`));
    const missing = opts.all ? [] : opts.ids.filter((id) => !chosen.some(({ info }) => id === info.jobId || id === `${info.queue}:${info.jobId}`));
    for (const { job, info } of chosen) {
      await job.retry('failed');
      io.stdout.write(opts.json ? `${JSON.stringify({ queue: info.queue, jobId: info.jobId, retried: true })}\n` : `retried ${info.queue} ${info.jobId}\n`);
    }
    for (const id of missing) io.stderr.write(`not a failed job of ${names.join(', ')}: ${id}\n`);
    io.stderr.write(`${chosen.length} job(s) moved back to wait\n`);
    return missing.length ? 1 : 0;
  });
}
