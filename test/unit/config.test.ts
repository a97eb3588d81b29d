import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, readFeedsFile, type ConfigProblem } from '../../config/load.ts';
import { envOptions, parseDuration } from '../../config/schema.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

function problemsOf(fn: () => unknown): ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'feedsift-config-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    [90, 90],
    ['90s', 90],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86_400],
    ['1500ms', 1.5],
    [' 10 m ', 600],
  ] as const)('%s → %s seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });
  it.each(['', 'soon', '10 minutes', '-5m', '1w'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('feeds file', () => {
  it('applies defaults and derives stable ids', () => {
    const problems: ConfigProblem[] = [];
    const feeds = readFeedsFile('feeds.yaml', 'defaults: {pollInterval: 5m}\nfeeds:\n  - url: https://example.org/rss\n  - url: https://example.org/atom\n    name: Ex\n    pollInterval: 2h\n    language: pt-BR\n', problems);
    expect(problems).toEqual([]);
    expect(feeds).toHaveLength(2);
    expect(feeds[0]).toMatchObject({ url: 'https://example.org/rss', pollIntervalSeconds: 300 });
    expect(feeds[0]!.id).toMatch(/^example\.org-[0-9a-f]{8}$/);
    expect(feeds[1]).toMatchObject({ name: 'Ex', pollIntervalSeconds: 7200, languageHint: 'pt' });
    // the same URL always gets the same id
    expect(readFeedsFile('x', 'feeds: [{url: "https://example.org/rss"}]', [])[0]!.id).toBe(feeds[0]!.id);
  });

  it('reports every problem at once, with file, path and reason', () => {
    const problems: ConfigProblem[] = [];
    readFeedsFile(
      'bad.yaml',
      'feeds:\n  - url: ftp://example.org/feed\n  - name: no url\n  - url: https://ok.example/rss\n    pollInterval: often\n    language: "english please"\n    colour: red\n',
      problems,
    );
    const paths = problems.map((p) => p.path).sort();
    expect(paths).toEqual(['feeds.0.url', 'feeds.1.url', 'feeds.2', 'feeds.2.language', 'feeds.2.pollInterval'].sort());
    expect(problems.every((p) => p.source === 'bad.yaml' && p.reason.length > 0)).toBe(true);
    expect(problems.find((p) => p.path === 'feeds.2')!.reason).toMatch(/colour/);
  });

  it('reports YAML syntax errors with a line', () => {
    const problems: ConfigProblem[] = [];
    readFeedsFile('broken.yaml', 'feeds:\n  - url: [unclosed\n', problems);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.reason).toMatch(/not valid YAML/);
    expect(problems[0]!.path).toMatch(/^line \d+/);
  });

  it('rejects the same feed twice', () => {
    const problems: ConfigProblem[] = [];
    readFeedsFile('dup.yaml', 'feeds:\n  - url: https://a.example/rss\n  - url: https://a.example/rss\n', problems);
    expect(problems.map((p) => p.path)).toEqual(['feeds.1']);
  });

  it('imports feeds from OPML files next to it', () => {
    const opml = tempFile(
      'subs.opml',
      `<?xml version="1.0"?><opml version="2.0"><head><title>subs</title></head><body>
        <outline text="News"><outline type="rss" text="Example World" xmlUrl="https://example.org/world.xml"/>
          <outline text="Nested"><outline type="rss" title="Deep" xmlUrl="https://deep.example/feed"/></outline></outline>
      </body></opml>`,
    );
    const yamlFile = path.join(path.dirname(opml), 'feeds.yaml');
    const problems: ConfigProblem[] = [];
    const feeds = readFeedsFile(yamlFile, 'import: [subs.opml]\nfeeds: [{url: "https://a.example/rss"}]\n', problems);
    expect(problems).toEqual([]);
    expect(feeds.map((f) => f.url)).toEqual(['https://a.example/rss', 'https://example.org/world.xml', 'https://deep.example/feed']);
    expect(feeds[1]!.name).toBe('Example World');
  });

  it('reports a missing OPML file as a problem of the import entry', () => {
    const problems: ConfigProblem[] = [];
    readFeedsFile('/nonexistent/feeds.yaml', 'import: [gone.opml]\n', problems);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('import.0');
  });
});

describe('loadConfig', () => {
  it('reads the environment with defaults, then freezes', () => {
    const file = tempFile('feeds.yaml', 'feeds: [{url: "https://a.example/rss"}]\n');
    const config = loadConfig({ env: { FEEDSIFT_FEEDS_FILE: file, FEEDSIFT_POLL_CONCURRENCY: '8' } });
    expect(config.settings.pollConcurrency).toBe(8);
    expect(config.settings.prefix).toBe('feedsift');
    expect(config.settings.http.maxBytes).toBe(10 * 1024 * 1024);
    expect(config.settings.redisUrl).toBeUndefined();
    expect(config.feeds).toHaveLength(1);
    expect(Object.isFrozen(config.settings.http)).toBe(true);
    expect(() => {
      (config.settings as { prefix: string }).prefix = 'x';
    }).toThrow();
  });

  it('reports environment and file problems together', () => {
    const file = tempFile('feeds.yaml', 'feeds: [{url: "not a url"}]\n');
    const problems = problemsOf(() =>
      loadConfig({ env: { FEEDSIFT_FEEDS_FILE: file, FEEDSIFT_POLL_CONCURRENCY: 'many', REDIS_URL: 'nope', FEEDSIFT_LOG_LEVEL: 'loud' } }),
    );
    expect(problems.map((p) => `${p.source === 'env' ? 'env' : 'file'}:${p.path}`).sort()).toEqual(
      ['env:FEEDSIFT_LOG_LEVEL', 'env:FEEDSIFT_POLL_CONCURRENCY', 'env:REDIS_URL', 'file:feeds.0.url'].sort(),
    );
  });

  it('parses host overrides and rejects malformed pairs', () => {
    const file = tempFile('feeds.yaml', 'feeds: []\n');
    const config = loadConfig({ env: { FEEDSIFT_FEEDS_FILE: file, FEEDSIFT_HOST_OVERRIDES: 'a.test=127.0.0.1, B.test=[::1]' } });
    expect(config.settings.http.hostOverrides).toEqual({ 'a.test': '127.0.0.1', 'b.test': '::1' });
    const problems = problemsOf(() => loadConfig({ env: { FEEDSIFT_FEEDS_FILE: file, FEEDSIFT_HOST_OVERRIDES: 'a.test:127.0.0.1' } }));
    expect(problems.map((p) => p.path)).toEqual(['FEEDSIFT_HOST_OVERRIDES']);
  });

  it('says when the feeds file cannot be read', () => {
    const problems = problemsOf(() => loadConfig({ env: { FEEDSIFT_FEEDS_FILE: '/nonexistent/feeds.yaml' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.reason).toMatch(/ENOENT/);
  });

  it('validates the bundled config/feeds.yaml', () => {
    const config = loadConfig({ env: { FEEDSIFT_FEEDS_FILE: path.join(REPO_ROOT, 'config', 'feeds.yaml') } });
    expect(config.feeds.length).toBeGreaterThan(0);
  });
});

describe('README documents every environment option with its default', () => {
  it.each(Object.keys(envOptions))('%s', async (key) => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${key}\``));
    expect(row, `README.md has no table row for ${key}`).toBeDefined();
    const schema = envOptions[key as keyof typeof envOptions][0];
    const parsed = schema.safeParse(undefined);
    const dflt = parsed.success ? parsed.data : undefined;
    if (dflt !== null && typeof dflt === 'object') expect(Object.keys(dflt)).toEqual([]);
    if (dflt !== null && typeof dflt === 'object') expect(row).toContain('(none)');
    else if (dflt !== undefined) expect(row).toContain(`\`${String(dflt)}\``);
  });
});
