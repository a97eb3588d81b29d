// A pool thread for test/integration/thread-pool.test.ts: each task names what the thread does —
// answer, throw, loop for ever, exit, throw outside the task, run out of memory, wait, keep busy.
import { isMainThread, threadId } from 'node:worker_threads';
import { PermanentError, RetryableError } from '../../pipeline/errors.ts';
import { serveTasks } from '../../workers/thread-pool.ts';

export type PoolTask =
  | { do: 'echo'; value: unknown }
  | { do: 'thread-id' }
  | { do: 'typed'; retryable: boolean }
  | { do: 'plain' }
  | { do: 'unclonable' }
  | { do: 'loop' }
  | { do: 'exit'; code: number }
  | { do: 'uncaught' }
  | { do: 'oom' }
  | { do: 'wait'; ms: number }
  | { do: 'spin'; ms: number };

/** The typed errors the thread throws, built the same way on the test's side for comparison. */
export function typedError(retryable: boolean): Error {
  const details = { url: 'http://page.test/a', status: 503, retryAfterMs: 1234, list: ['a', 1], cause: new Error('socket hang up') };
  return retryable
    ? new RetryableError('fetch-page', 'HTTP_RETRYABLE_STATUS', 'HTTP 503 (GET http://page.test/a)', details)
    : new PermanentError('extract', 'TOO_LARGE', 'page has 60000 elements, more than 50000', { url: 'http://page.test/a', limit: 50_000 });
}

const hold: unknown[] = [];

// imported by the test for typedError(); serving only on a pool thread
if (!isMainThread) serveTasks(async (task: PoolTask): Promise<unknown> => {
  switch (task.do) {
    case 'echo':
      return task.value;
    case 'thread-id':
      return threadId;
    case 'typed':
      throw typedError(task.retryable);
    case 'plain':
      throw new TypeError('not a typed error');
    case 'unclonable':
      return { f: () => 1 };
    case 'loop':
      for (;;) hold.length = 0;
    case 'exit':
      process.exit(task.code);
    case 'uncaught':
      setTimeout(() => {
        throw new Error('thrown outside the task');
      });
      return new Promise(() => {});
    case 'oom':
      for (;;) hold.push(new Array(100_000).fill(hold.length));
    case 'wait':
      await new Promise((r) => setTimeout(r, task.ms));
      return threadId;
    case 'spin': {
      // busy for `ms`, as a page is: the thread takes no other message meanwhile
      const end = Date.now() + task.ms;
      while (Date.now() < end) hold.length = 0;
      return threadId;
    }
  }
});
