// The records that move between stages, and the output record downstream consumes.
// Internal records are plain TypeScript types; the output record is a zod schema
// (validated before publishing) from which docs/record.schema.json is generated.
import { z } from 'zod';
import type { FeedFilters } from './filter.ts';

/** A feed as configured (config/feeds.yaml or OPML). */
export interface FeedConfig {
  /** Stable id: derived from the URL unless configured. Used in job ids and Redis keys. */
  id: string;
  url: string;
  name?: string;
  /** Seconds between polls. */
  pollIntervalSeconds: number;
  /** BCP-47 primary subtag the operator expects this feed to be in; a prior, not a filter. */
  languageHint?: string;
  /** The feed's own article filters, combined with the global ones (pipeline/filter.ts). */
  filters?: FeedFilters;
}

/** One item of a feed, normalised across RSS, RDF, Atom and JSON Feed. */
export interface FeedItem {
  /** guid / id of the item; falls back to the link when the feed has none. */
  guid: string;
  /** Absolute URL of the article page (resolved against the feed URL). */
  link: string;
  title?: string;
  /** ISO 8601. */
  publishedAt?: string;
  author?: string;
  /** Short text (description / summary), HTML removed. */
  summary?: string;
  /** Full content HTML when the feed carries it (content:encoded, atom content, content_html). */
  contentHtml?: string;
}

export type FeedFormat = 'rss' | 'rdf' | 'atom' | 'json';

export interface ParsedFeed {
  format: FeedFormat;
  title?: string;
  /** Site link of the feed. */
  link?: string;
  /** Language declared by the feed, if any (raw, as written). */
  language?: string;
  items: FeedItem[];
  /** Problems the parser recovered from (e.g. a truncated document); logged and kept in the feed's state. */
  warnings?: string[];
  /** RSS `<ttl>`, in seconds: how long the feed may be cached (adaptive polling's floor). */
  ttlSeconds?: number;
  /** `<sy:updatePeriod>` / `<sy:updateFrequency>` as seconds between updates (adaptive polling's floor). */
  updatePeriodSeconds?: number;
}

/** A block of article text: a paragraph, a heading, a list item … in document order. */
export interface Block {
  kind: 'heading' | 'paragraph' | 'list-item' | 'quote' | 'preformatted' | 'other';
  text: string;
  /** Share of the block's characters that are link text (0–1). */
  linkDensity: number;
  /** Filled by the language stage. */
  language?: string;
  languageConfidence?: number;
}

/** What the extract stage makes of a page. */
export interface ExtractedPage {
  title?: string;
  byline?: string;
  siteName?: string;
  /** ISO 8601, from the feed item, meta tags or JSON-LD (first found wins, feed item first). */
  publishedAt?: string;
  /** `<html lang>` normalised to a primary subtag, if present. */
  htmlLang?: string;
  /** rel=canonical / og:url, resolved and cleaned; else the cleaned page URL. */
  canonicalUrl: string;
  leadImage?: string;
  blocks: Block[];
  /** 'page' when Readability found the article, 'feed' when we fell back to the feed item's content. */
  extractedFrom: 'page' | 'feed';
}

export const removalReasons = [
  'share-widget',
  'read-more-list',
  'related-content',
  'foreign-language',
  'metadata-line',
  'duplicate-headline',
  'byline',
  'boilerplate',
] as const;
export type RemovalReason = (typeof removalReasons)[number];

/** A block the strip stage removed from the text, with why. */
export const removedBlockSchema = z.object({
  reason: z.enum(removalReasons).describe('Why the block was removed.'),
  language: z.string().optional().describe('Language of the removed block when detected (always set for foreign-language).'),
  text: z.string().describe('The removed text.'),
});
export type RemovedBlock = z.infer<typeof removedBlockSchema>;

/** The evidence behind a duplicate decision: enough for an operator to answer "why?". */
export const evidenceSchema = z
  .object({
    level: z
      .enum(['url', 'guid', 'text-hash', 'near-copy', 'rewrite'])
      .describe('Which level matched: same canonical URL, same guid (with similar text), same normalised text, near copy (MinHash over word shingles), or rewrite (weighted terms and entities).'),
    score: z.number().describe('The score the decision was made on (0–1).'),
    threshold: z.number().describe('The threshold the score passed.'),
    sharedTerms: z.array(z.string()).describe('Distinctive terms both articles share, most informative first.'),
    sharedEntities: z.array(z.string()).describe('Names, numbers and quoted phrases both articles share.'),
    matchedArticleId: z.string().describe('Id of the article this one matched (a member of the story).'),
    matchedUrl: z.string().describe('Canonical URL of the matched article.'),
  })
  .describe('Why this article was judged a copy of the story.');
export type Evidence = z.infer<typeof evidenceSchema>;

export const SCHEMA_VERSION = 1 as const;

const baseRecord = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION).describe('Changes only when a field is removed or changes meaning.'),
  id: z.string().describe('Article id: the first 32 hex chars of SHA-256 of the canonical URL. Idempotency key of a duplicate notice.'),
  storyId: z.string().describe('The story this article belongs to: the id of its first article. Idempotency key of a story record.'),
  url: z.string().describe('The item link as the feed gave it.'),
  canonicalUrl: z.string().describe('rel=canonical / og:url, resolved, tracking parameters removed.'),
  feedUrl: z.string().describe('The feed the item came from.'),
  source: z.string().describe('The outlet: the configured feed name, else the site name, else the feed title, else the host.'),
  title: z.string(),
  byline: z.string().nullable(),
  publishedAt: z.string().nullable().describe('ISO 8601; from the feed item, else page meta / JSON-LD; null when neither says.'),
  fetchedAt: z.string().describe('ISO 8601: when the page was fetched.'),
  language: z.string().describe('BCP-47 primary subtag of the document; `und` when undetermined.'),
  languageConfidence: z.number().min(0).max(1),
  text: z.string().describe('Clean article text: blocks separated by a blank line.'),
  wordCount: z.number().int().nonnegative().describe('Words, by Unicode word segmentation (CJK counted right).'),
  removed: z.array(removedBlockSchema).describe('Every block stripped from the page, with the reason.'),
  siteName: z.string().nullable(),
  leadImage: z.string().nullable(),
  extractedFrom: z.enum(['page', 'feed']).describe('Whether the text came from the page or, as a fallback, from the feed item.'),
});

/** The story an article belongs to, as it stands after this article's decision. */
export const storySummarySchema = z
  .object({
    storyId: z.string(),
    canonicalArticleId: z.string().describe('The earliest-published copy (by publishedAt, else first seen).'),
    canonicalUrl: z.string(),
    earliestPublishedAt: z.string().nullable(),
    outlets: z.array(z.string()).describe('Sources of every member, in the order they joined.'),
    memberCount: z.number().int().positive(),
  })
  .describe('The story as it stands after this record: canonical (earliest-published) copy, outlets, size.');
export type StorySummary = z.infer<typeof storySummarySchema>;

export const storyRecordSchema = baseRecord
  .extend({
    kind: z.literal('story').describe('A unique story (queue `stories`).'),
    story: storySummarySchema,
  })
  .describe('One record per unique story, published when its first article is seen.');

export const duplicateRecordSchema = baseRecord
  .extend({
    kind: z.literal('duplicate').describe('A later copy of a story (queue `duplicates`).'),
    similarity: z.number().describe('Similarity to the matched article (0–1).'),
    evidence: evidenceSchema,
    story: storySummarySchema,
  })
  .describe('One notice per later copy of a story, pointing to it by storyId.');

export const updateRecordSchema = baseRecord
  .extend({
    kind: z.literal('update').describe('The same article (same canonical URL) republished with edited text (queue `updates`).'),
    previousTextHash: z.string().describe('Normalised-text hash of the version this one replaces.'),
    story: storySummarySchema,
  })
  .describe('An edited version of an article already published: not a duplicate.');

export const outputRecordSchema = z.discriminatedUnion('kind', [storyRecordSchema, duplicateRecordSchema, updateRecordSchema]);
export type StoryRecord = z.infer<typeof storyRecordSchema>;
export type DuplicateRecord = z.infer<typeof duplicateRecordSchema>;
export type UpdateRecord = z.infer<typeof updateRecordSchema>;
export type OutputRecord = z.infer<typeof outputRecordSchema>;

/** A processed article on its way to the dedupe stage: clean text, no HTML. */
export interface CleanArticle {
  id: string;
  url: string;
  canonicalUrl: string;
  guid: string;
  feedId: string;
  feedUrl: string;
  source: string;
  title: string;
  byline: string | null;
  publishedAt: string | null;
  fetchedAt: string;
  language: string;
  languageConfidence: number;
  text: string;
  wordCount: number;
  removed: RemovedBlock[];
  siteName: string | null;
  leadImage: string | null;
  extractedFrom: 'page' | 'feed';
}

/** A typed drop: a result, not an error. */
export interface Drop {
  dropped: true;
  reason: 'too-short' | 'not-modified' | 'seen';
  detail: string;
}
