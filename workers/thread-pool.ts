// A small pool of worker threads (node:worker_threads) for CPU-bound tasks, so that one process
// can use every core while its event loop stays free for I/O.
//
// - Threads are started when a task needs one (up to `size`) and kept for the next task; each
//   runs one task at a time, once it has started (loaded its modules, run its init). Tasks wait
//   in order for a free thread.
// - A task that runs past `taskTimeoutMs` on its thread (its start-up not counted) gets
//   `timeoutError`; the thread is terminated (this interrupts an endless loop too) and a fresh
//   one takes its place. A thread that fails to start, or does not within `startTimeoutMs`,
//   fails the oldest waiting task with `crashError`.
// - A thread that dies while it holds a task (out of memory, an uncaught exception, an exit)
//   fails that task with `crashError`; the pool starts another thread for the tasks after it.
// - `lookahead` > 0: when every thread is busy, up to that many more tasks are handed to a thread
//   ahead, in its message queue, so it starts the next one as soon as it finishes, without waiting
//   for this thread's event loop to turn (a main thread busy with a long computation would keep it
//   idle meanwhile). A task handed ahead is copied, never moved (`transferOf`), and the deadline
//   runs from when the thread is known to have started it (its predecessor's reply); when its
//   thread times out, dies or is replaced before starting it, it goes back to the front of the
//   queue and runs on another thread. For handlers that compute without awaiting I/O (the page
//   stages): a handler that awaits lets its thread start the task handed ahead meanwhile.
// - `maxTasksPerThread` > 0 replaces a thread after that many tasks (its heap goes with it).
// - Idle threads never keep the process alive (unref); a busy one does, as any pending I/O would.
//   close() rejects waiting tasks and terminates every thread.
//
// Errors cross the thread boundary typed: a FeedsiftError thrown in a thread is rebuilt on this
// side with the same class (retryable or permanent), stage, code, message and details.
import { parentPort, Worker, type ResourceLimits } from 'node:worker_threads';
import { FeedsiftError, PermanentError, RetryableError, type ErrorCode, type ErrorDetails, type Stage } from '../pipeline/errors.ts';

/** A thrown value as it crosses a thread boundary. */
export type PackedError =
  | { kind: 'feedsift'; stage: Stage; code: ErrorCode; message: string; retryable: boolean; details: ErrorDetails }
  | { kind: 'error'; name: string; message: string; stack?: string };

/** Details that survive structured cloning; a `cause` travels as its message. */
function cloneableDetails(details: ErrorDetails): ErrorDetails {
  const out: ErrorDetails = {};
  for (const [key, value] of Object.entries(details)) {
    if (key === 'cause') {
      out.cause = value instanceof Error ? value.message : String(value);
      continue;
    }
    try {
      out[key] = structuredClone(value);
    } catch {
      out[key] = String(value);
    }
  }
  return out;
}

export function packError(err: unknown): PackedError {
  if (err instanceof FeedsiftError) {
    const prefix = `${err.stage}: `;
    const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { kind: 'feedsift', stage: err.stage, code: err.code, message, retryable: err.retryable, details: cloneableDetails(err.details) };
  }
  if (err instanceof Error) return { kind: 'error', name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { kind: 'error', name: 'Error', message: String(err) };
}

export function unpackError(packed: PackedError): Error {
  if (packed.kind === 'feedsift') {
    const details = { ...packed.details };
    if (typeof details.cause === 'string') details.cause = new Error(details.cause);
    return packed.retryable
      ? new RetryableError(packed.stage, packed.code, packed.message, details)
      : new PermanentError(packed.stage, packed.code, packed.message, details);
  }
  const err = new Error(packed.message);
  err.name = packed.name;
  if (packed.stack) err.stack = packed.stack;
  return err;
}

interface TaskMessage<I> {
  id: number;
  input: I;
}

type ReplyMessage<O> = { id: number; ok: true; value: O } | { id: number; ok: false; error: PackedError };
/** A thread says it has started and takes tasks. */
interface ReadyMessage {
  ready: true;
}

/**
 * Runs in a pool thread: answers every task the pool posts with `handler`'s result or its error.
 * `init` (loading a model, say) runs first; the thread takes no task before it is done, and a
 * failing init ends the thread (the pool reports it to the task that waited for the thread).
 */
export function serveTasks<I, O>(handler: (input: I) => O | Promise<O>, init?: () => Promise<void>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks() runs on a worker thread started by ThreadPool');
  void (async () => {
    await init?.();
    port.postMessage({ ready: true } satisfies ReadyMessage);
  })();
  port.on('message', async (message: TaskMessage<I>) => {
    try {
      port.postMessage({ id: message.id, ok: true, value: await handler(message.input) } satisfies ReplyMessage<O>);
    } catch (err) {
      // the handler's error, or a result that cannot be cloned
      port.postMessage({ id: message.id, ok: false, error: packError(err) } satisfies ReplyMessage<O>);
    }
  });
}

export interface ThreadPoolOptions<I> {
  /** The module every thread runs; it calls serveTasks(). */
  file: URL;
  /** Threads at most (≥ 1). */
  size: number;
  /** Wall-clock deadline of a task on its thread, in ms; 0: none. */
  taskTimeoutMs: number;
  /** A thread is replaced after this many tasks; 0: never. */
  maxTasksPerThread: number;
  /** Deadline of a thread's start-up (modules, init), in ms. Default 60 000. */
  startTimeoutMs?: number;
  /** V8 heap limits of each thread (an out-of-memory thread fails its task, not the process). */
  resourceLimits?: ResourceLimits;
  /**
   * The memory of an input that moves to the thread instead of being copied (postMessage's
   * transfer list): afterwards the caller's view of it is empty. Only memory nothing else shares.
   */
  transferOf?: (input: I) => ArrayBuffer[];
  /** Tasks handed to a busy thread ahead of its current one (0: a thread gets a task only when idle). */
  lookahead?: number;
  /** The error a task past its deadline fails with. */
  timeoutError: (input: I, timeoutMs: number) => Error;
  /** The error a task fails with when its thread died under it; `reason` says how. */
  crashError: (input: I, reason: string) => Error;
}

export interface ThreadPoolStats {
  /** Threads running now (starting ones included). */
  threads: number;
  /** Threads not started yet. */
  starting: number;
  busy: number;
  /** Tasks waiting for a thread. */
  queued: number;
  /** Threads started so far. */
  started: number;
  completed: number;
  timedOut: number;
  crashed: number;
  /** Threads replaced after maxTasksPerThread tasks. */
  recycled: number;
}

interface Task<I, O> {
  id: number;
  input: I;
  resolve: (value: O) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot<I, O> {
  worker: Worker;
  /** Started: takes tasks. */
  ready: boolean;
  /** Taken out of the pool on purpose (recycled, timed out, closed): its exit is no failure to start. */
  retired: boolean;
  /** Deadline of the start-up. */
  startTimer?: NodeJS.Timeout;
  /** Tasks handed to the thread and not settled, oldest first: the first one runs, the others wait in its queue. */
  inFlight: Array<Task<I, O>>;
  tasks: number;
  /** The last 'error' event of the thread (an uncaught exception, out of memory). */
  error?: Error;
  exited: Promise<void>;
}

export class ThreadPool<I, O> {
  private readonly opts: ThreadPoolOptions<I>;
  private readonly slots: Array<Slot<I, O>> = [];
  private readonly queue: Array<Task<I, O>> = [];
  /** Threads terminated or exited but maybe not gone yet: close() waits for them too. */
  private readonly ending = new Set<Promise<void>>();
  private nextId = 0;
  private closed = false;
  private readonly counts = { started: 0, completed: 0, timedOut: 0, crashed: 0, recycled: 0 };

  constructor(opts: ThreadPoolOptions<I>) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new Error(`thread pool size must be a positive integer, got ${opts.size}`);
    this.opts = opts;
  }

  /** Runs one task on a pool thread; rejects with the task's own error, or timeoutError / crashError. */
  run(input: I): Promise<O> {
    if (this.closed) return Promise.reject(new Error('the thread pool is closed'));
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ id: ++this.nextId, input, resolve, reject });
      this.dispatch();
    });
  }

  stats(): ThreadPoolStats {
    return { threads: this.slots.length, starting: this.slots.filter((s) => !s.ready).length, busy: this.slots.filter((s) => s.inFlight.length > 0).length, queued: this.queue.length, ...this.counts };
  }

  /** Rejects waiting tasks, terminates every thread (a task still running fails) and waits until all have exited. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('the thread pool closed before this task started'));
    for (const slot of [...this.slots]) this.retire(slot);
    await Promise.all([...this.ending]);
  }

  /**
   * Hands waiting tasks to idle threads; starts threads for the tasks that starting ones will not
   * cover; with `lookahead`, hands the rest ahead to the least busy threads once all have started.
   */
  private dispatch(): void {
    const depth = 1 + (this.opts.lookahead ?? 0);
    while (this.queue.length && !this.closed) {
      const idle = this.slots.find((s) => s.ready && s.inFlight.length === 0);
      if (idle) {
        this.assign(idle, this.queue.shift()!);
        continue;
      }
      const starting = this.slots.filter((s) => !s.ready).length;
      if (this.slots.length < this.opts.size && starting < this.queue.length) {
        this.spawn();
        continue;
      }
      if (starting > 0 || depth === 1) return;
      let ahead: Slot<I, O> | undefined;
      for (const s of this.slots) {
        if (s.inFlight.length >= depth) continue;
        // a thread about to be replaced takes no more than it will run
        if (this.opts.maxTasksPerThread > 0 && s.tasks + s.inFlight.length >= this.opts.maxTasksPerThread) continue;
        if (!ahead || s.inFlight.length < ahead.inFlight.length) ahead = s;
      }
      if (!ahead) return;
      this.assign(ahead, this.queue.shift()!);
    }
  }

  private spawn(): void {
    const worker = new Worker(this.opts.file, this.opts.resourceLimits ? { resourceLimits: this.opts.resourceLimits } : {});
    const slot: Slot<I, O> = { worker, ready: false, retired: false, inFlight: [], tasks: 0, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
    worker.on('message', (m: ReplyMessage<O> | ReadyMessage) => ('ready' in m ? this.started(slot) : this.settle(slot, m)));
    worker.on('error', (err) => (slot.error = err));
    worker.on('exit', (code) => this.exited(slot, code));
    // a starting thread is awaited by a task: it keeps the process alive until it is idle
    const startTimeoutMs = this.opts.startTimeoutMs ?? 60_000;
    slot.startTimer = setTimeout(() => {
      slot.error = new Error(`the thread did not start within ${startTimeoutMs} ms`);
      void worker.terminate();
    }, startTimeoutMs);
    slot.startTimer.unref();
    this.slots.push(slot);
    this.counts.started++;
  }

  private started(slot: Slot<I, O>): void {
    clearTimeout(slot.startTimer);
    slot.ready = true;
    slot.worker.unref();
    this.dispatch();
  }

  private assign(slot: Slot<I, O>, task: Task<I, O>): void {
    const first = slot.inFlight.length === 0;
    slot.inFlight.push(task);
    slot.worker.ref();
    if (first) this.running(slot, task);
    const message: TaskMessage<I> = { id: task.id, input: task.input };
    try {
      // only a task the thread starts at once moves its memory: one handed ahead may have to be sent again
      slot.worker.postMessage(message, first ? (this.opts.transferOf?.(task.input) ?? []) : []);
    } catch (err) {
      // an input that cannot be cloned: the thread never saw it
      slot.inFlight.splice(slot.inFlight.indexOf(task), 1);
      if (slot.inFlight.length === 0) this.release(slot);
      clearTimeout(task.timer);
      task.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The thread has started `task` (the first of its tasks in flight): its deadline runs from now. */
  private running(slot: Slot<I, O>, task: Task<I, O>): void {
    if (this.opts.taskTimeoutMs > 0) {
      task.timer = setTimeout(() => this.timeout(slot, task), this.opts.taskTimeoutMs);
      task.timer.unref();
    }
  }

  /** Puts the tasks a thread holds but has not started back at the front of the queue, in their order. */
  private requeue(slot: Slot<I, O>): void {
    const waiting = slot.inFlight.splice(0);
    for (const t of waiting) clearTimeout(t.timer);
    this.queue.unshift(...waiting);
  }

  /** The thread is free again (and does not keep the process alive). */
  private release(slot: Slot<I, O>): void {
    slot.worker.unref();
  }

  private settle(slot: Slot<I, O>, m: ReplyMessage<O>): void {
    const task = slot.inFlight[0];
    if (!task || task.id !== m.id) return;
    clearTimeout(task.timer);
    slot.inFlight.shift();
    const next = slot.inFlight[0];
    if (next) this.running(slot, next);
    else this.release(slot);
    slot.tasks++;
    this.counts.completed++;
    if (m.ok) task.resolve(m.value);
    else task.reject(unpackError(m.error));
    if (this.opts.maxTasksPerThread > 0 && slot.tasks >= this.opts.maxTasksPerThread) {
      this.counts.recycled++;
      this.requeue(slot);
      this.retire(slot);
    }
    this.dispatch();
  }

  private timeout(slot: Slot<I, O>, task: Task<I, O>): void {
    if (slot.inFlight[0] !== task) return;
    slot.inFlight.shift();
    this.counts.timedOut++;
    this.requeue(slot);
    this.retire(slot);
    task.reject(this.opts.timeoutError(task.input, this.opts.taskTimeoutMs));
    this.dispatch();
  }

  /** Takes a thread out of the pool and terminates it; the next task that needs a thread starts a fresh one. */
  private retire(slot: Slot<I, O>): void {
    slot.retired = true;
    clearTimeout(slot.startTimer);
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    const gone = slot.exited.finally(() => this.ending.delete(gone));
    this.ending.add(gone);
    void slot.worker.terminate();
  }

  private exited(slot: Slot<I, O>, code: number): void {
    clearTimeout(slot.startTimer);
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    const reason = slot.error ? `${(slot.error as NodeJS.ErrnoException).code ?? slot.error.name}: ${slot.error.message}` : `the thread exited with code ${code}`;
    if (!slot.ready && !slot.retired && !this.closed) {
      // it never started: the oldest waiting task gets the reason (so a broken thread module costs one task per try, never a loop)
      const waiting = this.queue.shift();
      if (waiting) {
        this.counts.crashed++;
        waiting.reject(this.opts.crashError(waiting.input, `the thread failed to start: ${reason}`));
      }
      this.dispatch();
      return;
    }
    const task = slot.inFlight.shift();
    if (!task) return;
    clearTimeout(task.timer);
    if (this.closed) {
      task.reject(new Error('the thread pool closed while this task ran'));
      for (const t of slot.inFlight.splice(0)) t.reject(new Error('the thread pool closed before this task started'));
      return;
    }
    this.counts.crashed++;
    // the tasks handed ahead never started: another thread runs them
    this.requeue(slot);
    task.reject(this.opts.crashError(task.input, reason));
    this.dispatch();
  }
}
