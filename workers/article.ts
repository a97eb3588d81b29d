// Adapter of the `article` queue: fetch + extract + language + strip, then hand the clean
// text (never the HTML) to the dedupe queue under a deterministic id.
import type { Job } from 'bullmq';
import { describeError } from '../pipeline/errors.ts';
import { cleanArticle, fetchArticlePage, isDrop } from '../pipeline/article.ts';
import { filterArticle, filterResolver, type FilterReason } from '../pipeline/filter.ts';
import { textVersion } from '../pipeline/publish.ts';
import { adapt, isFinalAttempt } from './adapter.ts';
import { internalJobOptions, type WorkerContext } from './context.ts';
import { articleJobSchema, parseJob, QUEUES, type DedupeJob } from './jobs.ts';
import { countOutcome } from './stats.ts';
import type { PageCleaner } from './page-pool.ts';
import { HostGate } from './politeness.ts';

/** `pages`: where the CPU half runs (page threads, workers/page-pool.ts); default the main thread. */
export function articleProcessor(ctx: WorkerContext, pages: Pick<PageCleaner, 'clean'> = { clean: cleanArticle }) {
  const { prefix } = ctx.settings;
  const gate = new HostGate(ctx.redis, prefix, ctx.settings.politeness, ctx.settings.http);
  const filterFor = filterResolver(ctx.settings.filters, ctx.settings.minWords);
  return adapt(async (job: Job): Promise<{ outcome: string; articleId?: string }> => {
    const { feed, item, runId } = parseJob(articleJobSchema, job.data, QUEUES.article);
    // the global filter combined with the feed's own (pipeline/filter.ts)
    const filter = filterFor(feed.filters);
    // a filtered article is counted by reason, logged, and never reaches the dedupe queue
    const filtered = async (reason: FilterReason, detail: string): Promise<{ outcome: string }> => {
      if (reason === 'min-words') await countOutcome(ctx.redis, prefix, runId, 'articles.dropped.too-short');
      await countOutcome(ctx.redis, prefix, runId, `articles.filtered.${reason}`);
      ctx.log.info({ url: item.link, feedId: feed.id, reason, detail }, 'article filtered');
      return { outcome: `filtered:${reason}` };
    };
    let result;
    try {
      // a slot of the page's host (robots.txt checked first) is held around the fetch only;
      // the page stages run after it, on a page thread when there are any (FEEDSIFT_CPU_THREADS)
      const task = await gate.around(item.link, { robots: true }, () =>
        fetchArticlePage(item, feed, { http: ctx.settings.http, minWords: filter.minWords, now: ctx.now }),
      );
      result = await pages.clean(task);
    } catch (err) {
      const { code, message } = describeError(err);
      if (isFinalAttempt(job, err)) await Promise.all([countOutcome(ctx.redis, prefix, runId, 'articles.failed'), countOutcome(ctx.redis, prefix, runId, `articles.failed.${code}`)]);
      ctx.log.warn({ url: item.link, feedId: feed.id, code, attempt: job.attemptsMade + 1 }, message);
      throw err;
    }
    if (isDrop(result)) return filtered('min-words', result.detail);
    const verdict = filterArticle(result, filter);
    if (!verdict.keep) return filtered(verdict.reason, verdict.detail);
    const data: DedupeJob = { article: result, ...(runId ? { runId } : {}) };
    // one dedupe job per version of the article's text: an edited version is decided again (as an update)
    await ctx.queues.dedupe.add('dedupe', data, { ...internalJobOptions(ctx.settings), jobId: `dd-${result.id}-${textVersion(result.text)}` });
    await countOutcome(ctx.redis, prefix, runId, 'articles.processed');
    ctx.log.info({ url: item.link, articleId: result.id, language: result.language, words: result.wordCount, removed: result.removed.length }, 'article processed');
    return { outcome: 'processed', articleId: result.id };
  });
}
