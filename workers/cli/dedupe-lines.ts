// What `feedsift compare` and `feedsift cluster` share: JSON Lines in, one answer per line out,
// in order; a bad line answers {id, error: {code, message}} and the run goes on.
import { createInterface } from 'node:readline';
import { describeError, PermanentError } from '../../pipeline/errors.ts';
import { loadLanguageDetector, type LanguageDetector } from '../../pipeline/language.ts';

export interface LineIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}

/**
 * Calls `answer` for every non-blank line (parsed JSON, its number, its id or the line number)
 * and writes what it returns; errors become answer lines. Always 0: a failed line is an
 * answer, not a failed command.
 */
export async function eachJsonLine(
  io: LineIo,
  answer: (value: unknown, lineNo: number, id: string) => Promise<object>,
): Promise<number> {
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (!line.trim()) continue;
    let id = String(lineNo);
    let out: object;
    try {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new PermanentError('dedupe', 'INVALID_JOB', `line ${lineNo} is not JSON: ${(err as Error).message}`);
      }
      const raw = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
      if (raw !== undefined && raw !== null) id = String(raw);
      out = await answer(value, lineNo, id);
    } catch (err) {
      const { code, message } = describeError(err);
      out = { id, error: { code, message } };
    }
    io.stdout.write(`${JSON.stringify(out)}\n`);
  }
  return 0;
}

/**
 * The language the pipeline's language stage finds, for inputs without one. CLD3 is loaded on
 * first use only: inputs that all carry a language never load it.
 */
export function languageFinder(): (title: string, text: string) => Promise<string> {
  let detector: Promise<LanguageDetector> | undefined;
  return async (title, text) => {
    detector ??= loadLanguageDetector();
    return (await detector).identify(title ? `${title}\n${text}` : text).language;
  };
}
