// Adapter of the `dedupe` queue: decide story or duplicate against the shared index,
// then publish to `stories` or `duplicates` under a deterministic job id.
import type { Job } from 'bullmq';
import { DedupeIndex } from '../pipeline/dedupe-index.ts';
import { buildRecord, publishJobId } from '../pipeline/publish.ts';
import { describeError } from '../pipeline/errors.ts';
import { adapt, isFinalAttempt } from './adapter.ts';
import type { WorkerContext } from './context.ts';
import { dedupeJobSchema, parseJob, QUEUES } from './jobs.ts';
import type { PageCleaner } from './page-pool.ts';
import { countOutcome, countOutcomes } from './stats.ts';

/** `pages`: where the text features are computed (page threads, workers/page-pool.ts); default the main thread. */
export function dedupeProcessor(ctx: WorkerContext, pages?: Pick<PageCleaner, 'features'>) {
  const index = new DedupeIndex(ctx.redis, { prefix: ctx.settings.prefix, windowHours: ctx.settings.dedupeWindowHours, crossLanguage: ctx.settings.dedupeCrossLanguage });
  const { prefix } = ctx.settings;
  return adapt(async (job: Job): Promise<{ kind: string; storyId: string }> => {
    const { article, runId } = parseJob(dedupeJobSchema, job.data, QUEUES.dedupe);
    let decision;
    const info = { retaken: false, confirmed: false };
    try {
      decision = await index.decide(article, info, pages ? await pages.features(article) : undefined);
    } catch (err) {
      const { code, message } = describeError(err);
      if (isFinalAttempt(job, err)) await countOutcome(ctx.redis, prefix, runId, `dedupe.failed.${code}`);
      ctx.log.warn({ articleId: article.id, code, attempt: job.attemptsMade + 1 }, message);
      throw err;
    }
    if (info.retaken) await countOutcome(ctx.redis, prefix, runId, 'dedupe.retaken');
    if (info.confirmed) await countOutcome(ctx.redis, prefix, runId, 'dedupe.confirmed');
    const record = buildRecord(article, decision);
    const queue = record.kind === 'story' ? ctx.queues.stories : record.kind === 'duplicate' ? ctx.queues.duplicates : ctx.queues.updates;
    // output jobs are kept until the consumer removes them
    await queue.add(record.kind, record, { jobId: publishJobId(record), removeOnComplete: false, removeOnFail: false });
    // counted once per published record even when this job is re-delivered
    const first = await ctx.redis.set(`${prefix}:published:${publishJobId(record)}`, '1', 'EX', ctx.settings.dedupeWindowHours * 3600 * 2, 'NX');
    if (first === 'OK') {
      await countOutcomes(ctx.redis, prefix, runId, [
        [record.kind === 'story' ? 'stories' : record.kind === 'duplicate' ? 'duplicates' : 'updates', 1],
        ['removed.blocks', article.removed.length],
      ]);
    }
    ctx.log.info(
      { articleId: article.id, storyId: record.storyId, kind: record.kind, ...(record.kind === 'duplicate' ? { level: record.evidence.level, similarity: record.similarity } : {}) },
      record.kind === 'story' ? 'story published' : record.kind === 'duplicate' ? 'duplicate notice published' : 'update published',
    );
    return { kind: record.kind, storyId: record.storyId };
  });
}
