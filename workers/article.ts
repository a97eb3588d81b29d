// Adapter of the `article` queue: fetch + extract + language + strip, then hand the clean
// text (never the HTML) to the dedupe queue under a deterministic id.
import type { Job } from 'bullmq';
import { describeError } from '../pipeline/errors.ts';
import { isDrop, processArticle } from '../pipeline/article.ts';
import { textVersion } from '../pipeline/publish.ts';
import { adapt, isFinalAttempt } from './adapter.ts';
import { internalJobOptions, type WorkerContext } from './context.ts';
import { articleJobSchema, parseJob, QUEUES, type DedupeJob } from './jobs.ts';
import { countOutcome } from './stats.ts';
import { HostGate } from './politeness.ts';

export function articleProcessor(ctx: WorkerContext) {
  const { prefix } = ctx.settings;
  const gate = new HostGate(ctx.redis, prefix, ctx.settings.politeness, ctx.settings.http);
  return adapt(async (job: Job): Promise<{ outcome: string; articleId?: string }> => {
    const { feed, item, runId } = parseJob(articleJobSchema, job.data, QUEUES.article);
    let result;
    try {
      // a slot of the page's host (robots.txt checked first) is held around the fetch
      result = await gate.around(item.link, { robots: true }, () =>
        processArticle(item, feed, { http: ctx.settings.http, minWords: ctx.settings.minWords, now: ctx.now }),
      );
    } catch (err) {
      const { code, message } = describeError(err);
      if (isFinalAttempt(job, err)) await countOutcome(ctx.redis, prefix, runId, 'articles.failed');
      ctx.log.warn({ url: item.link, feedId: feed.id, code, attempt: job.attemptsMade + 1 }, message);
      throw err;
    }
    if (isDrop(result)) {
      await countOutcome(ctx.redis, prefix, runId, 'articles.dropped.too-short');
      ctx.log.info({ url: item.link, reason: result.reason }, result.detail);
      return { outcome: `dropped:${result.reason}` };
    }
    const data: DedupeJob = { article: result, ...(runId ? { runId } : {}) };
    // one dedupe job per version of the article's text: an edited version is decided again (as an update)
    await ctx.queues.dedupe.add('dedupe', data, { ...internalJobOptions(ctx.settings), jobId: `dd-${result.id}-${textVersion(result.text)}` });
    await countOutcome(ctx.redis, prefix, runId, 'articles.processed');
    ctx.log.info({ url: item.link, articleId: result.id, language: result.language, words: result.wordCount, removed: result.removed.length }, 'article processed');
    return { outcome: 'processed', articleId: result.id };
  });
}
