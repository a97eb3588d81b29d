// `feedsift extract`: the page stages on local HTML, as JSON Lines.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { decodeBytes } from '../../pipeline/charset.ts';
import { describeError, PermanentError } from '../../pipeline/errors.ts';
import { processPage } from '../../pipeline/process-page.ts';

interface ExtractInput {
  id: string;
  url?: string;
  html?: string;
  file?: string;
}

async function extractOne(input: ExtractInput): Promise<Record<string, unknown>> {
  try {
    let html = input.html;
    if (html === undefined) {
      if (!input.file) throw new PermanentError('extract', 'INVALID_JOB', 'each line needs "html" or "file"');
      html = decodeBytes(readFileSync(input.file), { kind: 'html' }).text;
    }
    const url = input.url ?? (input.file ? pathToFileURL(path.resolve(input.file)).toString() : 'about:blank');
    const r = await processPage(html, { url });
    return {
      id: input.id,
      title: r.page.title ?? null,
      byline: r.page.byline ?? null,
      siteName: r.page.siteName ?? null,
      publishedAt: r.page.publishedAt ?? null,
      canonicalUrl: r.page.canonicalUrl,
      htmlLang: r.page.htmlLang ?? null,
      language: r.language,
      languageConfidence: r.languageConfidence,
      wordCount: r.wordCount,
      text: r.text,
      removed: r.removed,
      blocks: r.kept.map((b) => ({ kind: b.kind, language: b.language, text: b.text })),
    };
  } catch (err) {
    const { code, message } = describeError(err);
    return { id: input.id, error: { code, message } };
  }
}

export async function runExtract(files: string[], io: { url?: string | undefined; stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream }): Promise<number> {
  const write = (o: unknown): void => void io.stdout.write(`${JSON.stringify(o)}\n`);
  if (files.length) {
    let failures = 0;
    for (const file of files) {
      const r = await extractOne({ id: file, file, ...(io.url ? { url: io.url } : {}) });
      if ('error' in r) failures++;
      write(r);
    }
    return failures ? 1 : 0;
  }
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (!line.trim()) continue;
    let input: ExtractInput;
    try {
      const parsed = JSON.parse(line) as Partial<ExtractInput>;
      if (parsed === null || typeof parsed !== 'object') throw new Error('not a JSON object');
      input = { ...parsed, id: parsed.id === undefined ? String(lineNo) : String(parsed.id) } as ExtractInput;
    } catch (err) {
      write({ id: String(lineNo), error: { code: 'INVALID_JOB', message: `extract: line ${lineNo} is not a JSON object: ${(err as Error).message}` } });
      continue;
    }
    write(await extractOne(input));
  }
  // in JSON Lines mode a failed input is an answer line, not a failed command
  return 0;
}
