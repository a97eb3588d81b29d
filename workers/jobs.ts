// Queue names and job payload schemas, in one place. Every adapter parses its payload
// with these before calling a stage, so a malformed job fails with INVALID_JOB, not a TypeError.
import { z } from 'zod';
import { feedFiltersSchema } from '../config/schema.ts';
import { PermanentError } from '../pipeline/errors.ts';
import { filterProblems } from '../pipeline/filter.ts';
import { outputRecordSchema, removedBlockSchema } from '../pipeline/records.ts';

export const QUEUES = {
  poll: 'poll',
  article: 'article',
  dedupe: 'dedupe',
  /** Output: one record per unique story. Consumed downstream, never by feedsift's workers. */
  stories: 'stories',
  /** Output: one notice per later copy of a story. */
  duplicates: 'duplicates',
  /** Output: an article republished under the same URL with edited text. */
  updates: 'updates',
} as const;
export const INTERNAL_QUEUES = [QUEUES.poll, QUEUES.article, QUEUES.dedupe] as const;
export const OUTPUT_QUEUES = [QUEUES.stories, QUEUES.duplicates, QUEUES.updates] as const;

/** A feed's filters as jobs carry them (from the feeds file); a pattern that does not compile makes the job INVALID_JOB. */
const jobFiltersSchema = feedFiltersSchema.superRefine((filters, ctx) => {
  for (const p of filterProblems(filters)) ctx.addIssue({ code: 'custom', path: p.path, message: p.reason });
});

const feedConfigSchema = z.object({
  id: z.string(),
  url: z.string(),
  name: z.string().optional(),
  pollIntervalSeconds: z.number(),
  languageHint: z.string().optional(),
  filters: jobFiltersSchema.optional(),
});

export const pollJobSchema = z.object({
  feed: feedConfigSchema,
  /** Set by `run --once` / `demo`: outcomes are also counted under this run. */
  runId: z.string().optional(),
});
export type PollJob = z.infer<typeof pollJobSchema>;

const feedItemSchema = z.object({
  guid: z.string(),
  link: z.string(),
  title: z.string().optional(),
  publishedAt: z.string().optional(),
  author: z.string().optional(),
  summary: z.string().optional(),
  contentHtml: z.string().optional(),
});

export const articleJobSchema = z.object({
  feed: z.object({
    id: z.string(),
    url: z.string(),
    name: z.string().optional(),
    title: z.string().optional(),
    language: z.string().optional(),
    languageHint: z.string().optional(),
    filters: jobFiltersSchema.optional(),
  }),
  item: feedItemSchema,
  runId: z.string().optional(),
});
export type ArticleJob = z.infer<typeof articleJobSchema>;

export const cleanArticleSchema = z.object({
  id: z.string(),
  url: z.string(),
  canonicalUrl: z.string(),
  guid: z.string(),
  feedId: z.string(),
  feedUrl: z.string(),
  source: z.string(),
  title: z.string(),
  byline: z.string().nullable(),
  publishedAt: z.string().nullable(),
  fetchedAt: z.string(),
  language: z.string(),
  languageConfidence: z.number(),
  text: z.string(),
  wordCount: z.number(),
  removed: z.array(removedBlockSchema),
  siteName: z.string().nullable(),
  leadImage: z.string().nullable(),
  extractedFrom: z.enum(['page', 'feed']),
});

export const dedupeJobSchema = z.object({
  article: cleanArticleSchema,
  runId: z.string().optional(),
});
export type DedupeJob = z.infer<typeof dedupeJobSchema>;

export const outputJobSchema = outputRecordSchema;

/** Parses a job's data or fails permanently: a malformed job will not get better by retrying. */
export function parseJob<T>(schema: z.ZodType<T>, data: unknown, queue: string): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const why = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new PermanentError('worker', 'INVALID_JOB', `malformed ${queue} job: ${why}`);
}

/** The longest feed-item HTML carried in a job (fallback content); longer is cut. */
export const MAX_ITEM_CONTENT_CHARS = 64 * 1024;
