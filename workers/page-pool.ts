// Where the article stage's CPU half runs: on a pool of page threads (FEEDSIFT_CPU_THREADS > 0),
// so that one process uses every core while its event loop keeps fetching, or on the main
// thread (FEEDSIFT_CPU_THREADS=0), as a process without threads would. The dedupe stage's text
// features (tokens, terms, entities, MinHash: ~4 ms an article) run there too: the decisions
// themselves are taken on the main thread, one at a time per process.
import { types } from 'node:util';
import { cleanArticle, type PageTask } from '../pipeline/article.ts';
import { textFeatures, type TextFeatures } from '../pipeline/dedupe.ts';
import { PermanentError, RetryableError } from '../pipeline/errors.ts';
import type { CleanArticle, Drop } from '../pipeline/records.ts';
import { ThreadPool, type ThreadPoolStats } from './thread-pool.ts';

export interface PageThreadOptions {
  /** Page threads; 0: pages are cleaned on the main thread. */
  threads: number;
  /** Deadline of one page on its thread (ms): past it, PAGE_TIMEOUT and the thread is replaced. */
  pageTimeoutMs: number;
  /** A thread is replaced after this many pages; 0: never. */
  maxPagesPerThread: number;
  /** V8 old-generation heap limit of each thread (MiB); 0: V8's default. */
  maxHeapMb?: number;
}

/** What a page thread is asked to do. */
export type ThreadTask = { kind: 'page'; task: PageTask } | { kind: 'features'; article: FeaturesInput };
type FeaturesInput = Pick<CleanArticle, 'title' | 'text' | 'language'>;

/** The page a task is about, for its errors (features tasks have none). */
const urlOf = (t: ThreadTask): string | null => (t.kind === 'page' ? t.task.page.finalUrl : null);

export interface PageCleaner {
  /** Page threads (0: the main thread). */
  readonly threads: number;
  /** cleanArticle(task), on a page thread when there are any. Typed errors as cleanArticle's, plus PAGE_TIMEOUT and PAGE_WORKER_CRASHED. */
  clean(task: PageTask): Promise<CleanArticle | Drop>;
  /** textFeatures(article) (dedupe.ts), on a page thread when there are any. */
  features(article: FeaturesInput): Promise<TextFeatures>;
  stats(): ThreadPoolStats | undefined;
  /** Terminates the threads (a page still running fails). */
  close(): Promise<void>;
}

/**
 * The page body's memory when the body is all of it (a fetched page's own buffer, ~170 KB for a
 * news page): moved to the page thread, not copied (posting a copy of 170 KB took 15–25 µs of the
 * main thread here once warm, ~300 µs the first time; moving it 3–5 µs). A body that shares its
 * memory (Node's pool of small buffers, a view into a larger one) is copied as before.
 */
function ownMemory(body: Uint8Array): ArrayBuffer[] {
  const b = body.buffer;
  // isArrayBuffer, not instanceof: a Buffer's memory may come from another realm's ArrayBuffer (vm contexts)
  return types.isArrayBuffer(b) && body.byteOffset === 0 && body.byteLength === b.byteLength && b.byteLength > 0 ? [b] : [];
}

export function createPageCleaner(opts: PageThreadOptions): PageCleaner {
  if (opts.threads === 0) return { threads: 0, clean: cleanArticle, features: async (a) => textFeatures(a), stats: () => undefined, close: async () => {} };
  const pool = new ThreadPool<ThreadTask, CleanArticle | Drop | TextFeatures>({
    file: new URL('./page-thread.ts', import.meta.url),
    size: opts.threads,
    taskTimeoutMs: opts.pageTimeoutMs,
    maxTasksPerThread: opts.maxPagesPerThread,
    ...(opts.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb } } : {}),
    transferOf: (t) => (t.kind === 'page' ? ownMemory(t.task.page.body) : []),
    // the main thread may be busy with a decision when a page thread finishes: its next task is already there
    lookahead: 1,
    timeoutError: (t, ms) => {
      const what = t.kind === 'page' ? `page processing` : `the text features of an article`;
      const url = urlOf(t);
      return new PermanentError('worker', 'PAGE_TIMEOUT', `${what} ran past its ${ms} ms deadline (FEEDSIFT_PAGE_TIMEOUT_MS); its thread was stopped and replaced${url ? `: ${url}` : ''}`, {
        ...(url ? { url } : {}),
        timeoutMs: ms,
      });
    },
    crashError: (t, reason) => {
      const url = urlOf(t);
      return new RetryableError('worker', 'PAGE_WORKER_CRASHED', `the page thread died while ${t.kind === 'page' ? 'processing the page' : 'computing text features'} (${reason}); it was replaced${url ? `: ${url}` : ''}`, {
        ...(url ? { url } : {}),
        reason,
      });
    },
  });
  return {
    threads: opts.threads,
    clean: (task) => pool.run({ kind: 'page', task }) as Promise<CleanArticle | Drop>,
    features: (a) => pool.run({ kind: 'features', article: { title: a.title, text: a.text, language: a.language } }) as Promise<TextFeatures>,
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
}
