// Adapter of the `poll` queue: poll one feed, enqueue an article job per new item.
import type { Job } from 'bullmq';
import { describeError } from '../pipeline/errors.ts';
import { pollFeed } from '../pipeline/fetch-feed.ts';
import type { FeedItem } from '../pipeline/records.ts';
import { cleanUrl, sha256Hex, urlId } from '../pipeline/url.ts';
import { adapt, isFinalAttempt } from './adapter.ts';
import { internalJobOptions, type WorkerContext } from './context.ts';
import { FeedHealth, isSchedulerTick } from './feed-health.ts';
import { FeedStore } from './feed-state.ts';
import { MAX_ITEM_CONTENT_CHARS, parseJob, pollJobSchema, QUEUES, type ArticleJob } from './jobs.ts';
import { countOutcome, countOutcomes } from './stats.ts';
import { HostGate } from './politeness.ts';

export interface PollResult {
  /** skipped: a scheduler tick before the feed was due (no request made). */
  status: 'not-modified' | 'fetched' | 'skipped';
  items: number;
  newItems: number;
  /** When the feed is polled next (ISO 8601). */
  nextPollAt?: string;
}

/** 12 hex chars of a hash of what the feed says about an item (its title, summary and content). */
export function itemFingerprint(item: FeedItem): string {
  return sha256Hex(`${item.title ?? ''}\u0000${item.summary ?? ''}\u0000${item.contentHtml ?? ''}`).slice(0, 12);
}

export function pollProcessor(ctx: WorkerContext) {
  const store = new FeedStore(ctx.redis, ctx.settings.prefix);
  const health = new FeedHealth(store, ctx.settings.polling, ctx.log);
  const gate = new HostGate(ctx.redis, ctx.settings.prefix, ctx.settings.politeness, ctx.settings.http);
  const { prefix } = ctx.settings;
  return adapt(async (job: Job): Promise<PollResult> => {
    const { feed, runId } = parseJob(pollJobSchema, job.data, QUEUES.poll);
    const startedAt = ctx.now();
    // adaptive polling (workers/feed-health.ts): a scheduler tick before the feed is due ends here
    if (isSchedulerTick(job, runId)) {
      const claim = await health.claim(feed, job.id ?? `${feed.id}-${job.timestamp}`, startedAt);
      if (!claim.claimed) {
        await countOutcome(ctx.redis, prefix, runId, 'feeds.skipped');
        return { status: 'skipped', items: 0, newItems: 0, nextPollAt: claim.nextPollAt.toISOString() };
      }
    }
    const state = await store.get(feed.id);
    let outcome;
    try {
      // a slot of the feed's host is held around the fetch (no robots.txt for feeds)
      outcome = await gate.around(feed.url, {}, () => pollFeed(feed, { etag: state.etag, lastModified: state.lastModified }, ctx.settings.http));
    } catch (err) {
      const { code, message } = describeError(err);
      await store.recordFailure(feed.id, `[${code}] ${message}`, ctx.now());
      await health.afterFailure(feed, state, err, isFinalAttempt(job, err), startedAt, ctx.now());
      if (isFinalAttempt(job, err)) await Promise.all([countOutcome(ctx.redis, prefix, runId, 'feeds.failed'), countOutcome(ctx.redis, prefix, runId, `feeds.failed.${code}`)]);
      ctx.log.warn({ feedId: feed.id, url: feed.url, code, attempt: job.attemptsMade + 1 }, message);
      throw err;
    }
    if (outcome.notModified) {
      await store.recordSuccess(feed.id, {}, ctx.now());
      const next = await health.afterSuccess(feed, state, { kind: 'not-modified', cache: outcome.cache }, startedAt, ctx.now());
      await countOutcome(ctx.redis, prefix, runId, 'feeds.not-modified');
      return { status: 'not-modified', items: 0, newItems: 0, nextPollAt: next.nextPollAt.toISOString() };
    }
    const parsed = outcome.feed;
    const warning = parsed.warnings?.join('; ');
    await store.recordSuccess(feed.id, { etag: outcome.etag, lastModified: outcome.lastModified, title: parsed.title, warning }, ctx.now());
    if (warning) ctx.log.warn({ feedId: feed.id, url: feed.url }, warning);
    const items = parsed.items.slice(0, ctx.settings.maxItemsPerFeed);
    // An item is known by its guid and its link together (some feeds reuse guids) and by a
    // fingerprint of what the feed says about it: an item re-listed with an edited title or
    // text is polled again, and the dedupe stage recognises it as an update of its article.
    const seenKey = (item: FeedItem): string => `${item.guid} ${cleanUrl(item.link)} ${itemFingerprint(item)}`;
    const fresh = new Set(await store.unseen(feed.id, items.map(seenKey)));
    const jobs = items
      .filter((item) => fresh.has(seenKey(item)))
      .map((item) => {
        const data: ArticleJob = {
          feed: {
            id: feed.id,
            url: feed.url,
            ...(feed.name ? { name: feed.name } : {}),
            ...(parsed.title ? { title: parsed.title } : {}),
            ...(parsed.language ? { language: parsed.language } : {}),
            ...(feed.languageHint ? { languageHint: feed.languageHint } : {}),
            ...(feed.filters ? { filters: feed.filters } : {}),
          },
          item: item.contentHtml && item.contentHtml.length > MAX_ITEM_CONTENT_CHARS
            ? { ...item, contentHtml: item.contentHtml.slice(0, MAX_ITEM_CONTENT_CHARS) }
            : item,
          ...(runId ? { runId } : {}),
        };
        // deterministic id: the same version of the same link polled twice (or by two feeds) is one job
        return { name: 'article', data, opts: { ...internalJobOptions(ctx.settings), jobId: `art-${urlId(item.link)}-${itemFingerprint(item)}` } };
      });
    if (jobs.length) await ctx.queues.article.addBulk(jobs);
    await store.markSeen(feed.id, jobs.map((j) => seenKey(j.data.item)), ctx.now());
    const next = await health.afterSuccess(
      feed,
      state,
      { kind: 'fetched', listedItems: items.length, newItems: jobs.length, ttlS: parsed.ttlSeconds, updatePeriodS: parsed.updatePeriodSeconds, cache: outcome.cache },
      startedAt,
      ctx.now(),
    );
    await countOutcomes(ctx.redis, prefix, runId, [
      ['feeds.polled', 1],
      ['items.new', jobs.length],
      ['items.seen', items.length - jobs.length],
    ]);
    ctx.log.info({ feedId: feed.id, items: items.length, newItems: jobs.length, nextPollAt: next.nextPollAt, intervalS: next.intervalS, pollReason: next.reason }, 'feed polled');
    return { status: 'fetched', items: items.length, newItems: jobs.length, nextPollAt: next.nextPollAt.toISOString() };
  });
}
