import { describe, expect, it } from 'vitest';
import { isAllowed, MAX_ROBOTS_BYTES, parseRobots, policyFor, productTokenOf, robotsPathOf, ruleMatches } from '../../pipeline/robots.ts';

const allowed = (robots: string, path: string, token = 'feedsift') => isAllowed(policyFor(parseRobots(robots), token), path);

describe('ruleMatches: * and $ wildcards (RFC 9309 §2.2.3)', () => {
  it.each([
    ['/fish', '/fish', true],
    ['/fish', '/fish.html', true],
    ['/fish', '/Fish.asp', false],
    ['/fish', '/catfish', false],
    ['/fish*', '/fishheads/yummy.html', true],
    ['/*.php', '/index.php', true],
    ['/*.php', '/folder/filename.php?parameters', true],
    ['/*.php', '/windows.PHP', false],
    ['/*.php$', '/filename.php', true],
    ['/*.php$', '/filename.php?parameters', false],
    ['/*.php$', '/filename.php5', false],
    ['/fish*.php', '/fishheads/catfish.php?parameters', true],
    ['/fish*.php', '/Fish.PHP', false],
    ['/a$', '/a', true],
    ['/a$', '/ab', false],
    ['/*a*b$', '/xaxb', true],
    ['/*a*b$', '/xabx', false],
    ['/ab*b$', '/ab', false], // the trailing part cannot reuse characters the prefix consumed
    ['/*', '/anything', true],
    ['/a*', '/b', false],
  ])('%s vs %s → %s', (pattern, path, want) => {
    expect(ruleMatches(pattern, path)).toBe(want);
  });
});

describe('isAllowed: groups, precedence, robustness', () => {
  const table: Array<[string, string, string, boolean]> = [
    ['no robots at all', '', '/x', true],
    ['disallow all for *', 'User-agent: *\nDisallow: /', '/x', false],
    ['empty Disallow allows everything', 'User-agent: *\nDisallow:', '/x', true],
    ['our group wins over *', 'User-agent: *\nDisallow: /\n\nUser-agent: feedsift\nDisallow: /private', '/news', true],
    ['our group applies', 'User-agent: *\nDisallow: /\n\nUser-agent: feedsift\nDisallow: /private', '/private/a', false],
    ['token matching is case-insensitive', 'User-agent: FeedSift\nDisallow: /x', '/x/1', false],
    ['token with version in the file', 'User-agent: FeedSift/2.0\nDisallow: /x', '/x/1', false],
    ['another crawler\'s group is not ours', 'User-agent: googlebot\nDisallow: /', '/x', true],
    ['consecutive user-agent lines share a group', 'User-agent: a\nUser-agent: feedsift\nDisallow: /g', '/g', false],
    ['groups naming us are merged', 'User-agent: feedsift\nDisallow: /a\n\nUser-agent: other\nDisallow: /\n\nUser-agent: feedsift\nDisallow: /b', '/b', false],
    ['longest match wins (allow longer)', 'User-agent: *\nDisallow: /a\nAllow: /a/b', '/a/b/c', true],
    ['longest match wins (disallow longer)', 'User-agent: *\nAllow: /a\nDisallow: /a/b', '/a/b/c', false],
    ['allow wins a tie', 'User-agent: *\nDisallow: /page\nAllow: /page', '/page', true],
    ['allow wins a tie, order reversed', 'User-agent: *\nAllow: /page\nDisallow: /page', '/page', true],
    ['$ anchors', 'User-agent: *\nDisallow: /*.pdf$', '/doc.pdf', false],
    ['$ anchors (query after)', 'User-agent: *\nDisallow: /*.pdf$', '/doc.pdf?x=1', true],
    ['query strings are matched', 'User-agent: *\nDisallow: /*?print=', '/a?print=1', false],
    ['robots.txt itself is always allowed', 'User-agent: *\nDisallow: /', '/robots.txt', true],
    ['BOM and CRLF', '\uFEFFUser-agent: *\r\nDisallow: /x\r\n', '/x', false],
    ['CR only', 'User-agent: *\rDisallow: /x\r', '/x', false],
    ['comments and unknown lines', '# hi\nUser-agent: * # all\nFoo: bar\nSitemap: https://x/s.xml\nDisallow: /x # no', '/x', false],
    ['spacing and key case', '  USER-AGENT :*\n  disallow :  /x  ', '/x', false],
    ['rules before any user-agent are ignored', 'Disallow: /\nUser-agent: *\nDisallow: /y', '/x', true],
    ['a malformed line does not end the group', 'User-agent: *\nthis is garbage\nDisallow: /x', '/x', false],
    ['non-ASCII paths compare percent-encoded', 'User-agent: *\nDisallow: /café', '/caf%C3%A9/1', false],
    ['percent escapes compare case-insensitively', 'User-agent: *\nDisallow: /a%2fb', '/a%2Fb', false],
  ];
  it.each(table)('%s', (_name, robots, path, want) => {
    expect(allowed(robots, path)).toBe(want);
  });

  it('parses only the first 500 KiB', () => {
    const filler = `# ${'x'.repeat(1000)}\n`.repeat(Math.ceil(MAX_ROBOTS_BYTES / 1003));
    const robots = `User-agent: *\nDisallow: /early\n${filler}Disallow: /late\n`;
    expect(Buffer.byteLength(robots)).toBeGreaterThan(MAX_ROBOTS_BYTES);
    expect(allowed(robots, '/early')).toBe(false);
    expect(allowed(robots, '/late')).toBe(true);
  });
});

describe('Crawl-delay per group', () => {
  it.each([
    ['User-agent: *\nCrawl-delay: 5', 5000],
    ['User-agent: *\nCrawl-delay: 0.5', 500],
    ['User-agent: *\nCrawl-delay: 5\n\nUser-agent: feedsift\nCrawl-delay: 2', 2000],
    ['User-agent: other\nCrawl-delay: 9', undefined],
    ['User-agent: *\nCrawl-delay: soon', undefined],
    ['User-agent: *\nCrawl-delay: 99999', 120_000],
  ])('%j → %s ms', (robots, want) => {
    expect(policyFor(parseRobots(robots), 'feedsift').crawlDelayMs).toBe(want);
  });
});

describe('our product token', () => {
  it.each([
    ['feedsift/0.1 (+https://github.com/feedsift/feedsift)', 'feedsift'],
    ['FeedSift', 'feedsift'],
  ])('%s → %s', (ua, want) => expect(productTokenOf(ua)).toBe(want));

  it('robotsPathOf keeps the query', () => {
    expect(robotsPathOf('http://a.test/x/y?z=1#frag')).toBe('/x/y?z=1');
  });
});
