// Small text helpers shared by the page stages (extract, language, strip).

/** Collapse every run of whitespace (NBSP and other Unicode spaces included) to one space and trim. */
export function normaliseText(text: string): string {
  return text.replace(/[\s\u00a0\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/g, ' ').trim();
}

const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

/**
 * Number of words as Intl.Segmenter sees them: ICU segments Chinese and Japanese by
 * dictionary and Thai by its own rules, so a CJK text is not counted as one "word".
 */
export function countWords(text: string): number {
  const short = text.length <= WORD_CACHE_MAX_CHARS;
  if (short) {
    const known = wordCounts.get(text);
    if (known !== undefined) return known;
  }
  let n = 0;
  for (const seg of wordSegmenter.segment(text)) if (seg.isWordLike) n++;
  if (short) {
    if (wordCounts.size >= WORD_CACHE_SIZE) wordCounts.clear();
    wordCounts.set(text, n);
  }
  return n;
}

// The page stages count the words of the same lines several times (the strip stage, the
// region's classification, byline and teaser checks): counts of short texts are kept for a while.
const WORD_CACHE_MAX_CHARS = 1000;
const WORD_CACHE_SIZE = 8192;
const wordCounts = new Map<string, number>();

/** Case-folded letters and digits only, for comparing a heading with a title. */
export function comparableText(text: string): string {
  return text.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

export type Script =
  | 'Latin' | 'Cyrillic' | 'Greek' | 'Arabic' | 'Hebrew' | 'Han' | 'Kana' | 'Hangul' | 'Thai'
  | 'Devanagari' | 'Bengali' | 'Tamil' | 'Telugu' | 'Kannada' | 'Malayalam' | 'Gujarati' | 'Gurmukhi'
  | 'Georgian' | 'Armenian' | 'Ethiopic' | 'Khmer' | 'Lao' | 'Myanmar' | 'Sinhala' | 'Other';

const SCRIPT_TESTS: ReadonlyArray<readonly [Script, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Han', /\p{Script=Han}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Bengali', /\p{Script=Bengali}/u],
  ['Tamil', /\p{Script=Tamil}/u],
  ['Telugu', /\p{Script=Telugu}/u],
  ['Kannada', /\p{Script=Kannada}/u],
  ['Malayalam', /\p{Script=Malayalam}/u],
  ['Gujarati', /\p{Script=Gujarati}/u],
  ['Gurmukhi', /\p{Script=Gurmukhi}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Ethiopic', /\p{Script=Ethiopic}/u],
  ['Khmer', /\p{Script=Khmer}/u],
  ['Lao', /\p{Script=Lao}/u],
  ['Myanmar', /\p{Script=Myanmar}/u],
  ['Sinhala', /\p{Script=Sinhala}/u],
];

// The script of each code point met so far (null: not a letter); texts repeat few code points.
const scriptOfCodePoint = new Map<number, Script | null>();

function scriptOf(cp: number): Script | null {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) ? 'Latin' : null;
  let script = scriptOfCodePoint.get(cp);
  if (script === undefined) {
    const ch = String.fromCodePoint(cp);
    script = null;
    if (/\p{L}/u.test(ch)) {
      script = 'Other';
      for (const [name, re] of SCRIPT_TESTS) {
        if (re.test(ch)) {
          script = name;
          break;
        }
      }
    }
    scriptOfCodePoint.set(cp, script);
  }
  return script;
}

/**
 * Letter counts per script. Kana is counted apart from Han so Japanese (Han + Kana)
 * can be told from Chinese (Han only).
 */
export function scriptCounts(text: string): Map<Script, number> {
  const counts = new Map<Script, number>();
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const script = scriptOf(cp);
    if (script) counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  return counts;
}

/** The script most of the letters are in; Han with any Kana is reported as Kana (Japanese). */
export function dominantScript(text: string): Script | undefined {
  return dominantScriptOf(scriptCounts(text));
}

/** dominantScript from letter counts (scriptCounts). */
export function dominantScriptOf(counts: Map<Script, number>): Script | undefined {
  let best: Script | undefined;
  let bestCount = 0;
  for (const [script, n] of counts) {
    if (n > bestCount) {
      best = script;
      bestCount = n;
    }
  }
  if (best === 'Han' && (counts.get('Kana') ?? 0) > 0) return 'Kana';
  return best;
}
