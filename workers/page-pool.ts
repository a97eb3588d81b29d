// Where the article stage's CPU half runs: on a pool of page threads (FEEDSIFT_CPU_THREADS > 0),
// so that one process uses every core while its event loop keeps fetching, or on the main
// thread (FEEDSIFT_CPU_THREADS=0), as a process without threads would.
import { cleanArticle, type PageTask } from '../pipeline/article.ts';
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

export interface PageCleaner {
  /** Page threads (0: the main thread). */
  readonly threads: number;
  /** cleanArticle(task), on a page thread when there are any. Typed errors as cleanArticle's, plus PAGE_TIMEOUT and PAGE_WORKER_CRASHED. */
  clean(task: PageTask): Promise<CleanArticle | Drop>;
  stats(): ThreadPoolStats | undefined;
  /** Terminates the threads (a page still running fails). */
  close(): Promise<void>;
}

export function createPageCleaner(opts: PageThreadOptions): PageCleaner {
  if (opts.threads === 0) return { threads: 0, clean: cleanArticle, stats: () => undefined, close: async () => {} };
  const pool = new ThreadPool<PageTask, CleanArticle | Drop>({
    file: new URL('./page-thread.ts', import.meta.url),
    size: opts.threads,
    taskTimeoutMs: opts.pageTimeoutMs,
    maxTasksPerThread: opts.maxPagesPerThread,
    ...(opts.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb } } : {}),
    timeoutError: (task, ms) =>
      new PermanentError('worker', 'PAGE_TIMEOUT', `page processing ran past its ${ms} ms deadline (FEEDSIFT_PAGE_TIMEOUT_MS); its thread was stopped and replaced: ${task.page.finalUrl}`, {
        url: task.page.finalUrl,
        timeoutMs: ms,
      }),
    crashError: (task, reason) =>
      new RetryableError('worker', 'PAGE_WORKER_CRASHED', `the page thread died while processing the page (${reason}); it was replaced: ${task.page.finalUrl}`, {
        url: task.page.finalUrl,
        reason,
      }),
  });
  return { threads: opts.threads, clean: (task) => pool.run(task), stats: () => pool.stats(), close: () => pool.close() };
}
