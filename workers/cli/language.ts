// `feedsift language`: the language of free texts, as JSON Lines.
// In:  {id, text, htmlLang?, feedLanguage?, hint?} per line on stdin.
// Out: {id, language, confidence} per line, in the same order; `und` when the text gives too
//      little to tell (empty, digits only, a word or two); {id, error: {code, message}} for a
//      line that is not usable. A bad line never stops the run.
import { createInterface } from 'node:readline';
import { loadLanguageDetector, type LanguageDetector, type LanguagePriors } from '../../pipeline/language.ts';

type Answer = { id: string; language: string; confidence: number } | { id: string; error: { code: 'INVALID_JOB'; message: string } };

const PRIOR_FIELDS = ['htmlLang', 'feedLanguage', 'hint'] as const;

function answer(detector: LanguageDetector, line: string, lineNo: number): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    return invalid(String(lineNo), `line ${lineNo} is not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return invalid(String(lineNo), `line ${lineNo} is not a JSON object`);
  const o = parsed as Record<string, unknown>;
  const id = o.id === undefined || o.id === null ? String(lineNo) : String(o.id);
  if (typeof o.text !== 'string') return invalid(id, `line ${lineNo}: "text" must be a string`);
  const priors: LanguagePriors = {};
  for (const k of PRIOR_FIELDS) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') return invalid(id, `line ${lineNo}: "${k}" must be a string`);
    priors[k] = v;
  }
  const { language, confidence } = detector.identify(o.text, priors);
  return { id, language, confidence };
}

function invalid(id: string, message: string): Answer {
  return { id, error: { code: 'INVALID_JOB', message: `language: ${message}` } };
}

/** Reads JSON Lines until the end of `stdin`; always 0: a failed line is an answer line, not a failed command. */
export async function runLanguage(io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }): Promise<number> {
  const detector = await loadLanguageDetector();
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (!line.trim()) continue;
    io.stdout.write(`${JSON.stringify(answer(detector, line, lineNo))}\n`);
  }
  return 0;
}
