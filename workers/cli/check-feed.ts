// `feedsift check-feed URL|FILE...`: what the poll stage would make of a feed, for an operator
// before adding it. A URL is fetched with the configured HTTP client (pollFeed: same limits,
// host overrides and User-Agent as the workers); a file is read, decoded and parsed as a
// fetched body would be.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeBytes } from '../../pipeline/charset.ts';
import { describeError, PermanentError } from '../../pipeline/errors.ts';
import { parseFeed, pollFeed } from '../../pipeline/fetch-feed.ts';
import type { HttpOptions } from '../../pipeline/http.ts';
import type { ParsedFeed } from '../../pipeline/records.ts';

/** One line of `--json` output. */
export interface CheckResult {
  input: string;
  ok: boolean;
  format: ParsedFeed['format'] | null;
  title: string | null;
  items: number;
  error?: { code: string; message: string };
  /** Problems the parser recovered from (only when there are some). */
  warnings?: string[];
}

interface Checked {
  feed: ParsedFeed;
  charset: string;
  /** Where the feed was read from in the end (a URL after redirects, or the file's URL). */
  source: string;
}

/** Anything with a scheme goes to the HTTP client, which refuses what is not http(s); the rest is a path. */
const looksLikeUrl = (input: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(input);

async function checkOne(input: string, http: HttpOptions): Promise<Checked> {
  if (looksLikeUrl(input)) {
    const outcome = await pollFeed({ id: 'check-feed', url: input, pollIntervalSeconds: 0 }, {}, http);
    // No validators were sent, so a 304 cannot happen; be explicit anyway.
    if (outcome.notModified) throw new PermanentError('fetch-feed', 'HTTP_STATUS', `304 Not Modified without a conditional request (${input})`, { url: input, status: 304 });
    return { feed: outcome.feed, charset: outcome.charset, source: outcome.finalUrl };
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(input);
  } catch (err) {
    throw new PermanentError('fetch-feed', 'BAD_URL', `neither an http(s) URL nor a readable file: ${input} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  // The same choice pollFeed makes without a Content-Type: JSON when the text starts like JSON.
  const head = bytes.subarray(0, 64).toString('latin1').replace(/^(\xEF\xBB\xBF|\xFE\xFF|\xFF\xFE)/, '');
  const kind = /^\s*[{[]/.test(head) ? 'json' : 'xml';
  const decoded = decodeBytes(bytes, { kind });
  const source = pathToFileURL(path.resolve(input)).href;
  return { feed: parseFeed(decoded.text, { url: source }), charset: decoded.charset, source };
}

export async function checkFeed(input: string, http: HttpOptions): Promise<{ result: CheckResult; checked?: Checked }> {
  try {
    const checked = await checkOne(input, http);
    const { feed } = checked;
    const result: CheckResult = { input, ok: true, format: feed.format, title: feed.title ?? null, items: feed.items.length };
    if (feed.warnings?.length) result.warnings = feed.warnings;
    return { result, checked };
  } catch (err) {
    const { code, message } = describeError(err);
    return { result: { input, ok: false, format: null, title: null, items: 0, error: { code, message } } };
  }
}

const FIRST_ITEMS = 5;

function humanLines(result: CheckResult, checked: Checked | undefined): string[] {
  if (!result.ok || !checked) return [`✗ ${result.input}`, `  error ${result.error?.code}: ${result.error?.message}`];
  const { feed } = checked;
  const lines = [
    `✓ ${result.input}`,
    `  format:   ${feed.format}${checked.source !== result.input ? ` (read from ${checked.source})` : ''}`,
    `  charset:  ${checked.charset}`,
    `  title:    ${feed.title ?? '(none)'}`,
    ...(feed.link ? [`  link:     ${feed.link}`] : []),
    ...(feed.language ? [`  language: ${feed.language}`] : []),
    `  items:    ${feed.items.length}`,
  ];
  for (const item of feed.items.slice(0, FIRST_ITEMS)) {
    lines.push(`    - ${item.title ?? '(untitled)'}${item.publishedAt ? ` [${item.publishedAt}]` : ''}`, `      ${item.link}`);
  }
  if (feed.items.length > FIRST_ITEMS) lines.push(`    … ${feed.items.length - FIRST_ITEMS} more`);
  for (const w of feed.warnings ?? []) lines.push(`  warning:  ${w}`);
  return lines;
}

/** Checks every input in order; exit code 0 when all are feeds, 1 otherwise. */
export async function runCheckFeed(inputs: string[], opts: { json: boolean; http: HttpOptions; stdout: NodeJS.WritableStream }): Promise<number> {
  let failures = 0;
  for (const input of inputs) {
    const { result, checked } = await checkFeed(input, opts.http);
    if (!result.ok) failures++;
    opts.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${humanLines(result, checked).join('\n')}\n`);
  }
  return failures ? 1 : 0;
}
