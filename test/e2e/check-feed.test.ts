// `feedsift check-feed` as an operator runs it: a child process, on files and on URLs of the
// loopback fixture server (its `.test` hosts mapped to 127.0.0.1 by FEEDSIFT_HOST_OVERRIDES).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import { feedsift } from '../helpers/cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-check-feed-'));
function file(name: string, text: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const RSS = `<?xml version="1.0" encoding="windows-1252"?>
<rss version="2.0"><channel><title>Caf\xe9 news</title><link>https://cafe.example/</link>
<item><title>First &eacute;dition</title><link>https://cafe.example/1</link><pubDate>Mon, 06 Sep 2010 00:01:00 GMT</pubDate></item>
<item><title>Second</title><link>/2</link></item>
</channel></rss>`;
const JSON_FEED = JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 'JSON things', items: [{ id: 'a', url: 'https://json.example/a', title: 'A' }] });

const rssFile = file('cafe.rss', Buffer.from(RSS, 'latin1'));
const jsonFile = file('feed.json', JSON_FEED);
const htmlFile = file('page.rss', '<!DOCTYPE html><html><head><title>Moved</title></head><body>gone</body></html>');
const garbageFile = file('garbage.xml', '<rss><channel><title>x</ti');
const emptyFile = file('empty.xml', '');

interface Line {
  input: string;
  ok: boolean;
  format: string | null;
  title: string | null;
  items: number;
  error?: { code: string; message: string };
}
const lines = (stdout: string): Line[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('feedsift check-feed on files', () => {
  it('--json: one line per input in order, with format, title and item count; exit 0 when all are feeds', async () => {
    const run = await feedsift(['check-feed', '--json', rssFile, jsonFile]);
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual([
      // the relative link of item 2 resolves against the file's URL, which is not http(s): skipped
      { input: rssFile, ok: true, format: 'rss', title: 'Café news', items: 1 },
      { input: jsonFile, ok: true, format: 'json', title: 'JSON things', items: 1 },
    ]);
  });

  it.each([
    ['an HTML page', htmlFile, 'NOT_A_FEED'],
    ['an empty file', emptyFile, 'FEED_UNPARSEABLE'],
    ['a missing file', path.join(dir, 'missing.xml'), 'BAD_URL'],
    ['an ftp URL', 'ftp://127.0.0.1/feed.xml', 'UNSUPPORTED_PROTOCOL'],
  ])('--json: %s is an error line with its code, and the exit code is 1', async (_label, input, code) => {
    const run = await feedsift(['check-feed', '--json', rssFile, input]);
    expect(run.code).toBe(1);
    const [good, bad] = lines(run.stdout);
    expect(good).toMatchObject({ ok: true, format: 'rss' });
    expect(bad).toEqual({ input, ok: false, format: null, title: null, items: 0, error: { code, message: expect.any(String) } });
  });

  it('a broken document that can be recovered is ok, with its warning', async () => {
    const run = await feedsift(['check-feed', '--json', garbageFile]);
    const [line] = lines(run.stdout) as [Line & { warnings?: string[] }];
    expect(line).toMatchObject({ ok: true, format: 'rss', title: 'x', items: 0, warnings: [expect.stringMatching(/not well-formed XML/)] });
    expect(run.code).toBe(0);
  });

  it('human output: format, charset, title, item count, the first items, or the error with its code', async () => {
    const run = await feedsift(['check-feed', rssFile, htmlFile]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`✓ ${rssFile}`);
    expect(run.stdout).toMatch(/^ {2}format: +rss/m);
    expect(run.stdout).toMatch(/^ {2}charset: +windows-1252$/m);
    expect(run.stdout).toMatch(/^ {2}title: +Café news$/m);
    expect(run.stdout).toMatch(/^ {2}items: +1$/m);
    expect(run.stdout).toContain('- First édition [2010-09-06T00:01:00.000Z]');
    expect(run.stdout).toContain('https://cafe.example/1');
    expect(run.stdout).toContain(`✗ ${htmlFile}`);
    expect(run.stdout).toMatch(/^ {2}error NOT_A_FEED: parse-feed: /m);
  });
});

describe('feedsift check-feed on URLs (loopback fixture server)', () => {
  let server: FixtureServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startFixtureServer();
    const hosts = Object.keys(server.hosts);
    env = {
      FEEDSIFT_HOST_OVERRIDES: Object.entries(server.hosts).map(([h, ip]) => `${h}=${ip}`).join(','),
      // The outbound guard (issue 5 point 1) reads an allowlist; harmless where it does not exist yet.
      FEEDSIFT_ALLOW_HOSTS: [...hosts, '127.0.0.1'].join(','),
    };
  });
  afterAll(() => server?.close());

  it('fetches each feed with the configured client and reports what the poll stage would see', async () => {
    const urls = server.feeds.map((f) => f.url);
    const run = await feedsift(['check-feed', '--json', ...urls], env);
    expect(run.code, run.stderr).toBe(0);
    const got = lines(run.stdout);
    expect(got.map((l) => l.input)).toEqual(urls);
    for (const l of got) expect(l).toMatchObject({ ok: true, format: expect.stringMatching(/^(rss|rdf|atom|json)$/), title: expect.any(String) });
    expect(got.every((l) => l.items > 0)).toBe(true);
    expect(new Set(got.map((l) => l.format))).toEqual(new Set(['rss', 'rdf', 'atom', 'json']));
    // it went through the fixture server, with the feed Accept header
    for (const u of urls) expect(server.requests.some((r) => r.host === new URL(u).hostname && r.path === new URL(u).pathname && /rss\+xml/.test(String(r.headers.accept)))).toBe(true);
  });

  it('classifies the broken fixture feeds: 500, truncated, a maintenance page', async () => {
    const byId = new Map(server.brokenFeeds.map((f) => [f.id, f.url]));
    const inputs = ['broken-500', 'broken-malformed', 'broken-not-a-feed'].map((id) => byId.get(id)!);
    const run = await feedsift(['check-feed', '--json', ...inputs], env);
    expect(run.code).toBe(1);
    const [e500, truncated, maintenance] = lines(run.stdout);
    expect(e500).toMatchObject({ ok: false, error: { code: 'HTTP_RETRYABLE_STATUS' } });
    expect(truncated).toMatchObject({ ok: true, format: 'rss', title: 'Brokenwire', warnings: [expect.stringMatching(/recovered leniently/)] });
    expect(maintenance).toMatchObject({ ok: false, error: { code: 'NOT_A_FEED' } });
  });
});
