// Where Redis comes from: REDIS_URL when the operator gives one; otherwise a private
// redis-server from PATH on a free loopback port, its data in a local folder, stopped
// when we exit (the "embedded default"); otherwise a clear error saying how to get one.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { PermanentError } from '../pipeline/errors.ts';

export interface RedisHandle {
  url: string;
  /** True when we started the server ourselves. */
  embedded: boolean;
  stop(): Promise<void>;
}

export const INSTALL_HINT =
  'feedsift needs Redis. Either set REDIS_URL (e.g. redis://127.0.0.1:6379) or put redis-server on PATH: ' +
  'Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis; Alpine: apk add redis.';

export function findOnPath(binary: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once a PING over raw RESP gets PONG, or rejects after `timeoutMs`. */
async function waitForPong(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port }, () => sock.write('PING\r\n'));
      sock.setTimeout(500, () => {
        sock.destroy();
        resolve(false);
      });
      sock.on('data', (d) => {
        sock.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      sock.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING within ${timeoutMs} ms`);
}

export interface EmbeddedOptions {
  /** Folder for the server's data (append-only file). Default `.feedsift/redis` under cwd. */
  dataDir?: string;
  /** Keep data between runs (AOF). Default true; tests pass false. */
  persist?: boolean;
  binary?: string;
}

export async function startEmbeddedRedis(opts: EmbeddedOptions = {}): Promise<RedisHandle> {
  const binary = opts.binary ?? findOnPath('redis-server');
  if (!binary) throw new PermanentError('redis', 'REDIS_UNAVAILABLE', `REDIS_URL is not set and no redis-server is on PATH. ${INSTALL_HINT}`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = path.resolve(opts.dataDir ?? path.join('.feedsift', 'redis'), String(port));
    mkdirSync(dir, { recursive: true });
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--save', '',
      '--appendonly', opts.persist === false ? 'no' : 'yes',
      // BullMQ needs keys never to be evicted (its production guide)
      '--maxmemory-policy', 'noeviction',
      '--daemonize', 'no',
      '--logfile', '',
      '--loglevel', 'warning',
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    try {
      await waitForPong(port, child, 5000);
    } catch (err) {
      lastError = new Error(`${(err as Error).message}${stderr ? `: ${stderr.trim()}` : ''}`);
      process.removeListener('exit', killOnExit);
      child.kill('SIGKILL');
      continue;
    }
    child.unref();
    (child.stderr as unknown as { unref?: () => void })?.unref?.();
    return {
      url: `redis://127.0.0.1:${port}`,
      embedded: true,
      async stop() {
        process.removeListener('exit', killOnExit);
        if (child.exitCode !== null) return;
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 3000).unref();
        });
      },
    };
  }
  throw new PermanentError('redis', 'REDIS_UNAVAILABLE', `could not start redis-server (${binary}): ${(lastError as Error)?.message}`);
}

/** REDIS_URL if given, else the embedded default. */
export async function resolveRedis(redisUrl: string | undefined, opts: EmbeddedOptions = {}): Promise<RedisHandle> {
  if (redisUrl) return { url: redisUrl, embedded: false, stop: async () => {} };
  return startEmbeddedRedis(opts);
}
