// Words, terms and entities of a text in any script, for the dedupe stage.
// Word boundaries come from Intl.Segmenter (ICU), so Chinese, Japanese and Thai are cut into
// words rather than split on spaces that do not exist; everything is NFKC-normalised and
// lower-cased, diacritics are kept ("café" and "cafe" are different words in French).
import { createRequire } from 'node:module';

export interface WordToken {
  /** NFKC, lower-cased, possessive and acronym dots removed: the form terms are made of. */
  norm: string;
  /** As written (NFKC), for case-based entity detection. */
  raw: string;
  /** The word opens the text, a line, a sentence or a quotation: its capital letter says nothing. */
  sentenceStart: boolean;
  /** Only spaces (no punctuation, no line break) separate it from the previous word. */
  adjacent: boolean;
  /** Index of the line the word is on (a title-case heading line is judged as a whole). */
  line: number;
}

const require = createRequire(import.meta.url);
const STOPWORD_LISTS = require('stopwords-iso') as Record<string, string[]>;
const stopwordSets = new Map<string, ReadonlySet<string>>();
const EMPTY_SET: ReadonlySet<string> = new Set();

/** Primary subtag, lower-case: 'en-GB' → 'en', 'und' and '' → ''. */
export function primaryLanguage(language: string | undefined | null): string {
  const primary = (language ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  return primary === 'und' ? '' : primary;
}

/** The stopword set of a language (stopwords-iso), or an empty set when we have none. */
export function stopwordsFor(language: string | undefined | null): ReadonlySet<string> {
  const lang = primaryLanguage(language);
  let set = stopwordSets.get(lang);
  if (!set) {
    const list = STOPWORD_LISTS[lang];
    set = list ? new Set(list.map((w) => w.normalize('NFKC').toLowerCase())) : EMPTY_SET;
    stopwordSets.set(lang, set);
  }
  return set;
}

const segmenters = new Map<string, Intl.Segmenter>();
function segmenterFor(language: string): Intl.Segmenter {
  let seg = segmenters.get(language);
  if (!seg) {
    const supported = language && Intl.Segmenter.supportedLocalesOf([language]).length > 0;
    seg = new Intl.Segmenter(supported ? language : undefined, { granularity: 'word' });
    segmenters.set(language, seg);
  }
  return seg;
}

// ICU keeps "information.According" (a missing space after a full stop, common in aggregator
// copies) as one word, because "." may sit inside a word ("e.g"). Put the space back when a
// lower-case word of two or more letters ends a sentence right before a capital.
const GLUED_SENTENCE = /(\p{Ll}{2,}[.!?])(\p{Lu})/gu;
const SENTENCE_GAP = /[.!?:;\n"“”«»„‟「」『』()[\]¿¡。！？]/u;
const POSSESSIVE = /['’](?:s)?$/u;
const ACRONYM_WITH_DOTS = /^(?:\p{L}\.)+\p{L}?$/u;

/** Normalise a word as terms and entities use it. */
export function normaliseWord(raw: string): string {
  let w = raw.normalize('NFKC').toLowerCase();
  if (ACRONYM_WITH_DOTS.test(w)) w = w.replaceAll('.', '');
  w = w.replace(POSSESSIVE, '');
  return w;
}

// UTF-8 read as Latin-1 ("SÃ¶der" for "Söder", "MinisterprÃ¤sident"): a lead byte C2–DF shown as
// Â…ß followed by a continuation byte shown as U+0080–U+00BF. One such pair can be real text
// (Portuguese "Ã" before a symbol is rare but possible); two or more are a mis-decoded page.
const MOJIBAKE_PAIR = /[\u00c2-\u00df][\u0080-\u00bf]/gu;

/** Undo UTF-8-read-as-Latin-1 double encoding of two-byte characters; other text is returned as is. */
export function repairMojibake(text: string): string {
  const pairs = text.match(MOJIBAKE_PAIR);
  if (!pairs || pairs.length < 2) return text;
  return text.replace(MOJIBAKE_PAIR, (pair) => {
    const decoded = Buffer.from(pair, 'latin1').toString('utf8');
    return decoded.length === 1 && decoded !== '\ufffd' ? decoded : pair;
  });
}

/** Diacritics removed (NFD, marks dropped, NFC): "erdoğan" → "erdogan", "söder" → "soder". */
export function foldDiacritics(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '').normalize('NFC');
}

/** The words of a text, in order, with what case-based entity detection needs to know. */
export function words(text: string, language?: string | null): WordToken[] {
  const prepared = repairMojibake(text).normalize('NFKC').replace(GLUED_SENTENCE, '$1 $2');
  const out: WordToken[] = [];
  let line = 0;
  let lastEnd = 0;
  for (const s of segmenterFor(primaryLanguage(language)).segment(prepared)) {
    if (!s.isWordLike) continue;
    const gap = prepared.slice(lastEnd, s.index);
    for (const ch of gap) if (ch === '\n') line++;
    const norm = normaliseWord(s.segment);
    lastEnd = s.index + s.segment.length;
    if (!norm) continue;
    out.push({
      norm,
      raw: s.segment,
      sentenceStart: out.length === 0 || SENTENCE_GAP.test(gap),
      adjacent: out.length > 0 && /^[ \t\u00a0]+$/u.test(gap),
      line,
    });
  }
  return out;
}

const NUMERIC = /^\p{N}/u;
// One character is a word in Han, kana and Hangul; elsewhere it is an initial or noise.
const SINGLE_CHAR_WORD = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]$/u;

/** Content terms: normalised words without stopwords, numbers (see entities) or one-letter noise. */
export function contentTerms(tokens: readonly WordToken[], language?: string | null): string[] {
  const stop = stopwordsFor(language);
  const out: string[] = [];
  for (const t of tokens) {
    if (stop.has(t.norm) || NUMERIC.test(t.norm)) continue;
    if ([...t.norm].length < 2 && !SINGLE_CHAR_WORD.test(t.norm)) continue;
    out.push(t.norm);
  }
  return out;
}

/** Text folded for exact comparison: NFKC, lower-case, punctuation and whitespace folded to one space. */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\p{Z}\s]+/gu, ' ')
    .trim();
}

// ---------------------------------------------------------------- entities

// Scale words after a number, in the languages we meet most; values are multipliers.
const SCALE_WORDS: Record<string, number> = {
  thousand: 1e3, k: 1e3, tausend: 1e3, mil: 1e3, тысяч: 1e3, тыс: 1e3,
  million: 1e6, millions: 1e6, mln: 1e6, m: 1e6, mn: 1e6, millionen: 1e6, mio: 1e6, millón: 1e6,
  millones: 1e6, milione: 1e6, milioni: 1e6, milhão: 1e6, milhões: 1e6, miljoen: 1e6, milion: 1e6,
  milionów: 1e6, miliony: 1e6, млн: 1e6, миллион: 1e6, миллиона: 1e6, миллионов: 1e6, milyon: 1e6,
  billion: 1e9, billions: 1e9, bn: 1e9, b: 1e9, milliarde: 1e9, milliarden: 1e9, mrd: 1e9,
  milliard: 1e9, milliards: 1e9, miliardo: 1e9, miliardi: 1e9, miliard: 1e9, miliardów: 1e9,
  млрд: 1e9, миллиард: 1e9, миллиарда: 1e9, миллиардов: 1e9, milyar: 1e9,
  trillion: 1e12, tn: 1e12, trillions: 1e12, billionen: 1e12, трлн: 1e12,
  万: 1e4, 萬: 1e4, 亿: 1e8, 億: 1e8, 만: 1e4, 억: 1e8,
};
// "11,000,000" / "11.000.000" / "11 000 000": groups of three after the first are thousands.
const GROUPED = /^\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+$/u;
const DECIMAL = /^\d+[.,]\d+$/u;
const LEADING_NUMBER = /^(\d+(?:[.,]\d+)*)(\p{L}*)$/u;

/** The value of a numeric word ("11,000,000", "1.5bn", "25th", "3,5"), or undefined. */
export function parseNumber(raw: string, nextWord?: string): number | undefined {
  const m = LEADING_NUMBER.exec(raw.normalize('NFKC').toLowerCase());
  if (!m) return undefined;
  const digits = m[1] ?? '';
  const suffix = m[2] ?? '';
  let value: number;
  if (GROUPED.test(digits)) value = Number(digits.replace(/[^\d]/g, ''));
  else if (DECIMAL.test(digits)) value = Number(digits.replace(',', '.'));
  else if (/^\d+$/.test(digits)) value = Number(digits);
  else return undefined;
  const scale = SCALE_WORDS[suffix] ?? (suffix === '' && nextWord ? SCALE_WORDS[nextWord] : undefined);
  if (scale) value *= scale;
  else if (suffix && !/^(?:st|nd|rd|th|%|e|er|ème|º|ª|-?)$/u.test(suffix)) return undefined;
  return Number.isFinite(value) ? value : undefined;
}

/** "11000000", "1.5" — four significant digits, so "1.1 million" and "1,100,000" agree. */
function numberKey(value: number): string {
  return `#${Number(value.toPrecision(4))}`;
}

// Languages that capitalise every noun: a lone capital there is not a name.
const NOUN_CAPITALISING = new Set(['de', 'lb']);
const UPPER_START = /^\p{Lu}/u;
const ALL_CAPS = /^\p{Lu}[\p{Lu}\p{N}]+$/u;
const QUOTED = /“([^”\n]{2,160})”|"([^"\n]{2,160})"|«([^»\n]{2,160})»|„([^“”\n]{2,160})[“”]|「([^」\n]{1,80})」/gu;

/**
 * Features of a text that survive rewriting and translation into the same language:
 * numbers (`#11000000`), names (`@pete hegseth`, `@hegseth`, `@nato`) and quoted phrases of two
 * words or more (`"strategic enablers`). Names come from capitalised words that do not open a
 * sentence, runs of adjacent capitalised words, and all-caps acronyms; lines written in title
 * case (headlines) are skipped because every word is capitalised there.
 */
export function entities(tokens: readonly WordToken[], text: string, language?: string | null): string[] {
  const lang = primaryLanguage(language);
  const stop = stopwordsFor(lang);
  const found = new Set<string>();

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!NUMERIC.test(t.raw)) continue;
    const value = parseNumber(t.raw, tokens[i + 1]?.norm);
    // one-digit integers ("two", "3 officials") are everywhere; keep the rest
    if (value !== undefined && (value >= 10 || !Number.isInteger(value))) found.add(numberKey(value));
  }

  // German capitalises every noun: its headlines are not title case, and a line of capitals is prose
  const titleCaseLines = NOUN_CAPITALISING.has(lang) ? new Set<number>() : titleCaseLineSet(tokens, stop);
  const capitalised = (t: WordToken): boolean =>
    UPPER_START.test(t.raw) && !stop.has(t.norm) && !NUMERIC.test(t.raw) && !titleCaseLines.has(t.line);
  let run: WordToken[] = [];
  const flush = (): void => {
    if (run.length >= 2) {
      found.add(`@${run.map((t) => t.norm).join(' ')}`);
      for (const t of run) found.add(`@${t.norm}`);
    } else if (run.length === 1) {
      const t = run[0]!;
      const loneNameCounts = !NOUN_CAPITALISING.has(lang) && !t.sentenceStart;
      if (ALL_CAPS.test(t.raw) || loneNameCounts) found.add(`@${t.norm}`);
    }
    run = [];
  };
  for (const t of tokens) {
    if (capitalised(t) && (run.length === 0 || t.adjacent)) run.push(t);
    else {
      flush();
      if (capitalised(t)) run.push(t);
    }
  }
  flush();

  addCountries(tokens, lang, found);

  for (const m of repairMojibake(text).normalize('NFKC').matchAll(QUOTED)) {
    const inner = m.slice(1).find((g) => g !== undefined) ?? '';
    const quoteWords = words(inner, lang).map((t) => t.norm);
    if (quoteWords.length >= 2 && quoteWords.length <= 12) found.add(`"${quoteWords.join(' ')}`);
  }
  // names and quotes are compared without diacritics: "Erdoğan" and "Erdogan", "Söder" and
  // "Soder" (outlets and languages drop them differently)
  return [...new Set([...found].map((e) => (e.startsWith('#') ? e : foldDiacritics(e))))];
}

// ---------------------------------------------------------------- country names across languages

// Country and region names in each language, from ICU's display names (Intl.DisplayNames), mapped
// to the English name: "Russland" (de), "Rusia" (es), "روسيا" (ar) all give the entity `@russia`.
// General (every ISO 3166 region, every language ICU knows), not a list fitted to any text.
// Demonyms ("russisch", "Russian") are not covered.
const REGION_CODES = ((): string[] => {
  const en = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  const out: string[] = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      const name = en.of(code);
      if (name && name !== code && !/unknown|outlying|pseudo/i.test(name)) out.push(code);
    }
  }
  return out;
})();
const countryTables = new Map<string, ReadonlyMap<string, string>>();
let englishNames: Map<string, string> | undefined;

function countryKey(name: string): string {
  return foldDiacritics(name.normalize('NFKC').toLowerCase()).replace(/[’'.]/gu, '').replace(/[\s-]+/gu, ' ').trim();
}

/** Folded country name in `language` → folded English name; empty for languages ICU lacks. */
function countryTable(language: string): ReadonlyMap<string, string> {
  let table = countryTables.get(language);
  if (table) return table;
  const map = new Map<string, string>();
  if (!englishNames) {
    const en = new Intl.DisplayNames(['en'], { type: 'region' });
    englishNames = new Map(REGION_CODES.map((c) => [c, countryKey(en.of(c) ?? c)]));
  }
  const supported = language && Intl.DisplayNames.supportedLocalesOf([language]).length > 0;
  if (supported) {
    const names = new Intl.DisplayNames([language], { type: 'region' });
    for (const code of REGION_CODES) {
      const local = names.of(code);
      const english = englishNames.get(code);
      // skip names that are one short word in the local language ("Oman" is fine, "Ca" is not)
      if (local && english && local !== code && [...local].length >= 4) map.set(countryKey(local), english);
    }
  }
  countryTables.set(language, (table = map));
  return table;
}

const CASED_SCRIPT = /[\p{Lu}\p{Ll}]/u;

function addCountries(tokens: readonly WordToken[], lang: string, found: Set<string>): void {
  const tables = lang && lang !== 'en' ? [countryTable(lang), countryTable('en')] : [countryTable('en')];
  for (let i = 0; i < tokens.length; i++) {
    const first = tokens[i]!;
    // in cased scripts a country name is capitalised ("turkey" the bird is not Türkiye)
    if (CASED_SCRIPT.test(first.raw) && !UPPER_START.test(first.raw)) continue;
    for (let n = 3; n >= 1; n--) {
      if (i + n > tokens.length) continue;
      const span = tokens.slice(i, i + n);
      if (n > 1 && !span.slice(1).every((t) => t.adjacent)) continue;
      const key = countryKey(span.map((t) => t.norm).join(' '));
      const english = tables.map((t) => t.get(key)).find((e) => e !== undefined);
      if (english) {
        found.add(`@${english}`);
        i += n - 1;
        break;
      }
    }
  }
}

const TITLE_MAX_WORDS = 24;

function titleCaseLineSet(tokens: readonly WordToken[], stop: ReadonlySet<string>): Set<number> {
  const perLine = new Map<number, { words: number; capitals: number }>();
  for (const t of tokens) {
    if (stop.has(t.norm) || NUMERIC.test(t.raw)) continue;
    const c = perLine.get(t.line) ?? { words: 0, capitals: 0 };
    c.words++;
    if (UPPER_START.test(t.raw)) c.capitals++;
    perLine.set(t.line, c);
  }
  const out = new Set<number>();
  // a headline is short; a long line mostly in capitals is prose full of names
  for (const [line, c] of perLine) if (c.words >= 4 && c.words <= TITLE_MAX_WORDS && c.capitals / c.words >= 0.7) out.add(line);
  return out;
}
