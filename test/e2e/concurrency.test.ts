// Two dedupe worker processes (`feedsift start --roles dedupe --no-schedule`, as the compose
// worker service runs, on real Redis) receive the five seed copies at once, round after round:
// every round must come out as one story and four duplicate notices, whoever decided what.
// Each round starts from an empty dedupe index (its keys are deleted between rounds; the workers
// keep no index state of their own): twenty earlier stories with the same words would otherwise
// have taught the index that those words are common, which is a different test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleanArticle, DuplicateRecord, OutputRecord, StoryRecord } from '../../pipeline/records.ts';
import { urlId } from '../../pipeline/url.ts';
import { seedDocs } from '../../scripts/lib/dedupe-eval.ts';
import { CLI } from '../helpers/cli.ts';
import { REPO_ROOT } from '../helpers/eval.ts';
import { deleteKeys } from '../../workers/cleanup.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

const ROUNDS = 20;
const BASE_TIME = Date.parse('2025-08-27T08:00:00Z');

/** The five seed copies of one round: fresh URLs (so fresh ids), published over two hours. */
function roundArticles(round: number): CleanArticle[] {
  return seedDocs().map((d, i) => {
    const url = `https://seed-outlet-${i}.example/round-${round}/${d.key.replace(/\.txt$/, '')}`;
    const at = new Date(BASE_TIME + i * 30 * 60_000).toISOString();
    return {
      id: urlId(url),
      url,
      canonicalUrl: url,
      guid: url,
      feedId: `outlet-${i}`,
      feedUrl: `https://seed-outlet-${i}.example/feed.xml`,
      source: `seed-outlet-${i}.example`,
      title: d.title,
      byline: null,
      publishedAt: at,
      fetchedAt: at,
      language: 'en',
      languageConfidence: 1,
      text: d.text,
      wordCount: d.text.split(/\s+/).length,
      removed: [],
      siteName: null,
      leadImage: null,
      extractedFrom: 'page',
    };
  });
}

interface Worker {
  child: ChildProcess;
  stderr: string;
  exit: Promise<number | null>;
}

function startWorker(env: Record<string, string>): Worker {
  const fullEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) fullEnv[k] = v;
  const child = spawn(process.execPath, [CLI, 'start', '--roles', 'dedupe', '--no-schedule'], { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const w: Worker = { child, stderr: '', exit: new Promise((resolve) => child.on('close', resolve)) };
  child.stderr!.on('data', (d: Buffer) => (w.stderr += d.toString()));
  return w;
}

describe('two dedupe worker processes, the seeds delivered at once', () => {
  const redis = newRedis();
  const prefix = uniquePrefix('fstest-conc');
  const workers: Worker[] = [];
  let dedupe: Queue;
  let events: QueueEvents;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-conc-'));
    const feedsFile = path.join(dir, 'feeds.yaml');
    writeFileSync(feedsFile, 'feeds: []\n');
    const env = { REDIS_URL: testRedisUrl(), FEEDSIFT_PREFIX: prefix, FEEDSIFT_FEEDS_FILE: feedsFile, FEEDSIFT_LOG_LEVEL: 'info' };
    workers.push(startWorker(env), startWorker(env));
    dedupe = new Queue('dedupe', { connection: redis, prefix });
    events = new QueueEvents('dedupe', { connection: newRedis(), prefix });
    await events.waitUntilReady();
    // both workers connected before the first delivery, so the first round is contested too
    const deadline = Date.now() + 60_000;
    while ((await dedupe.getWorkersCount()) < 2) {
      if (Date.now() > deadline) throw new Error(`workers did not connect:\n${workers.map((w) => w.stderr).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await events?.close();
    await dedupe?.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it(`makes one story and four duplicates in each of ${ROUNDS} rounds`, async () => {
    const outputs = { stories: new Queue('stories', { connection: redis, prefix }), duplicates: new Queue('duplicates', { connection: redis, prefix }) };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        expect(await deleteKeys(redis, `${prefix}:{dedupe}:*`) > 0).toBe(round > 0);
        const articles = roundArticles(round);
        const jobs = await dedupe.addBulk(articles.map((article) => ({ name: 'dedupe', data: { article }, opts: { jobId: `dd-${article.id}`, attempts: 3 } })));
        const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 60_000)));
        expect(results, `round ${round}`).toHaveLength(5);
      }
      const records = [
        ...(await outputs.stories.getJobs(['waiting'])).map((j) => j.data as OutputRecord),
        ...(await outputs.duplicates.getJobs(['waiting'])).map((j) => j.data as OutputRecord),
      ];
      expect(records).toHaveLength(ROUNDS * 5);
      for (let round = 0; round < ROUNDS; round++) {
        const ids = new Set(roundArticles(round).map((a) => a.id));
        const mine = records.filter((r) => ids.has(r.id));
        const stories = mine.filter((r): r is StoryRecord => r.kind === 'story');
        const dups = mine.filter((r): r is DuplicateRecord => r.kind === 'duplicate');
        expect(stories, `round ${round}`).toHaveLength(1);
        expect(dups, `round ${round}`).toHaveLength(4);
        const storyId = stories[0]!.storyId;
        for (const d of dups) {
          expect(d.storyId, `round ${round}`).toBe(storyId);
          expect(ids.has(d.evidence.matchedArticleId), `round ${round}`).toBe(true);
        }
        // each decision saw the story one member larger than the one before
        expect(mine.map((r) => r.story.memberCount).sort()).toEqual([1, 2, 3, 4, 5]);
      }
      // both processes took decisions: the rounds really were contested
      for (const w of workers) expect(w.stderr).toMatch(/"msg":"(story|duplicate notice) published"/);
    } finally {
      await outputs.stories.close();
      await outputs.duplicates.close();
    }
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0]);
  }, 240_000);
});
