// The publish stage: the output record of an article, given the dedupe decision.
// Validated against the output schema so that nothing malformed reaches downstream.
import type { DedupeDecision } from './dedupe-index.ts';
import { PermanentError } from './errors.ts';
import { sha256Hex } from './url.ts';
import { outputRecordSchema, SCHEMA_VERSION, type CleanArticle, type OutputRecord } from './records.ts';

export function buildRecord(article: CleanArticle, decision: DedupeDecision): OutputRecord {
  const base = {
    schemaVersion: SCHEMA_VERSION,
    id: article.id,
    storyId: decision.storyId,
    url: article.url,
    canonicalUrl: article.canonicalUrl,
    feedUrl: article.feedUrl,
    source: article.source,
    title: article.title,
    byline: article.byline,
    publishedAt: article.publishedAt,
    fetchedAt: article.fetchedAt,
    language: article.language,
    languageConfidence: article.languageConfidence,
    text: article.text,
    wordCount: article.wordCount,
    removed: article.removed,
    siteName: article.siteName,
    leadImage: article.leadImage,
    extractedFrom: article.extractedFrom,
  };
  const record =
    decision.kind === 'story'
      ? { ...base, kind: 'story' as const, story: decision.story }
      : decision.kind === 'duplicate'
        ? { ...base, kind: 'duplicate' as const, similarity: decision.similarity, evidence: decision.evidence, story: decision.story }
        : { ...base, kind: 'update' as const, previousTextHash: decision.previousTextHash, story: decision.story };
  const checked = outputRecordSchema.safeParse(record);
  if (!checked.success) {
    const why = checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new PermanentError('publish', 'INVALID_JOB', `record for ${article.url} does not match the output schema: ${why}`);
  }
  return checked.data;
}

/** Deterministic job id of a published record: a re-delivered job never publishes twice. */
export function publishJobId(record: OutputRecord): string {
  if (record.kind === 'story') return `story-${record.storyId}`;
  if (record.kind === 'duplicate') return `dup-${record.id}`;
  // one update record per version of the text
  return `upd-${record.id}-${textVersion(record.text)}`;
}

/** Short hash of an article's text: one per version of the text (job ids of dedupe and update jobs). */
export function textVersion(text: string): string {
  return sha256Hex(text).slice(0, 16);
}
