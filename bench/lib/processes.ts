// Child processes of the benchmark: pinned to a core with taskset where the machine has it, their
// resident memory and CPU time read from /proc (Linux).
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let tasksetFound: boolean | undefined;

/** Whether `taskset` (util-linux) runs here. */
export function hasTaskset(): boolean {
  tasksetFound ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetFound;
}

// Extra node options for every child, e.g. FEEDSIFT_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'
// to profile the workers of a run (V8 refuses --cpu-prof in NODE_OPTIONS).
const EXTRA_NODE_ARGS = (process.env.FEEDSIFT_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

/** `node args…`, on the given core when taskset is there (the returned `pinned` says whether it was). */
export function spawnNode(nodeArgs: string[], opts: SpawnOptions & { core?: number }): { child: ChildProcess; pinned: string | null } {
  const { core, ...spawnOpts } = opts;
  const args = [...EXTRA_NODE_ARGS, ...nodeArgs];
  if (core !== undefined && hasTaskset()) {
    return { child: spawn('taskset', ['-c', String(core), process.execPath, ...args], spawnOpts), pinned: `taskset -c ${core}` };
  }
  return { child: spawn(process.execPath, args, spawnOpts), pinned: null };
}

/**
 * Runs bench/lib/child.ts with `args` (on core 0 when `pin`) and returns the JSON it prints as
 * its last line of stdout; its stderr (progress) goes to ours.
 */
export async function runChild<T>(args: string[], pin: boolean): Promise<{ result: T; pinned: string | null }> {
  const { child, pinned } = spawnNode([path.join(REPO_ROOT, 'bench', 'lib', 'child.ts'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(pin ? { core: 0 } : {}),
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`bench child ${args.join(' ')} exited with ${code}`);
  return { result: JSON.parse(last) as T, pinned };
}

/** Resident set of a process in bytes (VmRSS), NaN when it cannot be read. */
export function rssBytes(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) a process has used; taskset execs node in place, so a pinned child's pid is node's. */
export function cpuSecondsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime in clock ticks (1/100 s on Linux)
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Bytes of memory the machine can still give (MemAvailable). */
export function availableMemory(): number {
  try {
    const m = /MemAvailable:\s+(\d+)\s+kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Waits for a child to exit after SIGTERM (SIGKILL after `ms`). */
export async function stop(child: ChildProcess, ms = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
