// The dashboard and /metrics in a real browser (Debian's chromium, driven by playwright-core):
// `feedsift start` on loopback processes the fixture outlets, then the browser is turned away
// from /ui without the token, logs in with `?token=`, sees every queue with its job counts, and
// reads the counters at /metrics. Skipped, with a notice, where /usr/bin/chromium is absent.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outlets } from '../../fixtures/manifest.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import { CLI } from '../helpers/cli.ts';
import { REPO_ROOT } from '../helpers/eval.ts';
import { parseExposition, valueOf } from '../helpers/prometheus.ts';
import { fixtureEnv } from '../helpers/fixture-env.ts';
import { deletePrefix, newRedis, uniquePrefix } from '../helpers/redis.ts';
import { until } from '../helpers/wait.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[feedsift tests] ${CHROMIUM} is absent: the browser test of the dashboard is SKIPPED (apt-get install chromium)`);

const TOKEN = 'browser-test-token-0123456789abcdef';
const ALL_QUEUES = ['poll', 'article', 'dedupe', 'stories', 'duplicates', 'updates'];

/** Flags that keep chromium quiet in a closed network: no GPU, no QUIC, no updates, no sync, no first-run. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!hasChromium)('the dashboard and /metrics in chromium', () => {
  let fixtures: FixtureServer;
  let child: ChildProcess;
  let stderr = '';
  let exit: Promise<number | null>;
  let context: BrowserContext;
  let profile: string;
  let url: string;
  const redis = newRedis();
  const prefix = uniquePrefix();

  beforeAll(async () => {
    fixtures = await startFixtureServer();
    const env = fixtureEnv(fixtures, prefix, { FEEDSIFT_LOG_LEVEL: 'info', FEEDSIFT_HTTP_HOST: '127.0.0.1', FEEDSIFT_UI_TOKEN: TOKEN });
    child = spawn(process.execPath, [CLI, 'start', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    exit = new Promise((resolve) => child.on('close', resolve));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

    // the endpoint's address, as the log line gives it (port 0: a free one)
    await until(() => /"msg":"http endpoint listening/.test(stderr), 60_000, 'the http endpoint listening');
    const line = stderr.split('\n').find((l) => l.includes('"msg":"http endpoint listening'))!;
    url = (JSON.parse(line) as { url: string }).url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // every page of every fixture feed comes out as a story or a duplicate notice, and the queues rest
    const queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix }));
    try {
      const [poll, article, dedupe, stories, duplicates] = queues;
      const expected = outlets.reduce((n, o) => n + o.pages.length, 0);
      await until(async () => (await stories!.count()) + (await duplicates!.count()) >= expected, 90_000, 'every fixture article published');
      // (the poll queue always holds each scheduler's next tick as a delayed job)
      await until(async () => {
        let busy = 0;
        for (const q of [poll!, article!, dedupe!]) busy += Object.values(await q.getJobCounts('waiting', 'active', ...(q === poll ? [] : ['delayed' as const]))).reduce((a, b) => a + b, 0);
        return busy === 0;
      }, 30_000, 'the internal queues at rest');
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }

    profile = mkdtempSync(path.join(tmpdir(), 'feedsift-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    // the page never leaves the machine: anything but the endpoint (the dashboard asks for a
    // web-font stylesheet) is refused before it is sent
    await context.route('**/*', (route) => (route.request().url().startsWith(`${url}/`) ? route.continue() : route.abort('blockedbyclient')));
  }, 150_000);

  afterAll(async () => {
    await context?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await fixtures?.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('turns the browser away from /ui without the token', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${url}/ui`);
    expect(res!.status()).toBe(401);
    expect(await page.textContent('body')).toContain('the dashboard needs the token');
    await page.close();
  });

  it('logs in with ?token= once and shows every queue with its job counts', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${url}/ui?token=${TOKEN}`);
    expect(res!.status()).toBe(200);
    // the token left the address bar; the cookie carries the session from here on
    expect(page.url()).toBe(`${url}/ui`);
    // one card per queue, each with its total of jobs as Redis counts them
    const expected: Record<string, number> = {};
    for (const name of ALL_QUEUES) {
      const q = new Queue(name, { connection: redis, prefix });
      const counts = await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children');
      await q.close();
      expected[name] = Object.values(counts).reduce((a, b) => a + b, 0);
    }
    expect(expected.duplicates).toBe(4);
    expect(expected.stories).toBeGreaterThan(10);
    await page.getByText(`${expected.stories} Jobs`).waitFor({ timeout: 30_000 });
    const text = await page.innerText('body');
    for (const name of ALL_QUEUES) {
      expect(text, name).toMatch(new RegExp(`^${name}\\n(?:No workers\\n)?${expected[name]} Jobs$`, 'm'));
    }
    await page.close();
  });

  it('reads the counters at /metrics', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${url}/metrics`);
    expect(res!.status()).toBe(200);
    const m = parseExposition(await page.innerText('body'));
    const stories = new Queue('stories', { connection: redis, prefix });
    const article = new Queue('article', { connection: redis, prefix });
    try {
      expect(valueOf(m, 'feedsift_articles_total', { outcome: 'story' })).toBe(await stories.count());
      expect(valueOf(m, 'feedsift_articles_total', { outcome: 'duplicate' })).toBe(4);
      expect(valueOf(m, 'feedsift_queue_jobs', { queue: 'duplicates', state: 'waiting' })).toBe(4);
      const { completed } = await article.getJobCounts('completed');
      expect(valueOf(m, 'feedsift_job_duration_seconds_count', { stage: 'article', outcome: 'completed' })).toBe(completed);
      for (const feed of fixtures.feeds) expect(valueOf(m, 'feedsift_feed_last_success_timestamp_seconds', { feed: feed.id }), feed.id).toBeGreaterThan(0);
    } finally {
      await stories.close();
      await article.close();
    }
    await page.close();
  });

  it('stops the endpoint with the workers on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr).toMatch(/"msg":"stopped"/);
    // nothing listens any more
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
