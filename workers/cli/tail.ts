// `feedsift tail`: the simplest downstream consumer — print each output record as a JSON line.
import { Worker, type Job } from 'bullmq';
import type { Config } from '../../config/load.ts';
import type { Logger } from '../log.ts';
import { OUTPUT_QUEUES } from '../jobs.ts';
import { configuredRedis } from './run.ts';
import { openQueues, redisConnection } from '../runtime.ts';

export async function runTail(config: Config, opts: { drain: boolean; stdout: NodeJS.WritableStream; log: Logger }): Promise<void> {
  const handle = await configuredRedis(config);
  const redis = redisConnection(handle.url);
  const queues = openQueues(redis, config.settings.prefix);
  const print = async (job: Job): Promise<void> => {
    opts.stdout.write(`${JSON.stringify(job.data)}\n`);
  };
  const connections = OUTPUT_QUEUES.map(() => redisConnection(handle.url));
  const workers = OUTPUT_QUEUES.map(
    (name, i) => new Worker(name, print, { connection: connections[i]!, prefix: config.settings.prefix, concurrency: 1 }),
  );
  for (const w of workers) w.on('error', (err) => opts.log.error({ err: err.message }, 'tail worker error'));
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (opts.drain) {
      const check = async (): Promise<void> => {
        let pending = 0;
        for (const name of OUTPUT_QUEUES) {
          const c = await queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          pending += Object.values(c).reduce((a, b) => a + b, 0);
        }
        if (pending === 0) resolve();
        else setTimeout(() => void check(), 200);
      };
      setTimeout(() => void check(), 200);
    }
  });
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all(Object.values(queues).map((q) => q.close()));
  await Promise.all([redis, ...connections].map((c) => c.quit().catch(() => {})));
  await handle.stop();
}
