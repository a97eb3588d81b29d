// `feedsift feeds add|list|remove|import|export`: the feeds file (FEEDSIFT_FEEDS_FILE, default
// config/feeds.yaml) edited from the command line. Edits go through the `yaml` package's
// Document API, so the file's comments, key order and formatting stay as they were; every edit
// is validated exactly as `feedsift start` would load the file before it is written (atomically:
// a temporary file renamed over the old one), and a file with problems is not written.
import { Option, type Command } from 'commander';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, parseDocument, type Document, type YAMLSeq } from 'yaml';
import { feedIdFor, formatProblem, readFeedsFile, type ConfigProblem } from '../../config/load.ts';
import { parseOpml, toOpml, type OpmlFeed } from '../../config/opml.ts';
import { feedEntrySchema, feedsFileSchema } from '../../config/schema.ts';
import type { FeedConfig } from '../../pipeline/records.ts';
import { cleanUrl } from '../../pipeline/url.ts';
import { loadOrExit } from './run.ts';

export interface FeedsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A configured feed and where it is configured. */
export interface ListedFeed extends FeedConfig {
  /** `feeds.N` of the feeds file, or `import:<path of the OPML file>`. */
  from: string;
}

/** What `feeds add` and `feeds import` write for one feed (the keys of a feeds-file entry). */
export interface FeedEntry {
  url: string;
  name?: string;
  id?: string;
  /** As the feeds file takes it: seconds, or "90s", "15m", "2h", "1d". */
  pollInterval?: string | number;
  language?: string;
}

const NEW_FILE_HEADER =
  " feedsift's feeds (created by `feedsift feeds`). Per feed: url (required), name, id, pollInterval\n" +
  ' (seconds or "90s", "15m", "2h"), language (a prior for detection, e.g. "en"). See README.md › Configuration.';

/** The feeds file as a YAML document, with what it configures. */
class FeedsFile {
  readonly file: string;
  readonly doc: Document;
  constructor(file: string) {
    this.file = file;
    if (existsSync(file)) {
      this.doc = parseDocument(readFileSync(file, 'utf8'));
      if (this.doc.errors.length) throw new FeedsCommandError(`${file} is not valid YAML: ${this.doc.errors[0]!.message.split('\n')[0]}`);
    } else {
      this.doc = parseDocument('feeds: []\n');
      this.doc.commentBefore = NEW_FILE_HEADER;
    }
  }

  /** The `feeds:` sequence, created when absent (block style, so that entries go one per line). */
  entries(): YAMLSeq {
    if (this.doc.contents !== null && !isMap(this.doc.contents)) throw new FeedsCommandError(`${this.file}: the top level must be a mapping with a "feeds:" list`);
    let seq = this.doc.get('feeds', true);
    if (seq === undefined || seq === null || (!isSeq(seq) && (seq as { value?: unknown }).value === null)) {
      this.doc.set('feeds', this.doc.createNode([]));
      seq = this.doc.get('feeds', true);
    }
    if (!isSeq(seq)) throw new FeedsCommandError(`${this.file} › feeds: must be a list`);
    seq.flow = false;
    return seq;
  }

  /** The feeds the file configures (its own, then its OPML imports), as `feedsift start` loads them. */
  load(): { feeds: ListedFeed[]; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const feeds = readFeedsFile(this.file, this.text(), problems);
    const own = this.ownCount();
    const from: string[] = Array.from({ length: own }, (_, i) => `feeds.${i}`);
    // the imports follow the file's own feeds, in the order readFeedsFile reads them
    const parsed = feedsFileSchema.safeParse(this.doc.toJS() ?? {});
    for (const rel of parsed.success ? parsed.data.import : []) {
      const opmlPath = path.resolve(path.dirname(this.file), rel);
      try {
        for (let k = parseOpml(readFileSync(opmlPath, 'utf8')).length; k > 0; k--) from.push(`import:${opmlPath}`);
      } catch {
        // readFeedsFile has reported it
      }
    }
    return { feeds: feeds.map((f, i) => ({ ...f, from: from[i] ?? 'import' })), problems };
  }

  private ownCount(): number {
    const seq = this.doc.get('feeds', true);
    return isSeq(seq) ? seq.items.length : 0;
  }

  text(): string {
    return String(this.doc);
  }

  /** The default poll interval of the file, in seconds (defaults.pollInterval). */
  defaultIntervalSeconds(): number {
    const parsed = feedsFileSchema.safeParse(this.doc.toJS() ?? {});
    return parsed.success ? parsed.data.defaults.pollInterval : 900;
  }

  /**
   * Writes the edited document in place of the old file (a temporary file renamed over it).
   * With `validate`, first checks it as the loader would and refuses to write a file with problems.
   */
  save(opts: { validate: boolean } = { validate: true }): void {
    if (opts.validate) {
      const problems: ConfigProblem[] = [];
      readFeedsFile(this.file, this.text(), problems);
      if (problems.length) {
        throw new FeedsCommandError(`not written: ${this.file} would have ${problems.length} problem(s):\n${problems.map(formatProblem).join('\n')}`);
      }
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, this.text());
    renameSync(tmp, this.file);
  }
}

/** An error the command reports as one message and exit code 1. */
export class FeedsCommandError extends Error {}

/** Same feed: same id, or the same URL once tracking parameters and fragments are removed. */
function sameFeed(a: { id: string; url: string }, b: { id: string; url: string }): boolean {
  return a.id === b.id || cleanUrl(a.url) === cleanUrl(b.url);
}

function describeFrom(f: ListedFeed, file: string): string {
  return f.from.startsWith('import:') ? `imported from ${f.from.slice('import:'.length)}` : `${file} › ${f.from}`;
}

/** Checks one entry against the feeds file's schema; the message names the field. */
function validateEntry(entry: FeedEntry): void {
  const r = feedEntrySchema.safeParse(entry);
  if (!r.success) throw new FeedsCommandError(r.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; '));
}

/** A poll interval as the feeds file takes it: "600" → 600, "10m" stays "10m". */
function intervalValue(v: string): string | number {
  return /^\d+$/.test(v.trim()) ? Number(v) : v.trim();
}

function entryNode(entry: FeedEntry): Record<string, string | number> {
  const node: Record<string, string | number> = { url: entry.url };
  if (entry.name !== undefined) node.name = entry.name;
  if (entry.id !== undefined) node.id = entry.id;
  if (entry.pollInterval !== undefined) node.pollInterval = entry.pollInterval;
  if (entry.language !== undefined) node.language = entry.language;
  return node;
}

export interface AddOptions {
  name?: string | undefined;
  id?: string | undefined;
  languageHint?: string | undefined;
  pollInterval?: string | undefined;
}

/** `feeds add URL`: appends one entry; refuses a URL or id already configured. */
export function addFeed(file: string, url: string, opts: AddOptions): FeedConfig {
  const entry: FeedEntry = { url };
  if (opts.name !== undefined) entry.name = opts.name;
  if (opts.id !== undefined) entry.id = opts.id;
  if (opts.pollInterval !== undefined) entry.pollInterval = intervalValue(opts.pollInterval);
  if (opts.languageHint !== undefined) entry.language = opts.languageHint;
  validateEntry(entry);
  const feeds = new FeedsFile(file);
  const { feeds: existing, problems } = feeds.load();
  if (problems.length) throw new FeedsCommandError(`${file} has ${problems.length} problem(s); fix them first:\n${problems.map(formatProblem).join('\n')}`);
  const candidate = { id: entry.id ?? feedIdFor(url), url };
  const clash = existing.find((f) => sameFeed(f, candidate));
  if (clash) {
    const what = clash.id === candidate.id && cleanUrl(clash.url) !== cleanUrl(url) ? `the id "${candidate.id}" is taken by ${clash.url}` : `${url} is already configured as "${clash.id}"`;
    throw new FeedsCommandError(`not added: ${what} (${describeFrom(clash, file)})`);
  }
  feeds.entries().items.push(feeds.doc.createNode(entryNode(entry)));
  feeds.save();
  const added = feeds.load().feeds.find((f) => f.id === candidate.id);
  if (!added) throw new FeedsCommandError(`added, but ${url} is not among the feeds the file configures`);
  return added;
}

/** `feeds list`: every configured feed (the file's own, then its OPML imports). */
export function listFeeds(file: string): ListedFeed[] {
  if (!existsSync(file)) throw new FeedsCommandError(`no feeds file at ${file} (set FEEDSIFT_FEEDS_FILE, or add a feed with \`feedsift feeds add URL\`)`);
  const { feeds, problems } = new FeedsFile(file).load();
  if (problems.length) throw new FeedsCommandError(`${problems.length} problem(s) in the configuration:\n${problems.map(formatProblem).join('\n')}`);
  return feeds;
}

/** `feeds remove ID|URL`: removes the file's entry with that id or URL. Returns what was removed. */
export function removeFeed(file: string, idOrUrl: string): { url: string; id: string; remainingProblems: ConfigProblem[] } {
  if (!existsSync(file)) throw new FeedsCommandError(`no feeds file at ${file}`);
  const feeds = new FeedsFile(file);
  const seq = feeds.entries();
  const wanted = (url: string, id: string): boolean => id === idOrUrl || (/^[a-z]+:\/\//i.test(idOrUrl) && cleanUrl(url) === cleanUrl(idOrUrl));
  // matched on the raw entries, so that a file with problems can still be mended
  const index = seq.items.findIndex((item) => {
    const raw = isMap(item) ? (item.toJSON() as Record<string, unknown>) : {};
    if (typeof raw.url !== 'string') return false;
    return wanted(raw.url, typeof raw.id === 'string' ? raw.id : feedIdFor(raw.url));
  });
  if (index < 0) {
    const imported = feeds.load().feeds.find((f) => f.from.startsWith('import:') && wanted(f.url, f.id));
    if (imported) throw new FeedsCommandError(`${idOrUrl} is ${describeFrom(imported, file)}: remove it from that OPML file, or the file from "import:"`);
    throw new FeedsCommandError(`no feed "${idOrUrl}" in ${file} (see \`feedsift feeds list\`)`);
  }
  const raw = (seq.items[index] as { toJSON(): Record<string, unknown> }).toJSON();
  seq.items.splice(index, 1);
  // a removal adds no problem: a file that had some is written (and they are reported)
  feeds.save({ validate: false });
  const url = String(raw.url);
  return { url, id: typeof raw.id === 'string' ? raw.id : feedIdFor(url), remainingProblems: feeds.load().problems };
}

/** `feeds import FILE.opml`: adds every subscription not configured yet. */
export function importOpml(file: string, opmlFile: string, io: Pick<FeedsIo, 'stderr'>): { added: FeedConfig[]; skipped: number } {
  let subscriptions: OpmlFeed[];
  try {
    subscriptions = parseOpml(readFileSync(opmlFile, 'utf8'));
  } catch (err) {
    throw new FeedsCommandError(`cannot import ${opmlFile}: ${(err as Error).message}`);
  }
  const feeds = new FeedsFile(file);
  const { feeds: existing, problems } = feeds.load();
  if (problems.length) throw new FeedsCommandError(`${file} has ${problems.length} problem(s); fix them first:\n${problems.map(formatProblem).join('\n')}`);
  const defaultInterval = feeds.defaultIntervalSeconds();
  const known: Array<{ id: string; url: string }> = [...existing];
  const seq = feeds.entries();
  const addedIds: string[] = [];
  let skipped = 0;
  for (const s of subscriptions) {
    const entry: FeedEntry = { url: s.url };
    if (s.name) entry.name = s.name;
    // only what differs from what the file would derive anyway is written
    if (s.id && s.id !== feedIdFor(s.url)) entry.id = s.id;
    if (s.pollIntervalSeconds !== undefined && s.pollIntervalSeconds !== defaultInterval) entry.pollInterval = formatInterval(s.pollIntervalSeconds);
    if (s.language) entry.language = s.language;
    for (const field of ['language', 'id', 'pollInterval'] as const) {
      if (entry[field] === undefined) continue;
      const r = feedEntrySchema.safeParse(entry);
      if (r.success || !r.error.issues.some((i) => i.path[0] === field)) continue;
      io.stderr.write(`${s.url}: ${field} ${JSON.stringify(entry[field])} ignored (${r.error.issues.find((i) => i.path[0] === field)!.message})\n`);
      delete entry[field];
    }
    const candidate = { id: entry.id ?? feedIdFor(s.url), url: s.url };
    const clash = known.find((f) => sameFeed(f, candidate));
    if (clash) {
      io.stderr.write(`skipped ${s.url}: already configured as "${clash.id}"\n`);
      skipped++;
      continue;
    }
    seq.items.push(feeds.doc.createNode(entryNode(entry)));
    known.push(candidate);
    addedIds.push(candidate.id);
  }
  if (addedIds.length) feeds.save();
  const loaded = feeds.load().feeds;
  return { added: addedIds.map((id) => loaded.find((f) => f.id === id)!).filter(Boolean), skipped };
}

/** `feeds export [FILE]`: every configured feed as OPML 2.0 (what `feeds import` reads back). */
export function exportOpml(file: string): { opml: string; count: number } {
  const feeds = listFeeds(file);
  const opml = toOpml(
    feeds.map((f) => ({
      url: f.url,
      ...(f.name ? { name: f.name } : {}),
      ...(f.languageHint ? { language: f.languageHint } : {}),
      // a derived id need not travel: the importer derives the same one from the URL
      ...(f.id !== feedIdFor(f.url) ? { id: f.id } : {}),
      pollIntervalSeconds: f.pollIntervalSeconds,
    })),
    { title: `feedsift feeds (${path.basename(file)})` },
  );
  return { opml, count: feeds.length };
}

/** 900 → "15m", 5400 → "90m", 86400 → "1d", 45 → "45s". */
export function formatInterval(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** The human `feeds list` table: one line per feed, columns aligned. */
export function feedTable(feeds: readonly ListedFeed[]): string[] {
  const rows = feeds.map((f) => [f.id, formatInterval(f.pollIntervalSeconds), f.languageHint ?? '-', f.name ?? '-', f.url, f.from.startsWith('import:') ? `import ${path.basename(f.from.slice(7))}` : f.from]);
  const header = ['id', 'every', 'lang', 'name', 'url', 'from'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** Runs one of the commands, printing errors as one message; exit code 0, or 1 on a refused edit. */
export async function runFeedsCommand(io: FeedsIo, fn: () => void | Promise<void>): Promise<number> {
  try {
    await fn();
    return 0;
  } catch (err) {
    if (err instanceof FeedsCommandError) {
      io.stderr.write(`feedsift feeds: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The feeds file a command works on: --file, else FEEDSIFT_FEEDS_FILE, else config/feeds.yaml (relative to the working directory). */
function feedsFileOf(o: { file?: string }): string {
  return path.resolve(o.file ?? loadOrExit({ feeds: [] }).settings.feedsFile);
}

/** `feedsift feeds …` with its five subcommands. */
export function registerFeedsCommands(program: Command): void {
  const io: FeedsIo = { stdout: process.stdout, stderr: process.stderr };
  const run = async (fn: () => void): Promise<void> => {
    process.exitCode = await runFeedsCommand(io, fn);
  };
  const fileOption = (): Option => new Option('--file <path>', 'the feeds file to work on (default: FEEDSIFT_FEEDS_FILE, else config/feeds.yaml)');
  const feeds = program
    .command('feeds')
    .summary('add, list, remove, import and export the configured feeds (the feeds file)')
    .description('Edit and read the feeds file: add, list, remove, import OPML, export OPML. Comments and layout of the file are kept; every edit is validated as `start` would load the file, and a file with problems is not written.');

  feeds
    .command('add')
    .summary('add a feed to the feeds file')
    .description('Add a feed to the feeds file. Refused, with the reason, when the URL is not http(s), an option is invalid, or the URL or id is already configured (also through an OPML import). Tip: `feedsift check-feed URL` first.')
    .argument('<url>', 'the feed\'s URL (RSS, Atom, RDF or JSON Feed; http or https)')
    .option('--name <name>', 'display name of the outlet (default: the feed\'s own title, else its host)')
    .option('--id <id>', 'stable id used in job ids and Redis keys (default: the host plus a hash of the URL)')
    .option('--language-hint <tag>', 'BCP-47 language the feed is expected in, e.g. "en": a prior for detection, not a filter (default: none)')
    .option('--poll-interval <duration>', 'how often to poll: seconds, or "90s", "15m", "2h", "1d" (default: the file\'s defaults.pollInterval, 15m)')
    .addOption(fileOption())
    .action((url: string, o: AddOptions & { file?: string }) =>
      run(() => {
        const file = feedsFileOf(o);
        const f = addFeed(file, url, o);
        io.stdout.write(`added "${f.id}": ${f.url} (every ${formatInterval(f.pollIntervalSeconds)}${f.languageHint ? `, language ${f.languageHint}` : ''}) to ${file}\n`);
      }),
    );

  feeds
    .command('list')
    .summary('list the configured feeds (--json)')
    .description('List the configured feeds (the file\'s own, then those of its OPML imports): id, poll interval, language hint, name, URL, where configured.')
    .option('--json', 'one JSON line per feed: {id, url, name?, pollIntervalSeconds, languageHint?, filters?, from}', false)
    .addOption(fileOption())
    .action((o: { json: boolean; file?: string }) =>
      run(() => {
        const list = listFeeds(feedsFileOf(o));
        if (o.json) for (const f of list) io.stdout.write(`${JSON.stringify(f)}\n`);
        else io.stdout.write(`${feedTable(list).join('\n')}\n`);
      }),
    );

  feeds
    .command('remove')
    .summary('remove a feed by id or URL')
    .description('Remove a feed from the feeds file, by id or by URL (its state in Redis is left alone; `start` removes its job scheduler).')
    .argument('<id-or-url>', 'the feed\'s id (as `feeds list` shows it) or its URL')
    .addOption(fileOption())
    .action((idOrUrl: string, o: { file?: string }) =>
      run(() => {
        const file = feedsFileOf(o);
        const r = removeFeed(file, idOrUrl);
        io.stdout.write(`removed "${r.id}": ${r.url} from ${file}\n`);
        if (r.remainingProblems.length) io.stderr.write(`${file} still has ${r.remainingProblems.length} problem(s):\n${r.remainingProblems.map(formatProblem).join('\n')}\n`);
      }),
    );

  feeds
    .command('import')
    .summary('add the feeds of an OPML file')
    .description('Add the subscriptions of an OPML file (a feed reader\'s export, or `feeds export`) to the feeds file; feeds already configured are skipped and named.')
    .argument('<file.opml>', 'the OPML file')
    .addOption(fileOption())
    .action((opmlFile: string, o: { file?: string }) =>
      run(() => {
        const file = feedsFileOf(o);
        const r = importOpml(file, opmlFile, io);
        for (const f of r.added) io.stdout.write(`added "${f.id}": ${f.url}\n`);
        io.stderr.write(`${r.added.length} feed(s) added to ${file}, ${r.skipped} already configured\n`);
      }),
    );

  feeds
    .command('export')
    .summary('write the configured feeds as OPML')
    .description('Write every configured feed as OPML 2.0 (url, name, language, and feedsift\'s id and poll interval as feedsift: attributes): what `feeds import` and feed readers read. A feed\'s filters are not carried by OPML.')
    .argument('[file]', 'where to write the OPML (default: stdout)')
    .addOption(fileOption())
    .action((out: string | undefined, o: { file?: string }) =>
      run(() => {
        const { opml, count } = exportOpml(feedsFileOf(o));
        if (!out) return void io.stdout.write(opml);
        writeFileSync(out, opml);
        io.stderr.write(`wrote ${count} feed(s) to ${out}\n`);
      }),
    );
}
