// The article filter: which clean articles are published at all. Pure functions, no Redis.
//
// Configured globally (environment) and per feed (the feeds file's `filters:` block); the
// effective filter of a feed is the global one combined with the feed's own:
// - lists (languages.allow, languages.deny, keywords.include, keywords.exclude) EXTEND the
//   global lists of the same name (a global ban applies to every feed);
// - minWords REPLACES the global minimum (FEEDSIFT_MIN_WORDS);
// - `inherit: false` ignores the global lists for this feed (the feed's own lists alone apply;
//   minWords still falls back to the global minimum).
// An absent or empty list is no list. Checks run in this order, the first that fails decides:
// min-words, language (deny before allow), keyword-exclude, keyword-include.
//
// Languages are compared on the primary subtag, case-insensitively ('en-GB' ~ 'en'). An
// article whose language is undetermined ('und') passes an allow list only if the list
// contains 'und' (an allow list promises that only those languages come out), and is
// filtered by a deny list containing 'und'.
//
// Keyword patterns are JavaScript regular expressions, always compiled with the `u` flag and
// matched against the title and the text (each on its own). Written plainly (`\bsport\b`)
// they are case-insensitive; written as a literal (`/NASA/`, `/nasa/i`, `/^live:/im`) they
// take the flags given (i, m, s; `u` is always added). `\b` and `\B` mean Unicode word
// boundaries — letters, marks, digits and connectors of every script are word characters —
// not JavaScript's ASCII-only ones, so `\bмосква\b` works in Russian text. Scripts written
// without spaces (Chinese, Japanese, Thai) have no word boundaries between words: match them
// without `\b`.

/** Why an article was kept from publication. */
export const FILTER_REASONS = ['min-words', 'language', 'keyword-exclude', 'keyword-include'] as const;
export type FilterReason = (typeof FILTER_REASONS)[number];

export type FilterVerdict = { keep: true } | { keep: false; reason: FilterReason; detail: string };

/** Filter lists as configured: language tags and keyword patterns as written. */
export interface FilterLists {
  languages?: { allow?: string[]; deny?: string[] };
  keywords?: { include?: string[]; exclude?: string[] };
}

/** A feed's `filters:` block. */
export interface FeedFilters extends FilterLists {
  /** Minimum words after cleaning for this feed; replaces FEEDSIFT_MIN_WORDS. */
  minWords?: number;
  /** false: the global lists do not apply to this feed. Default true. */
  inherit?: boolean;
}

/** What the filter looks at: the clean article's language, title, text and word count. */
export interface FilterInput {
  language: string;
  title: string;
  text: string;
  wordCount: number;
}

export interface KeywordPattern {
  /** As configured. */
  pattern: string;
  regex: RegExp;
}

/** An effective, compiled filter: global and feed combined. */
export interface ArticleFilter {
  /** Primary subtags; empty: any language. */
  languagesAllow: ReadonlySet<string>;
  languagesDeny: ReadonlySet<string>;
  include: readonly KeywordPattern[];
  exclude: readonly KeywordPattern[];
  minWords: number;
}

/** A problem of a configured filter, at a path inside the filter (e.g. ['keywords', 'exclude', 2]). */
export interface FilterProblem {
  path: Array<string | number>;
  reason: string;
}

/** The primary subtag of a language tag, lower-case: 'pt-BR' → 'pt'. */
export function primaryLanguage(tag: string): string {
  return tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

const LITERAL = /^\/(.*)\/([A-Za-z]*)$/s;
const ALLOWED_FLAGS = new Set(['i', 'm', 's']);
// a word character for \b and \B: letter, combining mark, digit or connector of any script
const WORD = String.raw`[\p{L}\p{M}\p{N}\p{Pc}]`;
const BOUNDARY = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
const NOT_BOUNDARY = `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`;

/** Splits a configured pattern into its source and flags (without `u`). */
function patternParts(pattern: string): { source: string; flags: string } {
  const literal = LITERAL.exec(pattern);
  return literal ? { source: literal[1]!, flags: literal[2]! } : { source: pattern, flags: 'i' };
}

/** `\b` and `\B` outside character classes → Unicode word boundaries; everything else as written. */
function unicodeBoundaries(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\' && i + 1 < source.length) {
      const next = source[i + 1]!;
      out += !inClass && next === 'b' ? BOUNDARY : !inClass && next === 'B' ? NOT_BOUNDARY : ch + next;
      i++;
      continue;
    }
    if (ch === '[' && !inClass) inClass = true;
    else if (ch === ']' && inClass) inClass = false;
    out += ch;
  }
  return out;
}

/** Why a configured keyword pattern cannot be used, or undefined when it can. */
export function keywordProblem(pattern: string): string | undefined {
  const { source, flags } = patternParts(pattern);
  if (source === '') return `empty pattern "${pattern}" would match every article`;
  const bad = [...flags].filter((f, i) => !ALLOWED_FLAGS.has(f) || flags.indexOf(f) !== i);
  if (bad.length) return `pattern "${pattern}": flag(s) "${bad.join('')}" not allowed (use i, m, s; u is always on)`;
  try {
    new RegExp(source, `${flags}u`);
  } catch (err) {
    return `invalid regular expression "${pattern}": ${(err as Error).message}`;
  }
  return undefined;
}

/** Compiles a configured keyword pattern; throws when keywordProblem() would report one. */
export function compileKeyword(pattern: string): RegExp {
  const problem = keywordProblem(pattern);
  if (problem) throw new SyntaxError(problem);
  const { source, flags } = patternParts(pattern);
  return new RegExp(unicodeBoundaries(source), `${flags}u`);
}

/** Every problem of a configured filter's keyword patterns (language tags are checked by the config schema). */
export function filterProblems(filters: FilterLists): FilterProblem[] {
  const problems: FilterProblem[] = [];
  for (const list of ['include', 'exclude'] as const) {
    (filters.keywords?.[list] ?? []).forEach((pattern, i) => {
      const reason = keywordProblem(pattern);
      if (reason) problems.push({ path: ['keywords', list, i], reason });
    });
  }
  return problems;
}

/** The effective filter of a feed: the global lists and minimum combined with the feed's own (see the top of this file). */
export function combineFilters(global: FilterLists, globalMinWords: number, feed: FeedFilters = {}): ArticleFilter {
  const base: FilterLists = feed.inherit === false ? {} : global;
  const languages = (list: 'allow' | 'deny'): ReadonlySet<string> =>
    new Set([...(base.languages?.[list] ?? []), ...(feed.languages?.[list] ?? [])].map(primaryLanguage));
  const keywords = (list: 'include' | 'exclude'): KeywordPattern[] =>
    [...new Set([...(base.keywords?.[list] ?? []), ...(feed.keywords?.[list] ?? [])])].map((pattern) => ({ pattern, regex: compileKeyword(pattern) }));
  return {
    languagesAllow: languages('allow'),
    languagesDeny: languages('deny'),
    include: keywords('include'),
    exclude: keywords('exclude'),
    minWords: feed.minWords ?? globalMinWords,
  };
}

const SHOWN_MATCH_CHARS = 80;

/** The first pattern matching the title or the text, with what it matched and where. */
function firstMatch(patterns: readonly KeywordPattern[], article: FilterInput): string | undefined {
  for (const { pattern, regex } of patterns) {
    for (const [where, value] of [['title', article.title], ['text', article.text]] as const) {
      const m = regex.exec(value);
      if (m) {
        const shown = m[0].length > SHOWN_MATCH_CHARS ? `${m[0].slice(0, SHOWN_MATCH_CHARS)}…` : m[0];
        return `"${pattern}" matched "${shown}" in the ${where}`;
      }
    }
  }
  return undefined;
}

function languageVerdict(language: string, filter: ArticleFilter): string | undefined {
  const lang = primaryLanguage(language) || 'und';
  const shown = lang === 'und' ? 'undetermined ("und")' : `"${lang}"`;
  if (filter.languagesDeny.has(lang)) return `language ${shown} is denied (deny: ${[...filter.languagesDeny].join(', ')})`;
  if (filter.languagesAllow.size && !filter.languagesAllow.has(lang)) return `language ${shown} is not allowed (allow: ${[...filter.languagesAllow].join(', ')})`;
  return undefined;
}

/** Decides whether a clean article is published; the first failing check gives the reason. */
export function filterArticle(article: FilterInput, filter: ArticleFilter): FilterVerdict {
  if (article.wordCount < filter.minWords) {
    return { keep: false, reason: 'min-words', detail: `${article.wordCount} words after cleaning (minimum ${filter.minWords})` };
  }
  const language = languageVerdict(article.language, filter);
  if (language) return { keep: false, reason: 'language', detail: language };
  const excluded = firstMatch(filter.exclude, article);
  if (excluded) return { keep: false, reason: 'keyword-exclude', detail: `exclude pattern ${excluded}` };
  if (filter.include.length && !firstMatch(filter.include, article)) {
    return { keep: false, reason: 'keyword-include', detail: `no include pattern matched the title or the text (include: ${filter.include.map((k) => `"${k.pattern}"`).join(', ')})` };
  }
  return { keep: true };
}

const MAX_CACHED_FILTERS = 1000;

/**
 * The effective filter per feed filters, compiled once and reused: an article worker sees the
 * same few feeds' filters over and over.
 */
export function filterResolver(global: FilterLists, globalMinWords: number): (feed?: FeedFilters) => ArticleFilter {
  const cache = new Map<string, ArticleFilter>();
  return (feed) => {
    const key = JSON.stringify(feed ?? {});
    let filter = cache.get(key);
    if (!filter) {
      if (cache.size >= MAX_CACHED_FILTERS) cache.clear();
      filter = combineFilters(global, globalMinWords, feed);
      cache.set(key, filter);
    }
    return filter;
  };
}
