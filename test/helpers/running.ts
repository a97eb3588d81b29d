// A feedsift command that keeps running (start, tail): a child process whose output is collected
// while it runs, for tests that act on it before it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.ts';
import { REPO_ROOT } from './eval.ts';

export interface Running {
  child: ChildProcess;
  /** Everything written so far. */
  stdout: string;
  stderr: string;
  /** The exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

/** `env` is merged over the test's environment; a value of `undefined` removes the variable. */
export function launchFeedsift(args: string[], env: Record<string, string | undefined> = {}): Running {
  const fullEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) fullEnv[k] = v;
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Running = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.on('close', resolve)) };
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return run;
}
