// Worker processes (`feedsift start --roles article,dedupe --no-schedule`) killed or stopped in the
// middle of a run, on real Redis with the fixture outlets. The outlets are reached through a gate
// on 127.0.0.2 (same port, forwarding to the fixture server on 127.0.0.1) that holds page
// requests until the test opens it, so "article jobs in flight" is a state, not a race.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import { outlets } from '../../fixtures/manifest.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import type { FeedConfig } from '../../pipeline/records.ts';
import { INTERNAL_QUEUES } from '../../workers/jobs.ts';
import { createLogger } from '../../workers/log.ts';
import { startRuntime, waitForDrain, type Runtime } from '../../workers/runtime.ts';
import { CLI } from '../helpers/cli.ts';
import { REPO_ROOT } from '../helpers/eval.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';
import { until } from '../helpers/wait.ts';

const GATE_IP = '127.0.0.2';
const LOCK_MS = 1500;
const PAGES = outlets.reduce((n, o) => n + o.pages.length, 0);

interface Gate {
  server: Server;
  open: boolean;
  held: Array<() => void>;
  /** Page requests that reached the gate. */
  pageRequests: number;
  release(): void;
}

/** Forwards everything to the fixture server; page requests wait while the gate is shut. */
async function startGate(fixture: FixtureServer, feedPaths: Set<string>): Promise<Gate> {
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const up = request({ host: '127.0.0.1', port: fixture.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end();
  };
  const gate: Gate = {
    server: createServer((req, res) => {
      if (feedPaths.has(req.url ?? '') || gate.open) return forward(req, res);
      gate.pageRequests++;
      gate.held.push(() => forward(req, res));
    }),
    open: false,
    held: [],
    pageRequests: 0,
    release() {
      gate.open = true;
      for (const go of gate.held.splice(0)) go();
    },
  };
  await new Promise<void>((r) => gate.server.listen(fixture.port, GATE_IP, r));
  return gate;
}

interface Proc {
  child: ChildProcess;
  stderr: string;
  exit: Promise<number | null>;
}


describe('worker processes killed or stopped mid-run', () => {
  let fixture: FixtureServer;
  const redis = newRedis();
  const procs: Proc[] = [];
  const prefixes: string[] = [];
  const runtimes: Runtime[] = [];
  let feedsFile = '';

  beforeAll(async () => {
    fixture = await startFixtureServer();
    feedsFile = path.join(mkdtempSync(path.join(tmpdir(), 'feedsift-kill-')), 'feeds.yaml');
    writeFileSync(feedsFile, `feeds:\n${fixture.feeds.map((f) => `  - url: ${f.url}\n    id: ${f.id}\n`).join('')}`);
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const rt of runtimes) await rt.close();
    await fixture.close();
    for (const p of prefixes) await deletePrefix(redis, p);
    redis.disconnect();
  });

  /** A fresh prefix, a shut gate, and an in-process poller that queues every fixture feed once. */
  async function setup(): Promise<{ prefix: string; gate: Gate; env: Record<string, string>; rt: Runtime }> {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const feedPaths = new Set(fixture.feeds.map((f) => new URL(f.url).pathname));
    const gate = await startGate(fixture, feedPaths);
    const hosts = Object.keys(fixture.hosts);
    const env = {
      REDIS_URL: testRedisUrl(),
      FEEDSIFT_PREFIX: prefix,
      FEEDSIFT_FEEDS_FILE: feedsFile,
      FEEDSIFT_HOST_OVERRIDES: hosts.map((h) => `${h}=${GATE_IP}`).join(','),
      FEEDSIFT_ALLOW_HOSTS: GATE_IP,
      // several article jobs are held in flight on one host on purpose: no per-host limit here
      FEEDSIFT_HOST_CONCURRENCY: '8',
      FEEDSIFT_HOST_DELAY_MS: '0',
      FEEDSIFT_LOCK_DURATION_MS: String(LOCK_MS),
      FEEDSIFT_ARTICLE_CONCURRENCY: '3',
      FEEDSIFT_LOG_LEVEL: 'info',
    };
    const config = loadConfig({ env, feeds: fixture.feeds });
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log: createLogger('silent'), roles: ['poll'] });
    runtimes.push(rt);
    return { prefix, gate, env, rt };
  }

  function launch(env: Record<string, string>): Proc {
    const fullEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) fullEnv[k] = v;
    const child = spawn(process.execPath, [CLI, 'start', '--roles', 'article,dedupe', '--no-schedule'], { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    const proc: Proc = { child, stderr: '', exit: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
    child.stderr!.on('data', (d: Buffer) => (proc.stderr += d.toString()));
    procs.push(proc);
    return proc;
  }

  async function poll(rt: Runtime, feeds: FeedConfig[]): Promise<void> {
    await rt.ctx.queues.poll.addBulk(feeds.map((feed) => ({ name: 'poll', data: { feed: { ...feed } }, opts: { jobId: `poll-${feed.id}` } })));
  }

  async function published(rt: Runtime): Promise<string[]> {
    const ids: string[] = [];
    for (const name of ['stories', 'duplicates'] as const) {
      for (const job of await rt.ctx.queues[name].getJobs(['waiting', 'active', 'completed', 'delayed'], 0, -1)) ids.push(job.data.url as string);
    }
    return ids;
  }

  it('SIGKILL while article jobs are active: another worker recovers them; every article published exactly once', async () => {
    const { gate, env, rt } = await setup();
    try {
      const first = launch(env);
      await poll(rt, fixture.feeds);
      // three article jobs (the concurrency) are in flight, held at the gate
      await until(() => gate.held.length === 3, 60_000, 'article jobs in flight');
      first.child.kill('SIGKILL');
      expect(await first.exit).toBeNull();
      const inFlight = await rt.ctx.queues.article.getJobs(['active']);
      expect(inFlight).toHaveLength(3);
      gate.held.splice(0); // the killed worker's requests went with it
      gate.open = true;

      const second = launch(env);
      await until(async () => (await published(rt)).length >= PAGES, 90_000, 'every article published');
      await waitForDrain(rt.ctx, { timeoutMs: 60_000 });
      const urls = await published(rt);
      expect(urls).toHaveLength(PAGES);
      expect(new Set(urls).size).toBe(PAGES);
      expect(await rt.ctx.queues.duplicates.count()).toBe(4);
      // the jobs the killed worker held were taken up again (stalled-job check) and completed
      for (const job of inFlight) expect(await rt.ctx.queues.article.getJobState(job.id!)).toBe('completed');
      for (const name of INTERNAL_QUEUES) expect(await rt.ctx.queues[name].getJobCounts('failed', 'active')).toEqual({ failed: 0, active: 0 });
      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
    } finally {
      gate.release();
      gate.server.closeAllConnections();
      await new Promise((r) => gate.server.close(r));
    }
  }, 180_000);

  it('SIGTERM while article jobs are active: no new job taken, in-flight ones finish, none left active, exit 0', async () => {
    const { gate, env, rt } = await setup();
    try {
      const worker = launch(env);
      await poll(rt, fixture.feeds);
      await until(() => gate.held.length === 3, 60_000, 'article jobs in flight');
      const inFlight = await rt.ctx.queues.article.getJobs(['active']);
      expect(inFlight).toHaveLength(3);
      worker.child.kill('SIGTERM');
      await until(() => /"msg":"stopping: waiting for in-flight jobs"/.test(worker.stderr), 30_000, 'stopping logged');
      const requestsAtStop = gate.pageRequests;
      gate.release();
      expect(await worker.exit).toBe(0);
      expect(worker.stderr).toMatch(/"msg":"stopped"/);
      // the three in-flight jobs completed; nothing was left active or stalled; no job was taken after SIGTERM
      for (const job of inFlight) expect(await rt.ctx.queues.article.getJobState(job.id!)).toBe('completed');
      expect(await rt.ctx.queues.article.getActiveCount()).toBe(0);
      expect(gate.pageRequests).toBe(requestsAtStop);
      expect(await rt.ctx.queues.article.getWaitingCount()).toBe(PAGES - 3);
    } finally {
      gate.release();
      gate.server.closeAllConnections();
      await new Promise((r) => gate.server.close(r));
    }
  }, 120_000);

  it('SIGTERM past FEEDSIFT_SHUTDOWN_TIMEOUT_MS: closes forcefully and exits 1; the cut-off jobs are recovered later', async () => {
    const { gate, env, rt } = await setup();
    try {
      const worker = launch({ ...env, FEEDSIFT_SHUTDOWN_TIMEOUT_MS: '300' });
      await poll(rt, fixture.feeds);
      await until(() => gate.held.length === 3, 60_000, 'article jobs in flight');
      worker.child.kill('SIGTERM');
      expect(await worker.exit).toBe(1);
      expect(worker.stderr).toMatch(/did not finish before the shutdown deadline/);
      expect(await rt.ctx.queues.article.getActiveCount()).toBe(3);
      gate.held.splice(0);
      gate.open = true;
      const next = launch(env);
      await until(async () => (await published(rt)).length >= PAGES, 90_000, 'every article published');
      expect(new Set(await published(rt)).size).toBe(PAGES);
      next.child.kill('SIGTERM');
      expect(await next.exit).toBe(0);
    } finally {
      gate.release();
      gate.server.closeAllConnections();
      await new Promise((r) => gate.server.close(r));
    }
  }, 180_000);
});
