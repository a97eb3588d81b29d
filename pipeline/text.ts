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
  let n = 0;
  for (const seg of wordSegmenter.segment(text)) if (seg.isWordLike) n++;
  return n;
}

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

/**
 * Letter counts per script. Kana is counted apart from Han so Japanese (Han + Kana)
 * can be told from Chinese (Han only).
 */
export function scriptCounts(text: string): Map<Script, number> {
  const counts = new Map<Script, number>();
  for (const ch of text) {
    if (!/\p{L}/u.test(ch)) continue;
    let script: Script = 'Other';
    for (const [name, re] of SCRIPT_TESTS) {
      if (re.test(ch)) {
        script = name;
        break;
      }
    }
    counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  return counts;
}

/** The script most of the letters are in; Han with any Kana is reported as Kana (Japanese). */
export function dominantScript(text: string): Script | undefined {
  const counts = scriptCounts(text);
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
