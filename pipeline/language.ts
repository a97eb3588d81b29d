// Language stage: the language of the document and of each block.
// CLD3 (cld3-asm, WebAssembly) is loaded once per process. CLD3 is good on a paragraph and
// poor on a few words (seed 000's English sub-heading "Three-level design" comes out as
// Latin), so short blocks are labelled from their script and their context instead.
import type { Block } from './records.ts';
import { dominantScript, dominantScriptOf, normaliseText, scriptCounts, type Script } from './text.ts';

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
  /** The language of a free text (lines are its blocks), `und` when it cannot tell. */
  identify(text: string, priors?: LanguagePriors): TextLanguage;
}

export interface TextLanguage {
  /** BCP-47 primary subtag, `und` when undetermined. */
  language: string;
  /** 0–1; 0 with `und`. */
  confidence: number;
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

/** Texts whose CLD3 verdict a detector keeps (it forgets them all when full). */
const DETECT_CACHE_SIZE = 4096;

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
  const ask = (t: string): LanguageGuess => {
    const r = cld3.findLanguage(t);
    return { language: normaliseLanguage(r.language), confidence: r.probability, reliable: r.is_reliable };
  };
  // The same text is judged more than once per page (the page's blocks, then its region's) and
  // across pages of a site (its share lines, its footer): CLD3's verdict is kept for a while.
  const verdicts = new Map<string, LanguageGuess>();
  const detect = (text: string): LanguageGuess => {
    let verdict = verdicts.get(text);
    if (!verdict) {
      const t = normaliseText(text).normalize('NFC');
      verdict = t ? refineGuess(t, ask(t), ask) : { language: 'und', confidence: 0, reliable: false };
      if (verdicts.size >= DETECT_CACHE_SIZE) verdicts.clear();
      verdicts.set(text, verdict);
    }
    return { ...verdict };
  };
  const detectLanguages = (blocks: Block[], priors: LanguagePriors = {}): DocumentLanguage => labelBlocks(detect, blocks, priors);
  const identify = (text: string, priors: LanguagePriors = {}): TextLanguage => identifyText(text, priors, detect, detectLanguages);
  return { detect, detectLanguages, identify };
}

// ---- Corrections to CLD3's verdict on one text ---------------------------------------------

/**
 * Every Vietnamese letter has a precomposed form in Unicode and carries at most one tone mark
 * (the dot below is itself a tone), so a Vietnamese text in NFC has no combining mark left.
 * CLD3 calls tone-marked Yoruba ("ẹ̀tọ́", two marks on one letter) Vietnamese; its Yoruba model
 * knows the language written without tone marks (as most web Yoruba is), so we ask again
 * without grave, acute and macron.
 */
const TONE_MARKS = /[\u0300\u0301\u0304]/g;
function impossibleVietnamese(nfcText: string): boolean {
  return /\p{M}/u.test(nfcText);
}

/**
 * Close pairs CLD3 confuses, told apart by words whose form differs between the standards
 * (general lexical and spelling differences, e.g. Indonesian `karena`/`bahwa`/`yaitu` vs Malay
 * `kerana`/`bahawa`/`iaitu`; Croatian `tko`/`tisuća`/`obitelj` vs Bosnian and Serbian
 * `ko`/`hiljada`/`porodica`; Serbian ekavian `vreme`/`deca` vs ijekavian `vrijeme`/`djeca`).
 * A verdict moves only on a clear margin of such words. Function words that are categorical
 * between the standards (the pronouns `tko`/`ko`, `svatko`/`svako`; the conjunctions
 * `bahwa`/`bahawa`, `karena`/`kerana`) weigh as much as the margin by themselves.
 */
const STRONG_MARKERS: Record<string, ReadonlySet<string>> = {
  id: new Set(['bahwa', 'karena', 'yaitu']),
  ms: new Set(['bahawa', 'kerana', 'iaitu', 'mana-mana']),
  hr: new Set(['tko', 'svatko', 'netko', 'nitko', 'itko', 'tisuća']),
  bs: new Set(['ko', 'svako', 'neko', 'niko', 'iko', 'šta', 'hiljada']),
  sr: new Set(),
  ije: new Set(),
};
const MARKERS: Record<string, ReadonlySet<string>> = {
  id: new Set(['saja', 'uang', 'kantor', 'mobil', 'dokter', 'polisi', 'kualitas', 'aktivitas', 'universitas', 'fasilitas', 'komunitas', 'identitas', 'kapasitas', 'perkawinan', 'kawin', 'pengadilan', 'tentara', 'kendaraan', 'perawat', 'karyawan', 'keterampilan', 'sekaligus', 'gratis', 'apotek', 'provinsi', 'bisa', 'butuh', 'cuma', 'konstitusi']),
  ms: new Set(['sahaja', 'wang', 'pejabat', 'kereta', 'kerajaan', 'doktor', 'polis', 'kualiti', 'aktiviti', 'universiti', 'kemudahan', 'komuniti', 'identiti', 'kapasiti', 'perkahwinan', 'kahwin', 'mengikut', 'selepas', 'mahkamah', 'tentera', 'kenderaan', 'jururawat', 'kakitangan', 'kemahiran', 'percuma', 'farmasi', 'baharu', 'hendaklah', 'manakala', 'berkenaan', 'perlembagaan', 'perniagaan', 'majlis', 'tanggungjawab', 'bertanggungjawab', 'sebarang']),
  hr: new Set(['tjedan', 'povijest', 'znanost', 'obitelj', 'obitelji', 'kruh', 'vlak', 'sveučilište', 'glazba', 'tijekom', 'kazalište', 'uvjet', 'uvjeti', 'uvjetima', 'točka', 'točno', 'jamstvo', 'uporaba', 'putovnica', 'veleposlanstvo', 'mirovina', 'liječnik', 'tvrtka', 'poduzeće', 'promet', 'nogomet', 'odgoj', 'članak', 'izvanredan']),
  bs: new Set(['sedmica', 'historija', 'historije', 'nauka', 'nauke', 'porodica', 'porodice', 'porodicu', 'hljeb', 'voz', 'univerzitet', 'muzika', 'tokom', 'pozorište', 'uslov', 'uslovi', 'uslovima', 'tačka', 'tačno', 'garancija', 'upotreba', 'pasoš', 'ambasada', 'penzija', 'ljekar', 'firma', 'preduzeće', 'saobraćaj', 'fudbal', 'član']),
  // Serbian (ekavian) forms; their ijekavian counterparts (Bosnian, Croatian) below.
  sr: new Set(['vreme', 'vremena', 'deca', 'dece', 'dete', 'reč', 'reči', 'gde', 'uvek', 'mesto', 'mesta', 'svet', 'sveta', 'pre', 'posle', 'lepo', 'vera', 'vere', 'ceo', 'celo', 'mera', 'mere', 'primer', 'telo', 'tela', 'nedelja', 'istorija', 'opština', 'bezbednost', 'vazduh', 'hleb', 'lekar', 'pesma', 'razumevanje', 'poštovanje', 'sredina', 'ovde', 'sme', 'zdravlje']),
  ije: new Set(['vrijeme', 'vremena', 'djeca', 'djece', 'dijete', 'riječ', 'riječi', 'gdje', 'uvijek', 'mjesto', 'mjesta', 'svijet', 'svijeta', 'prije', 'poslije', 'lijepo', 'vjera', 'vjere', 'cijeli', 'cijelo', 'mjera', 'mjere', 'primjer', 'tijelo', 'tijela', 'nedjelja', 'smije', 'razumijevanje', 'pjesma']),
};
const CLOSE_GROUPS: ReadonlyArray<readonly string[]> = [['id', 'ms'], ['hr', 'bs', 'sr']];
/** A confusable pair is re-decided only when one side leads by this many marker words. */
const MARKER_MARGIN = 2;

function markerCounts(text: string, keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
  for (const m of text.toLowerCase().matchAll(/\p{L}+(?:-\p{L}+)*/gu)) {
    for (const k of keys) {
      if (STRONG_MARKERS[k]!.has(m[0])) counts[k] = counts[k]! + MARKER_MARGIN;
      else if (MARKERS[k]!.has(m[0])) counts[k] = counts[k]! + 1;
    }
  }
  // Indonesian writes "tanggung jawab" in two words, Malay in one (counted above).
  counts.id !== undefined && (counts.id += (text.match(/\btanggung jawab/giu) ?? []).length);
  return counts;
}

function closeLanguage(text: string, cld3Language: string): string | undefined {
  const group = CLOSE_GROUPS.find((g) => g.includes(cld3Language));
  if (!group) return undefined;
  if (group[0] === 'id') {
    const c = markerCounts(text, ['id', 'ms']);
    if (c.id! >= c.ms! + MARKER_MARGIN) return 'id';
    if (c.ms! >= c.id! + MARKER_MARGIN) return 'ms';
    return undefined;
  }
  if (dominantScript(text) !== 'Latin') return undefined; // Cyrillic Serbian: CLD3 knows it well
  const c = markerCounts(text, ['hr', 'bs', 'sr', 'ije']);
  if (c.sr! >= c.ije! + MARKER_MARGIN) return 'sr';
  if (c.hr! >= c.bs! + MARKER_MARGIN) return 'hr';
  if (c.bs! >= c.hr! + MARKER_MARGIN) return 'bs';
  return undefined;
}

function refineGuess(t: string, guess: LanguageGuess, ask: (t: string) => LanguageGuess): LanguageGuess {
  let g = guess;
  if (g.language === 'vi' && impossibleVietnamese(t)) {
    const again = ask(t.normalize('NFD').replace(TONE_MARKS, '').normalize('NFC'));
    if (again.language !== 'vi' && again.language !== 'und') g = again;
  }
  const close = closeLanguage(t, g.language);
  if (close && close !== g.language) g = { language: close, confidence: Math.max(g.confidence, 0.7), reliable: g.reliable };
  return g;
}

// ---- A free text: `feedsift language` and the UDHR evaluation ------------------------------

/**
 * Fewer letters than this in a script several languages share (Latin, Cyrillic, Arabic …) is
 * too little signal: CLD3 answers something for "ok" or "Hello", but it is a coin toss.
 */
export const MIN_LETTERS = 10;
/** Scripts that name the language by themselves need only this many letters. */
const MIN_LETTERS_OWN_SCRIPT = 2;

function identifyText(
  text: string,
  priors: LanguagePriors,
  detect: (text: string) => LanguageGuess,
  detectLanguages: (blocks: Block[], priors?: LanguagePriors) => DocumentLanguage,
): TextLanguage {
  const lines = text.split(/\n+/).map(normaliseText).filter(Boolean);
  const whole = lines.join(' ');
  const counts = scriptCounts(whole);
  const letters = [...counts.values()].reduce((a, b) => a + b, 0);
  const script = dominantScript(whole);
  const own = script ? SCRIPT_LANGUAGE[script] : undefined;
  if (!script || letters < (own ? MIN_LETTERS_OWN_SCRIPT : MIN_LETTERS)) {
    return { language: 'und', confidence: 0 };
  }
  const doc = detectLanguages(lines.map((l): Block => ({ kind: 'paragraph', text: l, linkDensity: 0 })), priors);
  if (doc.language !== 'und') {
    // A script used by one language overrules CLD3 (Japanese may be written in Han alone).
    if (own && own !== doc.language && !(script === 'Han' && doc.language === 'ja')) return { language: own, confidence: 0.8 };
    // The document's share of the vote times how sure CLD3 was of the blocks in its language.
    let weight = 0;
    let sure = 0;
    for (const b of doc.blocks) {
      if (b.language !== doc.language) continue;
      weight += b.text.length;
      sure += b.text.length * (b.languageConfidence ?? 0);
    }
    return { language: doc.language, confidence: round(doc.confidence * (weight ? sure / weight : 0.5)) };
  }
  // No block CLD3 vouches for (a short paragraph): its best guess on the whole text, with the
  // script as a check, at a confidence that says so.
  if (own) return { language: own, confidence: 0.8 };
  const g = detect(whole);
  if (g.language === 'und') return { language: 'und', confidence: 0 };
  return { language: g.language, confidence: round(Math.min(g.confidence, 0.5)) };
}

/** Weight of a text in the document vote: characters, CJK characters counted double (one carries about a word). */
function textWeight(text: string): number {
  let w = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    w += cp >= 0x1100 && isWide(cp) ? 2 : 1;
  }
  return w;
}

// Han, Kana and Hangul code points met so far (a text repeats few code points).
const wideCodePoints = new Map<number, boolean>();
function isWide(cp: number): boolean {
  let wide = wideCodePoints.get(cp);
  if (wide === undefined) {
    wide = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(String.fromCodePoint(cp));
    wideCodePoints.set(cp, wide);
  }
  return wide;
}

function labelBlocks(detect: (text: string) => LanguageGuess, blocks: Block[], priors: LanguagePriors): DocumentLanguage {
  // CLD3 is asked about a block only when its verdict is used (short Latin-script lines rarely need it).
  const guesses: Array<LanguageGuess | undefined> = new Array(blocks.length);
  const guess = (i: number): LanguageGuess => (guesses[i] ??= detect(blocks[i]!.text));
  const counts = blocks.map((b) => scriptCounts(b.text));
  const priorList = [priors.hint, priors.htmlLang, priors.feedLanguage]
    .filter((p): p is string => !!p)
    .map(normaliseLanguage)
    .filter((p) => p !== 'und');

  // Document language: CLD3's reliable verdicts on blocks, weighted by length and probability.
  const scores = new Map<string, number>();
  let total = 0;
  let allWeight = 0;
  blocks.forEach((b, i) => {
    const weight = textWeight(b.text);
    allWeight += weight;
    if (b.text.length < 20) return;
    const g = guess(i);
    if (!g.reliable || g.language === 'und') return;
    const w = weight * g.confidence * (b.text.length < SHORT_BLOCK_CHARS ? 0.5 : 1);
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

  const docCounts = new Map<Script, number>();
  for (const c of counts) for (const [script, n] of c) docCounts.set(script, (docCounts.get(script) ?? 0) + n);
  const docScript = dominantScriptOf(docCounts);
  // First pass: blocks whose language stands on their own (long enough, or a telling script).
  const labels = blocks.map((b, i) => labelAlone(b.text, counts[i]!, () => guess(i), language, docScript));
  const latin = counts.map((c) => dominantScriptOf(c) === 'Latin');
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
        const g = guess(i);
        label = g.reliable && g.confidence >= FOREIGN_LATIN_MIN_PROBABILITY ? g : { language: 'und', confidence: 0, reliable: false };
      }
    }
    return { ...b, language: label.language, languageConfidence: round(label.confidence) };
  });
  return { language, confidence: round(confidence), blocks: out };
}

/** A block's language from its own text, or undefined when only the context can tell. */
function labelAlone(
  text: string,
  counts: Map<Script, number>,
  cld3: () => LanguageGuess,
  docLanguage: string,
  docScript: Script | undefined,
): LanguageGuess | undefined {
  const script = dominantScriptOf(counts);
  if (!script) return { language: docLanguage, confidence: 0.5, reliable: false }; // digits and punctuation
  const long = text.length >= SHORT_BLOCK_CHARS;
  // A line with letters of the document's own non-Latin script is in the document's language
  // (a Han-only "関連記事" or a mixed "Speccyのportable版" in a Japanese page), unless CLD3 is
  // sure on a long text.
  if (docScript && docScript !== 'Latin' && sharesScript(counts, docScript) && !(long && cld3().reliable && cld3().confidence >= 0.9)) {
    return { language: docLanguage, confidence: 0.8, reliable: false };
  }
  if (script === 'Latin') {
    if (!long) return undefined;
    const guess = cld3();
    if (!guess.reliable || guess.language === 'und') return undefined;
    const foreign = guess.language !== docLanguage && docScript === 'Latin';
    if (foreign && (text.length < FOREIGN_LATIN_MIN_CHARS || guess.confidence < FOREIGN_LATIN_MIN_PROBABILITY)) return undefined;
    return guess;
  }
  const guess = cld3();
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

function sharesScript(counts: Map<Script, number>, docScript: Script): boolean {
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
