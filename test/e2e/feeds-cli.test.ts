// `feedsift feeds add|list|remove|import|export` on a temporary feeds file, as an operator runs them.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.ts';
import { parseOpml } from '../../config/opml.ts';
import type { ListedFeed } from '../../workers/cli/feeds.ts';
import { feedsift } from '../helpers/cli.ts';

const FEEDS_YAML = `# Our feeds. This comment must survive every edit.
defaults:
  pollInterval: 15m   # the default for all
import:
  - subscriptions.opml
feeds:
  # the world desk
  - url: https://news.example/world/rss
    name: Example World
    language: en
  - url: https://zeitung.example/feed
    id: zeitung
    pollInterval: 2h
    language: de
`;

const SUBSCRIPTIONS = `<?xml version="1.0"?>
<opml version="2.0"><head><title>reader export</title></head><body>
  <outline text="Tech"><outline type="rss" text="Gadgets Daily" xmlUrl="https://gadgets.example/rss"/></outline>
</body></opml>`;

let dir: string;
let file: string;
const env = (): Record<string, string> => ({ FEEDSIFT_FEEDS_FILE: file });
const listJson = async (feedsFile = file): Promise<ListedFeed[]> => {
  const r = await feedsift(['feeds', 'list', '--json'], { FEEDSIFT_FEEDS_FILE: feedsFile });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ListedFeed);
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'feedsift-feeds-'));
  file = path.join(dir, 'feeds.yaml');
  writeFileSync(file, FEEDS_YAML);
  writeFileSync(path.join(dir, 'subscriptions.opml'), SUBSCRIPTIONS);
});

describe('feedsift feeds list', () => {
  it('lists the file\'s feeds and the imported ones, with where each is configured', async () => {
    const feeds = await listJson();
    expect(feeds.map((f) => [f.url, f.from])).toEqual([
      ['https://news.example/world/rss', 'feeds.0'],
      ['https://zeitung.example/feed', 'feeds.1'],
      ['https://gadgets.example/rss', `import:${path.join(dir, 'subscriptions.opml')}`],
    ]);
    expect(feeds[1]).toMatchObject({ id: 'zeitung', pollIntervalSeconds: 7200, languageHint: 'de' });
    const human = await feedsift(['feeds', 'list'], env());
    expect(human.stdout).toMatch(/^id +every +lang +name +url +from$/m);
    expect(human.stdout).toMatch(/^zeitung +2h +de +- +https:\/\/zeitung\.example\/feed +feeds\.1$/m);
    expect(human.stdout).toMatch(/Gadgets Daily +https:\/\/gadgets\.example\/rss +import subscriptions\.opml$/m);
  });

  it('reports the problems of a broken file (exit 1)', async () => {
    writeFileSync(file, 'feeds:\n  - url: ftp://old.example/feed\n');
    const r = await feedsift(['feeds', 'list'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('feeds.0.url');
  });
});

describe('feedsift feeds add', () => {
  it('appends the feed with its options, keeping the file\'s comments, and the result loads', async () => {
    const r = await feedsift(['feeds', 'add', 'https://radio.example/news.xml', '--name', 'Radio: News', '--language-hint', 'pt-BR', '--poll-interval', '10m'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^added "radio\.example-[0-9a-f]{8}": https:\/\/radio\.example\/news\.xml \(every 10m, language pt\)/);
    const text = readFileSync(file, 'utf8');
    // comments stay where they were (the yaml package writes one space before an end-of-line comment)
    expect(text.replace('15m # the', '15m   # the').startsWith(FEEDS_YAML)).toBe(true);
    expect(text).toMatch(/  - url: https:\/\/radio\.example\/news\.xml\n    name: "Radio: News"\n    pollInterval: 10m\n    language: pt-BR\n$/);
    const config = loadConfig({ env: env() });
    expect(config.feeds.find((f) => f.url === 'https://radio.example/news.xml')).toMatchObject({ name: 'Radio: News', pollIntervalSeconds: 600, languageHint: 'pt' });
    expect((await listJson()).map((f) => f.from)).toEqual(['feeds.0', 'feeds.1', 'feeds.2', expect.stringMatching(/^import:/)]);
  });

  it('takes --file instead of FEEDSIFT_FEEDS_FILE, and creates a missing file', async () => {
    const fresh = path.join(dir, 'new.yaml');
    const r = await feedsift(['feeds', 'add', 'https://a.example/rss', '--id', 'a', '--file', fresh], { FEEDSIFT_FEEDS_FILE: file });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(fresh, 'utf8')).toMatch(/^# feedsift's feeds/);
    expect(loadConfig({ env: { FEEDSIFT_FEEDS_FILE: fresh } }).feeds).toEqual([{ id: 'a', url: 'https://a.example/rss', pollIntervalSeconds: 900 }]);
    expect(readFileSync(file, 'utf8')).toBe(FEEDS_YAML);
  });

  it.each([
    ['a URL already configured (tracking parameters aside)', ['https://news.example/world/rss?utm_source=x'], /already configured as "news\.example-[0-9a-f]{8}" \(.*feeds\.yaml › feeds\.0\)/],
    ['a URL configured through an OPML import', ['https://gadgets.example/rss'], /already configured as ".*" \(imported from .*subscriptions\.opml\)/],
    ['an id already taken', ['https://other.example/rss', '--id', 'zeitung'], /the id "zeitung" is taken by https:\/\/zeitung\.example\/feed/],
    ['a URL that is not http(s)', ['ftp://files.example/feed'], /url: must be an absolute http\(s\) URL/],
    ['a relative URL', ['/feed.xml'], /url: must be an absolute http\(s\) URL/],
    ['a bad language tag', ['https://b.example/rss', '--language-hint', 'english!'], /language: must be a BCP-47 language tag/],
    ['a bad poll interval', ['https://b.example/rss', '--poll-interval', '5s'], /pollInterval: 5s is outside 30s/],
    ['a bad id', ['https://b.example/rss', '--id', 'no spaces'], /id: letters, digits/],
  ])('refuses %s with a clear message and leaves the file alone', async (_what, args, message) => {
    const r = await feedsift(['feeds', 'add', ...args], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(readFileSync(file, 'utf8')).toBe(FEEDS_YAML);
  });
});

describe('feedsift feeds remove', () => {
  it('removes by id and by URL, keeping the comments', async () => {
    const byId = await feedsift(['feeds', 'remove', 'zeitung'], env());
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.stdout).toContain('removed "zeitung": https://zeitung.example/feed');
    const byUrl = await feedsift(['feeds', 'remove', 'https://news.example/world/rss'], env());
    expect(byUrl.code, byUrl.stderr).toBe(0);
    expect((await listJson()).map((f) => f.url)).toEqual(['https://gadgets.example/rss']);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# Our feeds. This comment must survive every edit.');
    expect(text).toContain('pollInterval: 15m # the default for all');
  });

  it('says where an imported feed comes from instead of removing it, and names an unknown one', async () => {
    const imported = await feedsift(['feeds', 'remove', 'https://gadgets.example/rss'], env());
    expect(imported.code).toBe(1);
    expect(imported.stderr).toMatch(/is imported from .*subscriptions\.opml/);
    const unknown = await feedsift(['feeds', 'remove', 'nothing-here'], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no feed "nothing-here"');
    expect(readFileSync(file, 'utf8')).toBe(FEEDS_YAML);
  });

  it('mends a file with a bad entry by removing it', async () => {
    writeFileSync(file, 'feeds:\n  - url: https://ok.example/rss\n  - url: https://bad.example/rss\n    pollInterval: sometimes\n');
    const r = await feedsift(['feeds', 'remove', 'https://bad.example/rss'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(loadConfig({ env: env() }).feeds.map((f) => f.url)).toEqual(['https://ok.example/rss']);
  });
});

describe('feedsift feeds export and import', () => {
  it('round-trips: what export writes, import reads back into the same feeds', async () => {
    const opmlFile = path.join(dir, 'out.opml');
    const exported = await feedsift(['feeds', 'export', opmlFile], env());
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain('wrote 3 feed(s)');
    const opml = readFileSync(opmlFile, 'utf8');
    expect(parseOpml(opml).map((f) => f.url)).toEqual(['https://news.example/world/rss', 'https://zeitung.example/feed', 'https://gadgets.example/rss']);
    // stdout when no file is given: the same document but for its date
    const toStdout = await feedsift(['feeds', 'export'], env());
    const undated = (s: string): string => s.replace(/<dateCreated>[^<]*<\/dateCreated>/, '');
    expect(undated(toStdout.stdout)).toBe(undated(opml));

    const copy = path.join(dir, 'copy.yaml');
    const imported = await feedsift(['feeds', 'import', opmlFile], { FEEDSIFT_FEEDS_FILE: copy });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('3 feed(s) added');
    const strip = (feeds: ListedFeed[]): unknown[] => feeds.map(({ from: _from, ...f }) => f);
    expect(strip(await listJson(copy))).toEqual(strip(await listJson()));
    expect(readFileSync(copy, 'utf8')).toContain('id: zeitung');
    expect(readFileSync(copy, 'utf8')).toContain('pollInterval: 2h');

    // again: nothing new, each feed named as skipped, the file untouched
    const before = readFileSync(copy, 'utf8');
    const again = await feedsift(['feeds', 'import', opmlFile], { FEEDSIFT_FEEDS_FILE: copy });
    expect(again.code).toBe(0);
    expect(again.stderr.match(/^skipped /gm)).toHaveLength(3);
    expect(again.stderr).toContain('0 feed(s) added');
    expect(readFileSync(copy, 'utf8')).toBe(before);
  });

  it('imports a feed reader\'s export, skipping what is configured and dropping values the file would refuse', async () => {
    const reader = path.join(dir, 'reader.opml');
    writeFileSync(reader, `<?xml version="1.0"?><opml version="1.0"><head/><body>
      <outline text="News"><outline type="rss" text="World" xmlUrl="https://news.example/world/rss?utm_medium=rss"/>
      <outline type="rss" title="Le Monde" text="lm" xmlUrl="https://lemonde.example/rss" language="french"/></outline>
      <outline type="rss" text="https://plain.example/feed" xmlUrl="https://plain.example/feed" language="nl-BE"/>
    </body></opml>`);
    const r = await feedsift(['feeds', 'import', reader], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^skipped https:\/\/news\.example\/world\/rss\?utm_medium=rss: already configured as "news\.example-/m);
    expect(r.stderr).toMatch(/^https:\/\/lemonde\.example\/rss: language "french" ignored/m);
    const feeds = await listJson();
    expect(feeds.find((f) => f.url === 'https://lemonde.example/rss')).toEqual(expect.objectContaining({ name: 'Le Monde', pollIntervalSeconds: 900 }));
    expect(feeds.find((f) => f.url === 'https://lemonde.example/rss')!.languageHint).toBeUndefined();
    // an outline whose text is its URL has no name
    expect(feeds.find((f) => f.url === 'https://plain.example/feed')).toEqual(expect.objectContaining({ languageHint: 'nl' }));
    expect(feeds.find((f) => f.url === 'https://plain.example/feed')!.name).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toContain('# Our feeds. This comment must survive every edit.');
  });

  it('refuses a file that is not OPML and writes nothing', async () => {
    const bad = path.join(dir, 'bad.opml');
    writeFileSync(bad, '<rss version="2.0"><channel/></rss>');
    const target = path.join(dir, 'never.yaml');
    const r = await feedsift(['feeds', 'import', bad], { FEEDSIFT_FEEDS_FILE: target });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot import .*bad\.opml: .*OPML: the document has no <opml> root element/);
    expect(existsSync(target)).toBe(false);
  });
});
