// `feedsift tail`: watch the output queues (stories, duplicates, updates) and print each record
// as a JSON line. It only reads: it takes no job, so it can run beside the real consumers
// without taking records from them.
//  - default: follow — every record published from now on, as its queue's event stream
//    announces it (BullMQ QueueEvents, `added`);
//  - --from-start: first every record the queues still hold (waiting, active, completed, …),
//    oldest first, then follow;
//  - --drain: print what the queues hold now and exit (implies --from-start).
// No record is missed or printed twice between the replay and the follow: the event streams'
// positions are read before the replay, the follow starts from there and skips what the
// replay printed.
import { QueueEvents, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../config/load.ts';
import type { Logger } from '../log.ts';
import { OUTPUT_QUEUES } from '../jobs.ts';
import { configuredRedis } from './run.ts';
import { openQueues, redisConnection } from '../runtime.ts';

export type OutputQueue = (typeof OUTPUT_QUEUES)[number];

export interface TailOptions {
  fromStart: boolean;
  drain: boolean;
  stdout: NodeJS.WritableStream;
  log: Logger;
  /** Resolves when the tail should stop following (default: SIGINT or SIGTERM). */
  until?: Promise<void>;
}

/** The states a record can be in while it is still held by its queue. */
const HELD_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;
const PAGE = 500;

/** Every record the output queues hold, oldest first (by the time it was published). */
export async function heldRecords(queues: Record<OutputQueue, Queue>): Promise<Array<{ queue: OutputQueue; job: Job }>> {
  const all: Array<{ queue: OutputQueue; job: Job }> = [];
  for (const name of OUTPUT_QUEUES) {
    for (const state of HELD_STATES) {
      for (let start = 0; ; start += PAGE) {
        const jobs = await queues[name].getJobs([state], start, start + PAGE - 1, true);
        for (const job of jobs) if (job) all.push({ queue: name, job });
        if (jobs.length < PAGE) break;
      }
    }
  }
  return all.sort((a, b) => a.job.timestamp - b.job.timestamp || String(a.job.id).localeCompare(String(b.job.id)));
}

/** The id of the last event of a queue's event stream ('0-0' when it has none): the follow starts after it. */
async function streamPosition(redis: Redis, queue: Queue): Promise<string> {
  const last = await redis.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
  return last[0]?.[0] ?? '0-0';
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function runTail(config: Config, opts: TailOptions): Promise<void> {
  const handle = await configuredRedis(config);
  const redis = redisConnection(handle.url);
  const all = openQueues(redis, config.settings.prefix);
  const queues = Object.fromEntries(OUTPUT_QUEUES.map((n) => [n, all[n]])) as Record<OutputQueue, Queue>;
  const print = (job: Job): void => void opts.stdout.write(`${JSON.stringify(job.data)}\n`);
  const events: QueueEvents[] = [];
  try {
    const fromStart = opts.fromStart || opts.drain;
    const positions = await Promise.all(OUTPUT_QUEUES.map((n) => streamPosition(redis, queues[n])));
    const replayed = new Set<string>();
    if (fromStart) {
      for (const { queue, job } of await heldRecords(queues)) {
        print(job);
        replayed.add(`${queue}:${job.id}`);
      }
    }
    if (opts.drain) return;
    OUTPUT_QUEUES.forEach((name, i) => {
      const qe = new QueueEvents(name, { connection: { url: handle.url, maxRetriesPerRequest: null }, prefix: config.settings.prefix, lastEventId: positions[i]! });
      // one record at a time per queue, in the order the stream announces them
      let chain = Promise.resolve();
      qe.on('added', ({ jobId }) => {
        chain = chain.then(async () => {
          if (replayed.delete(`${name}:${jobId}`)) return;
          const job = await queues[name].getJob(jobId);
          if (job) print(job);
          else opts.log.warn({ queue: name, jobId }, 'record removed before it could be read');
        });
      });
      qe.on('error', (err) => opts.log.error({ queue: name, err: err.message }, 'tail: event stream error'));
      events.push(qe);
    });
    await Promise.all(events.map((qe) => qe.waitUntilReady()));
    opts.log.info({ queues: OUTPUT_QUEUES, replayed: replayed.size }, 'following the output queues');
    await (opts.until ?? signalled());
  } finally {
    await Promise.all(events.map((qe) => qe.close()));
    await Promise.all(Object.values(all).map((q) => q.close()));
    await redis.quit().catch(() => {});
    await handle.stop();
  }
}
