// The environment under which a `feedsift` child process works on the loopback fixture outlets:
// a feeds file listing the fixture feeds, their hostnames mapped to 127.0.0.1 and allowlisted,
// the test Redis and a prefix of the test's own.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FixtureServer } from '../../fixtures/server.ts';
import type { FeedConfig } from '../../pipeline/records.ts';
import { testRedisUrl } from './redis.ts';

/** A feeds file (in a fresh temporary folder) listing `feeds`, each polled every `pollInterval`. */
export function writeFeedsFile(feeds: readonly FeedConfig[], pollInterval = '1h'): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'feedsift-feeds-')), 'feeds.yaml');
  writeFileSync(file, `feeds:\n${feeds.map((f) => `  - url: ${f.url}\n    id: ${f.id}\n    name: ${JSON.stringify(f.name)}\n    pollInterval: ${pollInterval}\n`).join('')}`);
  return file;
}

/** This process's environment plus what reaches the fixture outlets; `extra` goes over it. */
export function fixtureEnv(server: FixtureServer, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return Object.assign(env, {
    REDIS_URL: testRedisUrl(),
    FEEDSIFT_PREFIX: prefix,
    FEEDSIFT_FEEDS_FILE: writeFeedsFile(server.feeds),
    FEEDSIFT_HOST_OVERRIDES: Object.entries(server.hosts).map(([h, ip]) => `${h}=${ip}`).join(','),
    FEEDSIFT_ALLOW_HOSTS: Object.keys(server.hosts).join(','),
    // one loopback server stands for every outlet: a short per-host delay keeps the test quick
    FEEDSIFT_HOST_DELAY_MS: '50',
    ...extra,
  });
}
