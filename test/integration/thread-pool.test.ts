// The worker-thread pool (workers/thread-pool.ts) with real threads running test/helpers/pool-thread.ts:
// typed errors cross the boundary intact; a thread that loops for ever, exits, throws outside its
// task or runs out of memory fails only its own task and is replaced; recycling; close; and a
// process whose pool is idle exits by itself.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FeedsiftError, PermanentError, RetryableError } from '../../pipeline/errors.ts';
import { ThreadPool, type ThreadPoolOptions } from '../../workers/thread-pool.ts';
import { failure } from '../helpers/failure.ts';
import type { PoolTask } from '../helpers/pool-thread.ts';
import { typedError } from '../helpers/pool-thread.ts';

const THREAD = new URL('../helpers/pool-thread.ts', import.meta.url);
const pools: Array<ThreadPool<PoolTask, unknown>> = [];

function pool(opts: Partial<ThreadPoolOptions<PoolTask>> = {}): ThreadPool<PoolTask, unknown> {
  const p = new ThreadPool<PoolTask, unknown>({
    file: THREAD,
    size: 2,
    taskTimeoutMs: 0,
    maxTasksPerThread: 0,
    timeoutError: (task, ms) => new PermanentError('worker', 'PAGE_TIMEOUT', `${task.do} ran past ${ms} ms`),
    crashError: (task, reason) => new RetryableError('worker', 'PAGE_WORKER_CRASHED', `${task.do}: ${reason}`),
    ...opts,
  });
  pools.push(p);
  return p;
}

/** Runs `n` tasks that each answer with their thread's id. */
async function threadIds(p: ThreadPool<PoolTask, unknown>, n: number): Promise<number[]> {
  return (await Promise.all(Array.from({ length: n }, () => p.run({ do: 'thread-id' })))) as number[];
}

afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

describe('ThreadPool', () => {
  it('runs tasks on at most `size` threads, none of them the main thread, and reuses them', async () => {
    const p = pool({ size: 2 });
    expect(await p.run({ do: 'echo', value: { a: [1, 'two', null], b: { c: true } } })).toEqual({ a: [1, 'two', null], b: { c: true } });
    const ids = await threadIds(p, 12);
    expect(ids.every((id) => id > 0)).toBe(true);
    expect(new Set(ids).size).toBeLessThanOrEqual(2);
    expect(p.stats()).toMatchObject({ busy: 0, queued: 0, completed: 13, crashed: 0, timedOut: 0 });
    expect(p.stats().threads).toBeLessThanOrEqual(2);
  });

  it.each([true, false])('a typed error (retryable: %s) arrives with its class, stage, code, message and details', async (retryable) => {
    const p = pool();
    const err = await failure(p.run({ do: 'typed', retryable }));
    const expected = typedError(retryable) as FeedsiftError;
    expect(err).toBeInstanceOf(retryable ? RetryableError : PermanentError);
    const typed = err as FeedsiftError;
    expect(typed.toJSON()).toEqual(expected.toJSON());
    expect(typed.message).toBe(expected.message);
    const { cause, ...details } = typed.details;
    const { cause: expectedCause, ...expectedDetails } = expected.details;
    expect(details).toEqual(expectedDetails);
    if (retryable) {
      expect((typed as RetryableError).retryAfterMs).toBe(1234);
      expect((cause as Error).message).toBe((expectedCause as Error).message);
      expect((typed.cause as Error).message).toBe('socket hang up');
    }
  });

  it('any other error arrives with its name and message; a result that cannot be cloned fails its task', async () => {
    const p = pool();
    const plain = await failure(p.run({ do: 'plain' }));
    expect(plain).not.toBeInstanceOf(FeedsiftError);
    expect(plain.name).toBe('TypeError');
    expect(plain.message).toBe('not a typed error');
    const unclonable = await failure(p.run({ do: 'unclonable' }));
    expect(unclonable.name).toBe('DataCloneError');
    expect(await p.run({ do: 'echo', value: 1 })).toBe(1);
  });

  it('a task that never ends fails at its deadline; its thread is replaced; the task beside it and the next ones succeed', async () => {
    const p = pool({ size: 2, taskTimeoutMs: 3000 });
    const looping = p.run({ do: 'loop' });
    const beside = p.run({ do: 'wait', ms: 10 });
    const err = await failure(looping);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'PAGE_TIMEOUT', message: 'worker: loop ran past 3000 ms' });
    expect(typeof (await beside)).toBe('number');
    expect((await threadIds(p, 6)).every((id) => id > 0)).toBe(true);
    expect(p.stats()).toMatchObject({ timedOut: 1, crashed: 0, started: 3 });
  });

  it.each([
    ['exits', { do: 'exit', code: 7 } as PoolTask, /exit: the thread exited with code 7/],
    ['throws outside its task', { do: 'uncaught' } as PoolTask, /uncaught: Error: thrown outside the task/],
  ])('a thread that %s fails its task with the crash error; the next tasks run on a fresh thread', async (_, task, message) => {
    const p = pool({ size: 1 });
    const [before] = await threadIds(p, 1);
    const queued = [p.run({ do: 'echo', value: 'after' })];
    const err = await failure(p.run(task));
    // the task queued before the crash ran first, on the old thread; the crash took only its own task
    expect(await queued[0]).toBe('after');
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ code: 'PAGE_WORKER_CRASHED' });
    expect(err.message).toMatch(message);
    const after = await threadIds(p, 3);
    expect(after.every((id) => id !== before)).toBe(true);
    expect(p.stats()).toMatchObject({ crashed: 1, started: 2, threads: 1 });
  });

  it('a thread out of memory (its heap limit) fails its task; the pool and the process go on', async () => {
    const p = pool({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 48 } });
    const err = await failure(p.run({ do: 'oom' }));
    expect(err).toMatchObject({ code: 'PAGE_WORKER_CRASHED' });
    expect(err.message).toMatch(/ERR_WORKER_OUT_OF_MEMORY/);
    expect(await p.run({ do: 'echo', value: 'alive' })).toBe('alive');
    expect(p.stats()).toMatchObject({ crashed: 1, started: 2 });
  });

  it('a thread that cannot start fails one waiting task per try with the reason, never loops; a good pool is unaffected', async () => {
    const p = pool({ file: new URL('../helpers/broken-thread.ts', import.meta.url), size: 2 });
    const errs = await Promise.all([1, 2, 3].map(() => failure(p.run({ do: 'echo', value: 1 }))));
    for (const err of errs) {
      expect(err).toMatchObject({ code: 'PAGE_WORKER_CRASHED' });
      expect(err.message).toMatch(/echo: the thread failed to start: Error: this thread module is broken/);
    }
    expect(p.stats()).toMatchObject({ crashed: 3, started: 3, threads: 0, queued: 0 });
    expect(await pool().run({ do: 'echo', value: 'fine' })).toBe('fine');
  });

  it('replaces a thread after maxTasksPerThread tasks', async () => {
    const p = pool({ size: 1, maxTasksPerThread: 3 });
    const ids: number[] = [];
    for (let i = 0; i < 9; i++) ids.push((await p.run({ do: 'thread-id' })) as number);
    expect([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)].map((run) => new Set(run).size)).toEqual([1, 1, 1]);
    expect(new Set(ids).size).toBe(3);
    expect(p.stats()).toMatchObject({ recycled: 3, started: 3, completed: 9 });
  });

  describe('with lookahead (a task handed ahead to a busy thread)', () => {
    it('its deadline counts from when it starts, not from when it was handed over', async () => {
      const p = pool({ size: 1, lookahead: 1, taskTimeoutMs: 1500 });
      // 2 × 1,000 ms of work on one thread: the second, handed ahead, would pass 1,500 ms if its clock ran from the start
      const ids = await Promise.all([p.run({ do: 'spin', ms: 1000 }), p.run({ do: 'spin', ms: 1000 })]);
      expect(new Set(ids).size).toBe(1);
      expect(p.stats()).toMatchObject({ completed: 2, timedOut: 0, crashed: 0, started: 1 });
    });

    it.each([
      ['times out', { do: 'loop' } as PoolTask, 'PAGE_TIMEOUT', { timedOut: 1, crashed: 0 }],
      ['dies', { do: 'exit', code: 3 } as PoolTask, 'PAGE_WORKER_CRASHED', { timedOut: 0, crashed: 1 }],
    ] as const)('when the task before it %s, it runs on a fresh thread and succeeds', async (_, first, code, counts) => {
      const p = pool({ size: 1, lookahead: 1, taskTimeoutMs: 1000 });
      const bad = failure<FeedsiftError>(p.run(first));
      const behind = p.run({ do: 'thread-id' });
      expect((await bad).code).toBe(code);
      expect(await behind).toBeGreaterThan(0);
      expect(p.stats()).toMatchObject({ completed: 1, started: 2, ...counts });
    });

    it('a thread due for replacement is handed no more than it will run', async () => {
      const p = pool({ size: 1, lookahead: 1, maxTasksPerThread: 2 });
      const ids = await threadIds(p, 7);
      const perThread = [...ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<number, number>()).values()];
      expect(perThread.every((n) => n <= 2)).toBe(true);
      expect(perThread.length).toBeGreaterThanOrEqual(4);
      expect(p.stats()).toMatchObject({ completed: 7, crashed: 0, timedOut: 0 });
    });
  });

  it('close() fails the running and the waiting tasks, ends every thread and refuses new tasks', async () => {
    const p = pool({ size: 1 });
    await threadIds(p, 1);
    const running = failure(p.run({ do: 'wait', ms: 60_000 }));
    const waiting = failure(p.run({ do: 'echo', value: 1 }));
    await p.close();
    expect((await running).message).toMatch(/closed while this task ran/);
    expect((await waiting).message).toMatch(/closed before this task started/);
    expect(p.stats()).toMatchObject({ threads: 0, busy: 0, queued: 0 });
    expect((await failure(p.run({ do: 'echo', value: 2 }))).message).toMatch(/closed/);
  });

  it.each([false, true])('a process whose pool is idle exits by itself (closed: %s); a busy thread keeps it alive until its task is done', async (close) => {
    const script = `
      import { ThreadPool } from ${JSON.stringify(pathToFileURL(new URL('../../workers/thread-pool.ts', import.meta.url).pathname).href)};
      const pool = new ThreadPool({ file: new URL(${JSON.stringify(THREAD.href)}), size: 2, taskTimeoutMs: 0, maxTasksPerThread: 0,
        timeoutError: () => new Error('timeout'), crashError: () => new Error('crash') });
      const id = await pool.run({ do: 'wait', ms: 300 });
      console.log('done', id, pool.stats().threads);
      ${close ? "await pool.close(); console.log('closed', pool.stats().threads);" : ''}
    `;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'feedsift-pool-')), 'idle.mjs');
    writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (c) => {
        clearTimeout(guard);
        resolve(c);
      });
    });
    expect(out).toMatch(/^done \d+ 1\n/);
    if (close) expect(out).toMatch(/closed 0\n/);
    expect(code).toBe(0);
  });
});
