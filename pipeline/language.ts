// Language stage: the language of the document and of each block.
// CLD3 (cld3-asm, WebAssembly) is loaded once per process. CLD3 is good on a paragraph and
// poor on a few words (seed 000's English sub-heading "Three-level design" comes out as
// Latin), so short blocks are labelled from their script and their context instead.
import type { Block } from './records.ts';
import { dominantScript, normaliseText, scriptCounts, type Script } from './text.ts';

export interface LanguageGuess {
  /** BCP-47 primary subtag, `und` when undetermined. */
  language: string;
  /** 0–1. */
  confidence: number;
  /** CLD3's own reliability flag (false for guesses made without CLD3). */
  reliable: boolean;
}

export interface LanguagePriors {
  /** `<html lang>` of the page. */
  htmlLang?: string;
  /** Language declared by the feed. */
  feedLanguage?: string;
  /** The operator's hint for the feed (config `languageHint`); the strongest prior. */
  hint?: string;
}

export interface DocumentLanguage {
  language: string;
  confidence: number;
  /** The input blocks (copies) with `language` and `languageConfidence` set. */
  blocks: Block[];
}

export interface LanguageDetector {
  /** CLD3 on one text, code normalised. */
  detect(text: string): LanguageGuess;
  /** The document's language and every block's. Pure apart from CLD3 calls. */
  detectLanguages(blocks: Block[], priors?: LanguagePriors): DocumentLanguage;
}

/** Blocks shorter than this (characters) are labelled from script and context, not CLD3 alone. */
export const SHORT_BLOCK_CHARS = 60;
/**
 * A Latin-script block needs this many characters and this CLD3 probability to be labelled
 * with another Latin-script language than the document's: CLD3 calls the English headline
 * "Western allies propose three-tier defense plan for post-war Ukraine" German (p 0.96).
 */
const FOREIGN_LATIN_MIN_CHARS = 100;
const FOREIGN_LATIN_MIN_PROBABILITY = 0.9;
/** A prior (hint, `<html lang>`, feed language) wins over the best document language when it scores at least this share of it. */
const PRIOR_TIE = 0.5;
/**
 * When CLD3 vouches for less than this share of the text (names, scores, tables: a sports
 * results page comes out "French" on one line), a prior decides the document language.
 */
const MIN_RELIABLE_COVERAGE = 0.25;

// Deprecated ISO 639 codes CLD3 still emits, and their current BCP-47 subtags.
const RENAMED: Record<string, string> = { iw: 'he', ji: 'yi', in: 'id', jw: 'jv', mo: 'ro', sh: 'sr', tl: 'tl' };

/**
 * A language code as a BCP-47 primary subtag, lower case: `en-US` → `en`, `zh-Latn` → `zh`,
 * CLD3's `iw` → `he`, `ji` → `yi`, `in` → `id`, `jw` → `jv`; anything unusable → `und`.
 * CLD3's `fil` (Filipino) stays `fil`: it is the registered primary subtag for Filipino
 * (IANA language subtag registry; ISO 639 has no two-letter code for it, and `tl` is
 * Tagalog, a different language), so BCP-47 keeps the three-letter code. `haw`, `hmn`
 * and `ceb` stay three-letter for the same reason.
 */
export function normaliseLanguage(code: string): string {
  const primary = code.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if (!/^[a-z]{2,3}$/.test(primary)) return 'und';
  return RENAMED[primary] ?? primary;
}

// For a short block in a script several languages share: the candidates, the first one the default.
const SHARED_SCRIPTS: Partial<Record<Script, string[]>> = {
  Cyrillic: ['ru', 'uk', 'bg', 'sr', 'mk', 'be', 'kk', 'ky', 'mn', 'tg'],
  Arabic: ['ar', 'fa', 'ur', 'ps', 'sd', 'ku', 'ug'],
  Devanagari: ['hi', 'mr', 'ne'],
  Hebrew: ['he', 'yi'],
  Bengali: ['bn'],
};
// Scripts used by one language (as far as news text goes).
const SCRIPT_LANGUAGE: Partial<Record<Script, string>> = {
  Han: 'zh', Kana: 'ja', Hangul: 'ko', Greek: 'el', Thai: 'th', Georgian: 'ka', Armenian: 'hy',
  Ethiopic: 'am', Khmer: 'km', Lao: 'lo', Myanmar: 'my', Sinhala: 'si', Tamil: 'ta', Telugu: 'te',
  Kannada: 'kn', Malayalam: 'ml', Gujarati: 'gu', Gurmukhi: 'pa',
};

interface Cld3Identifier {
  findLanguage(text: string): { language: string; probability: number; is_reliable: boolean };
}

let loading: Promise<LanguageDetector> | undefined;

/** The process-wide detector; CLD3's WebAssembly is compiled on the first call only. */
export function loadLanguageDetector(): Promise<LanguageDetector> {
  loading ??= (async () => {
    const { loadModule } = await import('cld3-asm');
    const factory = await loadModule();
    // minBytes 0: we decide ourselves how far to trust short texts. maxBytes: a long paragraph.
    const identifier: Cld3Identifier = factory.create(0, 2048);
    return createDetector(identifier);
  })();
  loading.catch(() => {
    loading = undefined; // let a later call retry
  });
  return loading;
}

function createDetector(cld3: Cld3Identifier): LanguageDetector {
  const detect = (text: string): LanguageGuess => {
    const t = normaliseText(text);
    if (!t) return { language: 'und', confidence: 0, reliable: false };
    const r = cld3.findLanguage(t);
    return { language: normaliseLanguage(r.language), confidence: r.probability, reliable: r.is_reliable };
  };
  return { detect, detectLanguages: (blocks, priors = {}) => labelBlocks(detect, blocks, priors) };
}

/** Weight of a text in the document vote: characters, CJK characters counted double (one carries about a word). */
function textWeight(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(ch) ? 2 : 1;
  return w;
}

function labelBlocks(detect: (text: string) => LanguageGuess, blocks: Block[], priors: LanguagePriors): DocumentLanguage {
  const guesses = blocks.map((b) => detect(b.text));
  const priorList = [priors.hint, priors.htmlLang, priors.feedLanguage]
    .filter((p): p is string => !!p)
    .map(normaliseLanguage)
    .filter((p) => p !== 'und');

  // Document language: CLD3's reliable verdicts on blocks, weighted by length and probability.
  const scores = new Map<string, number>();
  let total = 0;
  let allWeight = 0;
  blocks.forEach((b, i) => {
    const g = guesses[i]!;
    allWeight += textWeight(b.text);
    if (!g.reliable || g.language === 'und' || b.text.length < 20) return;
    const w = textWeight(b.text) * g.confidence * (b.text.length < SHORT_BLOCK_CHARS ? 0.5 : 1);
    scores.set(g.language, (scores.get(g.language) ?? 0) + w);
    total += w;
  });
  const ranked = [...scores].sort((a, b) => b[1] - a[1]);
  let language = 'und';
  let confidence = 0;
  if (ranked.length && !(priorList.length && total < MIN_RELIABLE_COVERAGE * allWeight)) {
    let [bestLang, bestScore] = ranked[0]!;
    // The strongest prior that comes close to the best takes it (id over ms, en over a stray fr).
    if (!priorList.includes(bestLang)) {
      for (const prior of priorList) {
        const score = scores.get(prior) ?? 0;
        if (score >= PRIOR_TIE * bestScore) {
          [bestLang, bestScore] = [prior, score];
          break;
        }
      }
    }
    language = bestLang;
    confidence = total ? bestScore / total : 0;
  } else if (priorList.length) {
    // Too little text CLD3 could vouch for: the priors are all we have.
    language = priorList[0]!;
    confidence = Math.min(0.5, (scores.get(language) ?? 0) / (total || 1) + 0.3);
  }

  const docScript = dominantScript(blocks.map((b) => b.text).join(' '));
  // First pass: blocks whose language stands on their own (long enough, or a telling script).
  const labels = blocks.map((b, i) => labelAlone(b.text, guesses[i]!, language, docScript));
  const latin = blocks.map((b) => dominantScript(b.text) === 'Latin');
  // Second pass: short Latin-script blocks. Inside a run of another Latin-script language
  // (both nearest labelled neighbours agree on it) they take that language; otherwise the
  // document's when it is written in Latin script, else CLD3's verdict only if it is sure.
  const out = blocks.map((b, i): Block => {
    let label = labels[i];
    if (!label) {
      const prev = nearestLatinLabel(labels, latin, i, -1);
      const next = nearestLatinLabel(labels, latin, i, 1);
      if (prev && prev === next) label = { language: prev, confidence: 0.5, reliable: false };
      else if (docScript === 'Latin' || language === 'und') label = { language, confidence: 0.5, reliable: false };
      else {
        const g = guesses[i]!;
        label = g.reliable && g.confidence >= FOREIGN_LATIN_MIN_PROBABILITY ? g : { language: 'und', confidence: 0, reliable: false };
      }
    }
    return { ...b, language: label.language, languageConfidence: round(label.confidence) };
  });
  return { language, confidence: round(confidence), blocks: out };
}

/** A block's language from its own text, or undefined when only the context can tell. */
function labelAlone(text: string, guess: LanguageGuess, docLanguage: string, docScript: Script | undefined): LanguageGuess | undefined {
  const script = dominantScript(text);
  if (!script) return { language: docLanguage, confidence: 0.5, reliable: false }; // digits and punctuation
  const long = text.length >= SHORT_BLOCK_CHARS;
  // A line with letters of the document's own non-Latin script is in the document's language
  // (a Han-only "関連記事" or a mixed "Speccyのportable版" in a Japanese page), unless CLD3 is
  // sure on a long text.
  if (docScript && docScript !== 'Latin' && sharesScript(text, docScript) && !(long && guess.reliable && guess.confidence >= 0.9)) {
    return { language: docLanguage, confidence: 0.8, reliable: false };
  }
  if (script === 'Latin') {
    if (!long || !guess.reliable || guess.language === 'und') return undefined;
    const foreign = guess.language !== docLanguage && docScript === 'Latin';
    if (foreign && (text.length < FOREIGN_LATIN_MIN_CHARS || guess.confidence < FOREIGN_LATIN_MIN_PROBABILITY)) return undefined;
    return guess;
  }
  const only = SCRIPT_LANGUAGE[script];
  if (only) return { language: only, confidence: guess.language === only ? Math.max(guess.confidence, 0.9) : 0.9, reliable: true };
  const shared = SHARED_SCRIPTS[script];
  if (shared) {
    if (long && guess.reliable && shared.includes(guess.language)) return guess;
    if (shared.includes(docLanguage)) return { language: docLanguage, confidence: 0.8, reliable: false };
    if (guess.reliable && shared.includes(guess.language)) return guess;
    return { language: shared[0]!, confidence: 0.6, reliable: false };
  }
  return long && guess.reliable ? guess : undefined;
}

function sharesScript(text: string, docScript: Script): boolean {
  const counts = scriptCounts(text);
  if (counts.has(docScript)) return true;
  // Japanese is written in Kana and Han, Korean sometimes with Han.
  return (docScript === 'Kana' || docScript === 'Hangul') && counts.has('Han');
}

function nearestLatinLabel(labels: Array<LanguageGuess | undefined>, latin: boolean[], from: number, step: 1 | -1): string | undefined {
  for (let i = from + step; i >= 0 && i < labels.length; i += step) {
    const l = labels[i];
    if (l && l.language !== 'und') return latin[i] ? l.language : undefined;
  }
  return undefined;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
