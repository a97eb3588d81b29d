// The records that move between stages, and the output record downstream consumes.
// Internal records are plain TypeScript types; the output record is a zod schema
// (validated before publishing) from which docs/record.schema.json is generated.
import { z } from 'zod';

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
  reason: z.enum(removalReasons),
  /** Language of the removed block when it was detected (always set for foreign-language). */
  language: z.string().optional(),
  text: z.string(),
});
export type RemovedBlock = z.infer<typeof removedBlockSchema>;

/** The evidence behind a duplicate decision: enough for an operator to answer "why?". */
export const evidenceSchema = z.object({
  /** Which level matched: same URL / guid / text hash, near copy (shingles), or rewrite (weighted terms). */
  level: z.enum(['url', 'guid', 'text-hash', 'near-copy', 'rewrite']),
  /** The score the decision was made on (0–1) and the threshold it passed. */
  score: z.number(),
  threshold: z.number(),
  /** Distinctive terms both articles share, most informative first. */
  sharedTerms: z.array(z.string()),
  /** Numbers and named entities both share. */
  sharedEntities: z.array(z.string()),
  /** Id of the article matched (the story's canonical article or another member). */
  matchedArticleId: z.string(),
  matchedUrl: z.string(),
});
export type Evidence = z.infer<typeof evidenceSchema>;

export const SCHEMA_VERSION = 1 as const;

const baseRecord = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /** Article id: sha-256 (hex, 32 chars) of the canonical URL. Idempotency key for consumers. */
  id: z.string(),
  /** Story id: the id of the story's first article. */
  storyId: z.string(),
  /** The item link from the feed. */
  url: z.string(),
  canonicalUrl: z.string(),
  feedUrl: z.string(),
  /** The outlet: the feed's configured name, else the page's site name, else its host. */
  source: z.string(),
  title: z.string(),
  byline: z.string().nullable(),
  /** ISO 8601 or null when neither the feed nor the page says. */
  publishedAt: z.string().nullable(),
  fetchedAt: z.string(),
  /** BCP-47 primary subtag, `und` when undetermined. */
  language: z.string(),
  languageConfidence: z.number().min(0).max(1),
  /** Clean article text: blocks separated by a blank line. */
  text: z.string(),
  wordCount: z.number().int().nonnegative(),
  removed: z.array(removedBlockSchema),
  siteName: z.string().nullable(),
  leadImage: z.string().nullable(),
  extractedFrom: z.enum(['page', 'feed']),
});

export const storyRecordSchema = baseRecord.extend({
  kind: z.literal('story'),
});

export const duplicateRecordSchema = baseRecord.extend({
  kind: z.literal('duplicate'),
  /** Similarity to the matched article (0–1). */
  similarity: z.number(),
  evidence: evidenceSchema,
});

export const outputRecordSchema = z.discriminatedUnion('kind', [storyRecordSchema, duplicateRecordSchema]);
export type StoryRecord = z.infer<typeof storyRecordSchema>;
export type DuplicateRecord = z.infer<typeof duplicateRecordSchema>;
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
