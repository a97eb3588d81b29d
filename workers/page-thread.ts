// A page thread of workers/page-pool.ts: the CPU half of the article stage (decode, DOM,
// Readability and our corrections, language per block, strip) on pages fetched by the main thread,
// and the text features of an article about to be deduplicated.
import { cleanArticle } from '../pipeline/article.ts';
import { textFeatures, type TextFeatures } from '../pipeline/dedupe.ts';
import { loadLanguageDetector } from '../pipeline/language.ts';
import type { CleanArticle, Drop } from '../pipeline/records.ts';
import type { ThreadTask } from './page-pool.ts';
import { serveTasks } from './thread-pool.ts';

// CLD3 is compiled once per thread, before its first page (and its time is not the page's)
serveTasks<ThreadTask, CleanArticle | Drop | TextFeatures>(
  (t) => (t.kind === 'features' ? textFeatures(t.article) : cleanArticle(t.task)),
  async () => {
    await loadLanguageDetector();
  },
);
