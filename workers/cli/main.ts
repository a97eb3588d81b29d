// feedsift's command line. Output meant for programs (JSON Lines) goes to stdout,
// logs and progress to stderr.
import { Command, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { ALL_ROLES, type Role } from '../runtime.ts';
import { runCheckFeed } from './check-feed.ts';
import { runCluster } from './cluster.ts';
import { runCompare } from './compare.ts';
import { runDemo } from './demo.ts';
import { runExtract } from './extract.ts';
import { runFailedList, runFailedRetry } from './failed.ts';
import { runLanguage } from './language.ts';
import { loadOrExit, loggerFor, runOnceWithRedis, startForever, summaryLines } from './run.ts';
import { runTail } from './tail.ts';

function parseRoles(value: string): Role[] {
  const roles = value.split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of roles) if (!(ALL_ROLES as readonly string[]).includes(r)) throw new Error(`unknown role "${r}" (roles: ${ALL_ROLES.join(', ')})`);
  return roles as Role[];
}

export function buildCli(): Command {
  const program = new Command('feedsift')
    .description('Multilingual news-feed ingestion: feeds in, clean deduplicated stories out (BullMQ + Redis).')
    .showHelpAfterError()
    .addHelpText('after', '\nConfiguration: environment variables (see README.md › Configuration) and the feeds file (FEEDSIFT_FEEDS_FILE, default config/feeds.yaml).\nRedis: REDIS_URL if set, else a private redis-server started from PATH.');

  program
    .command('demo')
    .description('Run the whole pipeline once on the bundled fixture outlets (served on loopback) and summarise.')
    .option('--out <file>', 'write every published record (stories and duplicate notices) as JSON Lines')
    .option('--keep', 'keep the run\'s keys in Redis (default: removed at the end)', false)
    .option('--timeout <seconds>', 'give up if the queues have not drained by then', '300')
    .action(async (o: { out?: string; keep: boolean; timeout: string }) => {
      const code = await runDemo({ out: o.out, keep: o.keep, timeoutMs: Number(o.timeout) * 1000 });
      process.exitCode = code;
    });

  program
    .command('start')
    .description('Run job schedulers (one per feed) and workers until SIGTERM/SIGINT; in-flight jobs finish first.')
    .addOption(new Option('--roles <list>', `queues this process works on, comma-separated (${ALL_ROLES.join(',')})`).default(ALL_ROLES.join(',')))
    .option('--no-schedule', 'do not install/update the per-feed job schedulers (pure worker)')
    .action(async (o: { roles: string; schedule: boolean }) => {
      const config = loadOrExit({});
      await startForever(config, loggerFor(config, { cmd: 'start' }), parseRoles(o.roles), o.schedule);
    });

  program
    .command('run')
    .description('Poll every configured feed once, wait until every queue is drained, summarise, exit.')
    .requiredOption('--once', 'required: run once and exit')
    .option('--out <file>', 'also write the output queues\' records as JSON Lines')
    .option('--timeout <seconds>', 'give up if the queues have not drained by then', '600')
    .action(async (o: { out?: string; timeout: string }) => {
      const config = loadOrExit({});
      const log = loggerFor(config, { cmd: 'run' });
      const result = await runOnceWithRedis({ config, log, timeoutMs: Number(o.timeout) * 1000, collectOutput: Boolean(o.out) });
      if (o.out) writeFileSync(o.out, result.records.map((r) => JSON.stringify(r)).join('\n') + (result.records.length ? '\n' : ''));
      process.stdout.write(`${summaryLines(result.summary).join('\n')}\n`);
    });

  program
    .command('extract')
    .description('Run the page stages (extract, language, strip) on local HTML files, or on JSON Lines {id, url?, html?|file?} from stdin.')
    .argument('[files...]', 'HTML files; none: read JSON Lines from stdin')
    .option('--url <url>', 'page URL to assume for the files (resolves relative links)')
    .action(async (files: string[], o: { url?: string }) => {
      process.exitCode = await runExtract(files, { url: o.url, stdin: process.stdin, stdout: process.stdout });
    });

  program
    .command('language')
    .description('Detect the language of texts: JSON Lines {id, text, htmlLang?, feedLanguage?, hint?} on stdin, {id, language, confidence} out, in order (`und` when it cannot tell).')
    .action(async () => {
      process.exitCode = await runLanguage({ stdin: process.stdin, stdout: process.stdout });
    });

  program
    .command('compare')
    .description('Would the pipeline call two articles one story? JSON Lines {id, a: {title, text, url?, publishedAt?, language?}, b: {…}} on stdin, {id, sameStory, score, level, evidence} out, in order (a fresh in-memory index per line).')
    .option('--window-hours <hours>', 'articles further apart than this never match', '72')
    .action(async (o: { windowHours: string }) => {
      process.exitCode = await runCompare({ stdin: process.stdin, stdout: process.stdout }, { windowHours: Number(o.windowHours) });
    });

  program
    .command('cluster')
    .description('Dry run of the deduplication over a dump: JSON Lines articles {id, title, text, url?, publishedAt?, language?} on stdin, in order through one in-memory index; {id, storyId, kind, duplicateOf?, score?, level?, evidence?} out, in order.')
    .option('--window-hours <hours>', 'articles further apart than this never match', '72')
    .action(async (o: { windowHours: string }) => {
      process.exitCode = await runCluster({ stdin: process.stdin, stdout: process.stdout }, { windowHours: Number(o.windowHours) });
    });

  program
    .command('check-feed')
    .description('Check feeds before adding them: fetch each URL with the configured HTTP client, or read each file, then decode and parse. Exit code 0 when every input is a feed.')
    .argument('<inputs...>', 'feed URLs (http/https) or files')
    .option('--json', 'one JSON line per input: {input, ok, format, title, items, error?: {code, message}}', false)
    .action(async (inputs: string[], o: { json: boolean }) => {
      const config = loadOrExit({ feeds: [] });
      process.exitCode = await runCheckFeed(inputs, { json: o.json, http: config.settings.http, stdout: process.stdout });
    });

  program
    .command('tail')
    .description('Consume the output queues (stories, duplicates, updates) and print each record as a JSON line.')
    .option('--drain', 'exit once the output queues are empty instead of waiting for more', false)
    .action(async (o: { drain: boolean }) => {
      const config = loadOrExit({ feeds: [] });
      await runTail(config, { drain: o.drain, stdout: process.stdout, log: loggerFor(config, { cmd: 'tail' }) });
    });

  const failed = program
    .command('failed')
    .description('Inspect and retry the jobs of the internal queues (poll, article, dedupe) that failed for good.');
  failed
    .command('list')
    .description('List failed jobs: queue, job id, failed at, attempts, target URL, reason ([CODE] stage: message).')
    .option('--queue <queue>', 'only this queue (poll, article or dedupe)')
    .option('--json', 'one JSON line per job: {queue, jobId, target, reason, attempts, failedAt}', false)
    .action(async (o: { queue?: string; json: boolean }) => {
      const config = loadOrExit({ feeds: [] });
      process.exitCode = await runFailedList(config, o, { stdout: process.stdout, stderr: process.stderr });
    });
  failed
    .command('retry')
    .description('Move failed jobs back to wait so the workers run them again (their attempts start afresh).')
    .argument('[ids...]', 'job ids (as `failed list` shows them; `queue:id` also accepted)')
    .option('--all', 'every failed job (of --queue, else of every internal queue)', false)
    .option('--queue <queue>', 'only this queue (poll, article or dedupe)')
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
