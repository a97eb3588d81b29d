// A page thread of workers/page-pool.ts: the CPU half of the article stage (decode, DOM,
// Readability and our corrections, language per block, strip) on pages fetched by the main thread.
import { cleanArticle } from '../pipeline/article.ts';
import { loadLanguageDetector } from '../pipeline/language.ts';
import { serveTasks } from './thread-pool.ts';

// CLD3 is compiled once per thread, before its first page (and its time is not the page's)
serveTasks(cleanArticle, async () => {
  await loadLanguageDetector();
});
