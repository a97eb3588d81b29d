// The article filter (pipeline/filter.ts) and its configuration: languages by primary subtag,
// Unicode keyword patterns, per-feed minimum words, and bad patterns refused at load.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadConfig, readFeedsFile, type ConfigProblem } from '../../config/load.ts';
import { feedsFileSchema } from '../../config/schema.ts';
import { isFeedsiftError } from '../../pipeline/errors.ts';
import {
  combineFilters,
  compileKeyword,
  filterArticle,
  filterResolver,
  keywordProblem,
  primaryLanguage,
  type FeedFilters,
  type FilterInput,
  type FilterLists,
  type FilterVerdict,
} from '../../pipeline/filter.ts';
import { articleJobSchema, parseJob } from '../../workers/jobs.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

const article = (over: Partial<FilterInput> = {}): FilterInput => ({ language: 'en', title: 'A title', text: 'Some text.', wordCount: 100, ...over });

/** The verdict for an article under the global lists (minimum 25 words) and a feed's own filters. */
function verdict(a: Partial<FilterInput>, global: FilterLists, feed?: FeedFilters): FilterVerdict {
  return filterArticle(article(a), combineFilters(global, 25, feed));
}
const reasonOf = (v: FilterVerdict): string => (v.keep ? 'keep' : v.reason);

describe('languages', () => {
  it.each([
    // [article language, allow, deny, expected]
    ['en', ['en'], [], 'keep'],
    ['en', ['en-GB'], [], 'keep'],
    ['en-US', ['en'], [], 'keep'],
    ['EN', ['en'], [], 'keep'],
    ['de', ['en', 'fr'], [], 'language'],
    ['pt', [], ['pt-BR'], 'language'],
    ['pt-PT', [], ['pt-BR'], 'language'],
    ['ru', ['en', 'ru'], ['ru'], 'language'],
    ['en', ['en', 'ru'], ['ru'], 'keep'],
    ['zh', [], [], 'keep'],
    // undetermined: passes an allow list only when the list has 'und'
    ['und', [], [], 'keep'],
    ['und', ['en'], [], 'language'],
    ['und', ['en', 'und'], [], 'keep'],
    ['und', [], ['und'], 'language'],
    ['und', [], ['ru'], 'keep'],
  ] as const)('%s with allow %j, deny %j → %s', (language, allow, deny, expected) => {
    expect(reasonOf(verdict({ language }, { languages: { allow: [...allow], deny: [...deny] } }))).toBe(expected);
  });

  it('says which language and which list', () => {
    expect(verdict({ language: 'de' }, { languages: { allow: ['en', 'fr'] } })).toEqual({
      keep: false,
      reason: 'language',
      detail: 'language "de" is not allowed (allow: en, fr)',
    });
    expect(verdict({ language: 'ru' }, { languages: { allow: ['ru'], deny: ['ru', 'be'] } })).toMatchObject({ detail: 'language "ru" is denied (deny: ru, be)' });
    expect(verdict({ language: 'und' }, { languages: { allow: ['en'] } })).toMatchObject({ detail: 'language undetermined ("und") is not allowed (allow: en)' });
  });

  it.each([
    ['en', 'en'],
    ['pt-BR', 'pt'],
    ['zh-Hant-TW', 'zh'],
    ['EN_gb', 'en'],
    [' de ', 'de'],
  ])('primary subtag of %j is %j', (tag, primary) => {
    expect(primaryLanguage(tag)).toBe(primary);
  });
});

describe('keywords', () => {
  it.each([
    // [pattern, title, text, matches]
    ['ukraine', 'UKRAINE talks resume', '', true],
    ['ukraine', 'Talks resume', 'Officials from Ukraine met in Geneva.', true],
    ['\\bukraine\\b', 'Ukrainerin', '', false],
    // German: case folding of umlauts and ß, word boundaries around non-ASCII letters
    ['\\bübersicht\\b', 'Die ÜBERSICHT der Woche', '', true],
    ['\\bübersicht\\b', 'Übersichtskarte', '', false],
    ['\\bgrün\\b', 'Die Grünen gewinnen', '', false],
    ['\\bgrün(en)?\\b', 'Die GRÜNEN gewinnen', '', true],
    ['straße', 'Sperrung der Hauptstraße', '', true],
    // a word ending in a non-ASCII letter: JavaScript's own \b would also match inside "Cafés"
    ['\\bcafé\\b', 'Ein CAFÉ am Platz', '', true],
    ['\\bcafé\\b', 'Pariser Cafés', '', false],
    // Cyrillic: \b is a Unicode word boundary (JavaScript's own \b would never match here)
    ['\\bмир\\b', 'Мир и война', '', true],
    ['\\bмир\\b', 'Мировой рынок нефти', '', false],
    ['\\bКИЕВ\\b', '', 'В Киеве прошла встреча, а затем в киев прибыли делегации.', true],
    ['(?<!\\p{L})москв[аеуы](?!\\p{L})', '', 'Делегация прибыла в Москву утром.', true],
    // Greek final sigma and case
    ['\\bαθήνα\\b', 'ΑΘΉΝΑ: νέα μέτρα', '', true],
    // CJK: no spaces between words, so no \b; a plain pattern finds the word inside a sentence
    ['北京', '', '新华社北京8月27日电 外交部发言人表示。', true],
    ['\\b北京\\b', '', '新华社北京8月27日电', false],
    ['東京', '東京都は新たな計画を発表した', '', true],
    ['서울', '', '서울시는 오늘 새로운 계획을 발표했다.', true],
    // astral characters count as one character under the u flag
    ['^.{3}$', '😀🚀✨', '', true],
    // literal form: flags as written (u always on)
    ['/NASA/', 'Nasa budget', '', false],
    ['/NASA/', 'NASA budget', '', true],
    ['/nasa/i', 'Nasa budget', '', true],
    ['/^live:/im', 'Markets', 'First line\nLIVE: updates', true],
    ['/^live:/i', 'Markets', 'First line\nLIVE: updates', false],
    // \b inside a character class stays a backspace; an escaped backslash before b stays literal
    ['a[\\b]c', 'a\bc', '', true],
    ['x\\\\by', 'x\\by', '', true],
    ['\\Bport\\B', 'airports', 'transportation', true],
    ['\\Bport\\B', 'port', 'ports', false],
  ] as const)('%j on title %j / text %j → %s', (pattern, title, text, matches) => {
    expect(reasonOf(verdict({ title, text }, { keywords: { exclude: [pattern] } }))).toBe(matches ? 'keyword-exclude' : 'keep');
    expect(reasonOf(verdict({ title, text }, { keywords: { include: [pattern] } }))).toBe(matches ? 'keep' : 'keyword-include');
  });

  it('says which pattern matched what, and where', () => {
    expect(verdict({ title: 'Your weekly Horoscope', text: 'Stars.' }, { keywords: { exclude: ['sport', 'horoscope'] } })).toEqual({
      keep: false,
      reason: 'keyword-exclude',
      detail: 'exclude pattern "horoscope" matched "Horoscope" in the title',
    });
    expect(verdict({ title: 'Markets', text: 'Sponsored content' }, { keywords: { exclude: ['\\bsponsored\\b'] } })).toMatchObject({
      detail: 'exclude pattern "\\bsponsored\\b" matched "Sponsored" in the text',
    });
    expect(verdict({ title: 'Markets', text: 'Rates' }, { keywords: { include: ['ukraine', 'kyiv'] } })).toEqual({
      keep: false,
      reason: 'keyword-include',
      detail: 'no include pattern matched the title or the text (include: "ukraine", "kyiv")',
    });
  });

  it('needs one include pattern to match, and an exclusion wins over an inclusion', () => {
    const lists = { keywords: { include: ['ukraine', 'kyiv'], exclude: ['opinion'] } };
    expect(reasonOf(verdict({ title: 'Kyiv reopens schools' }, lists))).toBe('keep');
    expect(reasonOf(verdict({ title: 'Opinion: Kyiv reopens schools' }, lists))).toBe('keyword-exclude');
    expect(reasonOf(verdict({ title: 'Schools reopen' }, lists))).toBe('keyword-include');
  });

  it('refuses patterns that cannot be used', () => {
    expect(keywordProblem('[unclosed')).toMatch(/^invalid regular expression "\[unclosed": /);
    expect(keywordProblem('(?<name')).toMatch(/invalid regular expression/);
    // valid without the u flag, not with it: patterns are always Unicode
    expect(keywordProblem('\\-')).toMatch(/invalid regular expression/);
    expect(keywordProblem('/news/g')).toMatch(/flag\(s\) "g" not allowed/);
    expect(keywordProblem('/news/ii')).toMatch(/flag\(s\) "i" not allowed/);
    expect(keywordProblem('/news/I')).toMatch(/flag\(s\) "I" not allowed/);
    expect(keywordProblem('//i')).toMatch(/empty pattern/);
    expect(keywordProblem('')).toMatch(/empty pattern/);
    expect(keywordProblem('\\bok\\b')).toBeUndefined();
    expect(() => compileKeyword('(')).toThrow(SyntaxError);
    expect(compileKeyword('/x/s').flags).toBe('su');
    expect(compileKeyword('x').flags).toBe('iu');
  });
});

describe('minimum words', () => {
  it.each([
    // [words, feed minWords, expected] — the global minimum is 25
    [24, undefined, 'min-words'],
    [25, undefined, 'keep'],
    [80, 100, 'min-words'],
    [100, 100, 'keep'],
    [3, 0, 'keep'],
  ] as const)('%d words with the feed minimum %s → %s', (wordCount, minWords, expected) => {
    expect(reasonOf(verdict({ wordCount }, {}, minWords === undefined ? {} : { minWords }))).toBe(expected);
  });

  it('is checked first, and says the numbers', () => {
    expect(verdict({ wordCount: 12, language: 'ru', title: 'horoscope' }, { languages: { deny: ['ru'] }, keywords: { exclude: ['horoscope'] } })).toEqual({
      keep: false,
      reason: 'min-words',
      detail: '12 words after cleaning (minimum 25)',
    });
  });
});

describe('global and feed filters combined', () => {
  const global: FilterLists = { languages: { allow: ['en'], deny: ['ru'] }, keywords: { exclude: ['sponsored'], include: ['news'] } };

  it('a feed extends the global lists', () => {
    const feed: FeedFilters = { languages: { allow: ['de'], deny: ['uk'] }, keywords: { exclude: ['horoscope'], include: ['nachrichten'] } };
    const f = combineFilters(global, 25, feed);
    expect([...f.languagesAllow]).toEqual(['en', 'de']);
    expect([...f.languagesDeny]).toEqual(['ru', 'uk']);
    expect(f.exclude.map((k) => k.pattern)).toEqual(['sponsored', 'horoscope']);
    expect(f.include.map((k) => k.pattern)).toEqual(['news', 'nachrichten']);
    expect(f.minWords).toBe(25);
    expect(reasonOf(filterArticle(article({ title: 'Sponsored news' }), f))).toBe('keyword-exclude');
    expect(reasonOf(filterArticle(article({ title: 'Horoscope news' }), f))).toBe('keyword-exclude');
    expect(reasonOf(filterArticle(article({ language: 'de', title: 'Nachrichten' }), f))).toBe('keep');
    expect(reasonOf(filterArticle(article({ language: 'uk', title: 'news' }), f))).toBe('language');
  });

  it('a global deny wins over a feed allow of the same language', () => {
    expect(reasonOf(verdict({ language: 'ru', title: 'news' }, global, { languages: { allow: ['ru'] } }))).toBe('language');
  });

  it('inherit: false leaves the global lists out, but not the global minimum', () => {
    const f = combineFilters(global, 40, { inherit: false, languages: { allow: ['ru'] } });
    expect([...f.languagesAllow]).toEqual(['ru']);
    expect(f.languagesDeny.size).toBe(0);
    expect(f.exclude).toEqual([]);
    expect(f.include).toEqual([]);
    expect(f.minWords).toBe(40);
    expect(reasonOf(filterArticle(article({ language: 'ru', title: 'Sponsored' }), f))).toBe('keep');
  });

  it('no filters keep everything long enough', () => {
    expect(verdict({ language: 'und', title: '', text: '' }, {})).toEqual({ keep: true });
  });

  it('compiles the filter of a feed once', () => {
    const resolve = filterResolver(global, 25);
    const a = resolve({ minWords: 50 });
    expect(resolve({ minWords: 50 })).toBe(a);
    expect(resolve({ minWords: 60 })).not.toBe(a);
    expect(resolve(undefined)).toBe(resolve({}));
  });
});

function tempFeedsFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'feedsift-filter-')), 'feeds.yaml');
  writeFileSync(file, text);
  return file;
}

function feedsFileProblems(yaml: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  readFeedsFile('feeds.yaml', yaml, problems);
  return problems;
}

function configProblems(fn: () => unknown): ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  const FEEDS = `feeds:
  - url: https://a.example/rss
    id: a-world
    filters:
      languages: { allow: [en, de-AT], deny: [und] }
      keywords:
        include: ['\\bukraine\\b', '/NATO/']
        exclude: ['(?<!\\p{L})реклама(?!\\p{L})']
      minWords: 80
      inherit: false
  - url: https://b.example/rss
`;

  it('reads a feed\'s filters block from the feeds file', () => {
    const problems: ConfigProblem[] = [];
    const feeds = readFeedsFile('feeds.yaml', FEEDS, problems);
    expect(problems).toEqual([]);
    expect(feeds[0]!.filters).toEqual({
      languages: { allow: ['en', 'de-AT'], deny: ['und'] },
      keywords: { include: ['\\bukraine\\b', '/NATO/'], exclude: ['(?<!\\p{L})реклама(?!\\p{L})'] },
      minWords: 80,
      inherit: false,
    });
    expect(feeds[1]!.filters).toBeUndefined();
  });

  it('refuses a bad pattern at load, naming the feed and the pattern', () => {
    const problems = feedsFileProblems(`feeds:
  - url: https://ok.example/rss
  - url: https://a.example/rss
    id: a-world
    filters: { keywords: { include: [fine], exclude: ['ok', '[unclosed'] } }
  - url: https://b.example/rss
    filters: { keywords: { include: ['/x/g'] } }
`);
    expect(problems.map((p) => p.path)).toEqual(['feeds.1.filters.keywords.exclude.1', 'feeds.2.filters.keywords.include.0']);
    expect(problems[0]!.reason).toMatch(/^feed "a-world": invalid regular expression "\[unclosed": /);
    expect(problems[1]!.reason).toMatch(/^feed "https:\/\/b\.example\/rss": pattern "\/x\/g": flag/);
  });

  it('refuses unknown keys, bad language tags and bad minimums in a filters block', () => {
    const problems = feedsFileProblems(`feeds:
  - url: https://a.example/rss
    filters: { languages: { allow: [english] }, keywords: { exlude: [x] }, minWords: -1 }
`);
    expect(problems.map((p) => p.path).sort()).toEqual(['feeds.0.filters.keywords', 'feeds.0.filters.languages.allow.0', 'feeds.0.filters.minWords']);
  });

  it('reads the global lists from the environment', () => {
    const file = tempFeedsFile('feeds: []\n');
    const { settings } = loadConfig({
      env: {
        FEEDSIFT_FEEDS_FILE: file,
        FEEDSIFT_LANGUAGES_ALLOW: 'en, de ,pt-BR',
        FEEDSIFT_LANGUAGES_DENY: 'und',
        FEEDSIFT_KEYWORDS_INCLUDE: '["\\\\bukraine\\\\b", "a{2,3}"]',
        FEEDSIFT_KEYWORDS_EXCLUDE: '["/NASA/"]',
      },
    });
    expect(settings.filters).toEqual({
      languages: { allow: ['en', 'de', 'pt-BR'], deny: ['und'] },
      keywords: { include: ['\\bukraine\\b', 'a{2,3}'], exclude: ['/NASA/'] },
    });
    expect(loadConfig({ env: { FEEDSIFT_FEEDS_FILE: file } }).settings.filters).toEqual({
      languages: { allow: [], deny: [] },
      keywords: { include: [], exclude: [] },
    });
  });

  it('refuses bad global lists, naming the variable and the pattern', () => {
    const file = tempFeedsFile('feeds: []\n');
    const problems = configProblems(() =>
      loadConfig({
        env: {
          FEEDSIFT_FEEDS_FILE: file,
          FEEDSIFT_LANGUAGES_ALLOW: 'en,english',
          FEEDSIFT_KEYWORDS_INCLUDE: 'horoscope',
          FEEDSIFT_KEYWORDS_EXCLUDE: '["ok", "(unclosed"]',
        },
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(['FEEDSIFT_KEYWORDS_EXCLUDE', 'FEEDSIFT_KEYWORDS_INCLUDE', 'FEEDSIFT_LANGUAGES_ALLOW']);
    const reason = (key: string): string => problems.find((p) => p.path === key)!.reason;
    expect(reason('FEEDSIFT_LANGUAGES_ALLOW')).toMatch(/"english" is not a BCP-47 language tag/);
    expect(reason('FEEDSIFT_KEYWORDS_INCLUDE')).toMatch(/JSON array/);
    expect(reason('FEEDSIFT_KEYWORDS_EXCLUDE')).toMatch(/^global filter: invalid regular expression "\(unclosed": /);
  });

  it('refuses a bad pattern in feeds given programmatically', () => {
    const problems = configProblems(() =>
      loadConfig({ env: {}, feeds: [{ id: 'prog', url: 'https://p.example/rss', pollIntervalSeconds: 300, filters: { keywords: { exclude: ['(x'] } } }] }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ source: 'feeds', path: 'prog.filters.keywords.exclude.0' });
    expect(problems[0]!.reason).toMatch(/^feed "prog": invalid regular expression "\(x"/);
  });

  it('an article job whose filter does not compile fails as INVALID_JOB', () => {
    const job = (exclude: string[]) => ({
      feed: { id: 'f', url: 'https://f.example/rss', filters: { keywords: { exclude } } },
      item: { guid: 'g', link: 'https://f.example/a' },
    });
    expect(parseJob(articleJobSchema, job(['ok']), 'article').feed.filters).toEqual({ keywords: { exclude: ['ok'] } });
    let caught: unknown;
    try {
      parseJob(articleJobSchema, job(['[']), 'article');
    } catch (err) {
      caught = err;
    }
    expect(isFeedsiftError(caught) && caught.code).toBe('INVALID_JOB');
    expect((caught as Error).message).toMatch(/feed\.filters\.keywords\.exclude\.0: invalid regular expression "\["/);
  });
});

describe('README › Feeds file', () => {
  it('its filters example is valid and means what the comments say', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Feeds file'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const parsed = feedsFileSchema.safeParse(parseYaml(example));
    expect(parsed.error?.issues ?? []).toEqual([]);
    const filters = parsed.data!.feeds[0]!.filters!;
    const f = combineFilters({}, 25, filters);
    expect(reasonOf(filterArticle(article({ title: 'Kyiv talks', wordCount: 79 }), f))).toBe('min-words');
    expect(reasonOf(filterArticle(article({ title: 'Kyiv talks', language: 'de-AT' }), f))).toBe('keep');
    expect(reasonOf(filterArticle(article({ title: 'Kyiv talks', language: 'und' }), f))).toBe('language');
    expect(reasonOf(filterArticle(article({ title: 'Kiev horoscope' }), f))).toBe('keyword-exclude');
    expect(reasonOf(filterArticle(article({ title: 'Sponsored: Kyiv' }), f))).toBe('keyword-exclude');
    expect(reasonOf(filterArticle(article({ title: 'Ukrainian markets' }), f))).toBe('keyword-include');
  });
});
