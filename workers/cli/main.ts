// feedsift's command line. Output meant for programs (JSON Lines) goes to stdout,
// logs and progress to stderr.
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { ALL_ROLES, type Role } from '../runtime.ts';
import { runCheckFeed } from './check-feed.ts';
import { runCluster } from './cluster.ts';
import { runCompare } from './compare.ts';
import { runDemo } from './demo.ts';
import { runExtract } from './extract.ts';
import { runFailedList, runFailedRetry } from './failed.ts';
import { runLanguage } from './language.ts';
import { loadOrExit, loggerFor, runOnceWithRedis, startForever, stderrProgress, summaryLines } from './run.ts';
import { registerFeedsCommands } from './feeds.ts';
import { runStatus } from './status.ts';
import { runTail } from './tail.ts';

function parseRoles(value: string): Role[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of roles) if (!(ALL_ROLES as readonly string[]).includes(r)) throw new Error(`unknown role "${r}" (roles: ${ALL_ROLES.join(', ')})`);
  return roles as Role[];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('a port number from 0 to 65535 (0: a free port)');
  return port;
}

export function buildCli(): Command {
  const program = new Command('feedsift')
    .description('Multilingual news-feed ingestion: feeds in, clean deduplicated stories out (BullMQ + Redis).')
    .showHelpAfterError()
    .addHelpText('after', '\nConfiguration: environment variables (see README.md › Configuration) and the feeds file (FEEDSIFT_FEEDS_FILE, default config/feeds.yaml).\nRedis: REDIS_URL if set, else a private redis-server started from PATH.');

  program
    .command('demo')
    .summary('the whole pipeline once on the bundled fixture outlets, summarised')
    .description('Run the whole pipeline once on the bundled fixture outlets (served on loopback) and summarise.')
    .option('--out <file>', 'write every published record (stories, duplicate notices, updates) as JSON Lines (default: not written)')
    .option('--keep', 'keep the run\'s keys in Redis (default: removed at the end)', false)
    .option('--timeout <seconds>', 'give up if the queues have not drained by then', '300')
    .option('--no-progress', 'no progress on stderr (default: a bar on a terminal, a plain line every few seconds otherwise)')
    .action(async (o: { out?: string; keep: boolean; timeout: string; progress: boolean }) => {
      const code = await runDemo({ out: o.out, keep: o.keep, timeoutMs: Number(o.timeout) * 1000, progress: o.progress });
      process.exitCode = code;
    });

  program
    .command('start')
    .summary('run the job schedulers and workers until SIGTERM/SIGINT')
    .description('Run job schedulers (one per feed) and workers until SIGTERM/SIGINT; in-flight jobs finish first.')
    .addOption(new Option('--roles <list>', `queues this process works on, comma-separated (${ALL_ROLES.join(',')})`).default(ALL_ROLES.join(',')))
    .option('--no-schedule', 'do not install/update the per-feed job schedulers (pure worker)')
    .option('--port <port>', 'port of the HTTP endpoint (/metrics, /healthz, /readyz, /ui); 0: a free one (default: FEEDSIFT_HTTP_PORT, 8080)', parsePort)
    .action(async (o: { roles: string; schedule: boolean; port?: number }) => {
      const config = loadOrExit({});
      await startForever(config, loggerFor(config, { cmd: 'start' }), parseRoles(o.roles), o.schedule, { port: o.port });
    });

  program
    .command('run')
    .summary('poll every configured feed once, drain the queues, summarise, exit')
    .description('Poll every configured feed once, wait until every queue is drained, summarise, exit.')
    .requiredOption('--once', 'required: run once and exit')
    .option('--out <file>', 'also write the output queues\' records as JSON Lines (default: not written)')
    .option('--timeout <seconds>', 'give up if the queues have not drained by then', '600')
    .option('--no-progress', 'no progress on stderr (default: a bar on a terminal, a plain line every few seconds otherwise)')
    .action(async (o: { out?: string; timeout: string; progress: boolean }) => {
      const config = loadOrExit({});
      const log = loggerFor(config, { cmd: 'run' });
      const progress = stderrProgress(o.progress);
      const result = await runOnceWithRedis({ config, log, timeoutMs: Number(o.timeout) * 1000, collectOutput: Boolean(o.out), ...(progress ? { onProgress: (p) => progress.update(p) } : {}) }).finally(() => progress?.finish());
      if (o.out) writeFileSync(o.out, result.records.map((r) => JSON.stringify(r)).join('\n') + (result.records.length ? '\n' : ''));
      process.stdout.write(`${summaryLines(result.summary).join('\n')}\n`);
    });

  program
    .command('extract')
    .summary('the page stages on local HTML: clean text, language, removed blocks (JSON Lines)')
    .description('Run the page stages (extract, language, strip) on local HTML files, or on JSON Lines {id, url?, html?|file?} from stdin.')
    .argument('[files...]', 'HTML files; none: read JSON Lines from stdin')
    .option('--url <url>', 'page URL to assume for the files (resolves relative links; default: the file\'s own file: URL)')
    .action(async (files: string[], o: { url?: string }) => {
      process.exitCode = await runExtract(files, { url: o.url, stdin: process.stdin, stdout: process.stdout });
    });

  program
    .command('language')
    .summary('the language of texts (JSON Lines in, JSON Lines out)')
    .description('Detect the language of texts: JSON Lines {id, text, htmlLang?, feedLanguage?, hint?} on stdin, {id, language, confidence} out, in order (`und` when it cannot tell).')
    .action(async () => {
      process.exitCode = await runLanguage({ stdin: process.stdin, stdout: process.stdout });
    });

  program
    .command('compare')
    .summary('would the pipeline call two articles one story? (JSON Lines)')
    .description('Would the pipeline call two articles one story? JSON Lines {id, a: {title, text, url?, publishedAt?, language?}, b: {…}} on stdin, {id, sameStory, score, level, evidence} out, in order (a fresh in-memory index per line).')
    .option('--window-hours <hours>', 'articles further apart than this never match', '72')
    .action(async (o: { windowHours: string }) => {
      process.exitCode = await runCompare({ stdin: process.stdin, stdout: process.stdout }, { windowHours: Number(o.windowHours) });
    });

  program
    .command('cluster')
    .summary('dry run of the deduplication over a dump of articles (JSON Lines)')
    .description('Dry run of the deduplication over a dump: JSON Lines articles {id, title, text, url?, publishedAt?, language?} on stdin, in order through one in-memory index; {id, storyId, kind, duplicateOf?, score?, level?, evidence?} out, in order.')
    .option('--window-hours <hours>', 'articles further apart than this never match', '72')
    .action(async (o: { windowHours: string }) => {
      process.exitCode = await runCluster({ stdin: process.stdin, stdout: process.stdout }, { windowHours: Number(o.windowHours) });
    });

  program
    .command('check-feed')
    .summary('fetch or read feeds and say what they are, before adding them')
    .description('Check feeds before adding them: fetch each URL with the configured HTTP client, or read each file, then decode and parse. Exit code 0 when every input is a feed.')
    .argument('<inputs...>', 'feed URLs (http/https) or files')
    .option('--json', 'one JSON line per input: {input, ok, format, title, items, error?: {code, message}}', false)
    .action(async (inputs: string[], o: { json: boolean }) => {
      const config = loadOrExit({ feeds: [] });
      process.exitCode = await runCheckFeed(inputs, { json: o.json, http: config.settings.http, stdout: process.stdout });
    });

  program
    .command('tail')
    .summary('print the output records as JSON lines: new ones, or all from the oldest')
    .description('Watch the output queues (stories, duplicates, updates) and print each record as a JSON line; only reads, so it takes no record from the real consumers. Runs until SIGINT/SIGTERM.')
    .option('--from-start', 'first replay every record the queues still hold, oldest first, then follow (default: only records published from now on)')
    .option('--drain', 'print what the queues hold now and exit (implies --from-start)', false)
    .action(async (o: { fromStart?: boolean; drain: boolean }) => {
      const config = loadOrExit({ feeds: [] });
      await runTail(config, { fromStart: Boolean(o.fromStart), drain: o.drain, stdout: process.stdout, log: loggerFor(config, { cmd: 'tail' }) });
    });

  program
    .command('status')
    .summary('queue counts, schedulers, counters and per-feed health (--json)')
    .description('What the pipeline holds now: job counts of every internal and output queue, the job schedulers, the outcome counters, and each configured feed\'s health (last success, last error, failures in a row, poll schedule).')
    .option('--json', 'one JSON object: {prefix, queues, schedulers, stats, feeds: [{id, url, name?, health, lastPollAt, lastSuccessAt, lastErrorAt, lastError, consecutiveFailures, nextPollAt, intervalS, pollReason, flagged, …}]} (times ISO 8601, null when never)', false)
    .action(async (o: { json: boolean }) => {
      const config = loadOrExit({});
      process.exitCode = await runStatus(config, { json: o.json, stdout: process.stdout });
    });

  registerFeedsCommands(program);

  const failed = program
    .command('failed')
    .summary('list the failed jobs of the internal queues, retry them')
    .description('Inspect and retry the jobs of the internal queues (poll, article, dedupe) that failed for good.');
  failed
    .command('list')
    .summary('list failed jobs with their reason')
    .description('List failed jobs: queue, job id, failed at, attempts, target URL, reason ([CODE] stage: message).')
    .option('--queue <queue>', 'only this queue: poll, article or dedupe (default: all three)')
    .option('--json', 'one JSON line per job: {queue, jobId, target, reason, attempts, failedAt}', false)
    .action(async (o: { queue?: string; json: boolean }) => {
      const config = loadOrExit({ feeds: [] });
      process.exitCode = await runFailedList(config, o, { stdout: process.stdout, stderr: process.stderr });
    });
  failed
    .command('retry')
    .summary('move failed jobs back to wait')
    .description('Move failed jobs back to wait so the workers run them again (their attempts start afresh).')
    .argument('[ids...]', 'job ids (as `failed list` shows them; `queue:id` also accepted)')
    .option('--all', 'every failed job (of --queue, else of every internal queue)', false)
    .option('--queue <queue>', 'only this queue: poll, article or dedupe (default: all three)')
    .option('--json', 'one JSON line per retried job', false)
    .action(async (ids: string[], o: { queue?: string; all: boolean; json: boolean }) => {
      const config = loadOrExit({ feeds: [] });
      process.exitCode = await runFailedRetry(config, { ...o, ids }, { stdout: process.stdout, stderr: process.stderr });
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv);
}
