// Runs the feedsift command line as a user does: a child process with its own environment.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './eval.ts';

export const CLI = path.join(REPO_ROOT, 'workers', 'cli', 'feedsift.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env` is merged over the test's environment; a value of `undefined` removes the variable. */
export function feedsift(args: string[], env: Record<string, string | undefined> = {}, stdin = ''): Promise<CliRun> {
  const fullEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, FEEDSIFT_LOG_LEVEL: 'warn', ...env })) if (v !== undefined) fullEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: fullEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
