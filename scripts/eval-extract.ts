// Extraction evaluation on the Zyte article-extraction benchmark (../shared/eval/extraction-zyte):
// feedsift's page stages (processPage) and plain Readability in the same run, scored with the
// benchmark's own metric, with speed and memory. Each system × DOM runs in its own child process,
// one after another, so that its time and resident memory are its own.
//
//   npm run eval:extract                         feedsift on the default DOM (lean) + Readability on jsdom and the default DOM
//   npm run eval:extract -- --dom jsdom          feedsift and Readability, both on jsdom
//   npm run eval:extract -- --compare-doms       both systems on every DOM (jsdom, linkedom, happy-dom, lean)
//   npm run eval:extract -- --pages 20           the first 20 pages (by key) for a quick run
//   npm run eval:extract -- --json report.json   also write the report, with per-page counts
//   npm run eval:extract -- --update-baseline    pin feedsift's figures in bench/extraction-baseline.json
//                                                when its F1 is higher than the pinned one (whole set only)
import { execFileSync, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DOM, DOM_KINDS, isDomKind, type DomKind } from '../pipeline/dom.ts';
import {
  ACCEPTANCE,
  BASELINE_FILE,
  BASELINE_TOLERANCE,
  FEEDSIFT_DOMS,
  loadZytePages,
  readBaseline,
  runSystem,
  scoreRun,
  SYSTEMS,
  type Baseline,
  type RunResult,
  type ScoredRun,
  type SystemName,
  type ZytePage,
} from './lib/zyte-eval.ts';

const USAGE = `usage: npm run eval:extract -- [--dom jsdom|linkedom|happy-dom|lean] [--pages N] [--json FILE]
                              [--compare-doms] [--update-baseline [--note TEXT]]`;

interface Run {
  system: SystemName;
  dom: DomKind;
}

interface Options {
  dom: DomKind;
  pages: number | undefined;
  json: string | undefined;
  compareDoms: boolean;
  updateBaseline: boolean;
  note: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      dom: { type: 'string', default: DEFAULT_DOM },
      pages: { type: 'string' },
      json: { type: 'string' },
      'compare-doms': { type: 'boolean', default: false },
      'update-baseline': { type: 'boolean', default: false },
      note: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const problems: string[] = [];
  if (!isDomKind(values.dom)) problems.push(`--dom must be one of ${DOM_KINDS.join(', ')}, not ${values.dom}`);
  const pages = values.pages === undefined ? undefined : Number(values.pages);
  if (pages !== undefined && !(Number.isInteger(pages) && pages > 0)) problems.push(`--pages must be a positive integer, not ${values.pages}`);
  if (values['update-baseline'] && pages !== undefined) problems.push('--update-baseline needs the whole set (no --pages)');
  if (values['update-baseline'] && values['compare-doms']) problems.push('--update-baseline goes with a plain run, not --compare-doms');
  if (problems.length) {
    console.error(`eval-extract: ${problems.join('; ')}\n${USAGE}`);
    process.exit(2);
  }
  return {
    dom: values.dom as DomKind,
    pages,
    json: values.json,
    compareDoms: values['compare-doms'],
    updateBaseline: values['update-baseline'],
    note: values.note,
  };
}

/** What to run, and the notes for what cannot be run yet. */
function plan(opts: Options): { runs: Run[]; notes: string[] } {
  const runs: Run[] = [];
  const notes: string[] = [];
  const feedsiftOn = (dom: DomKind): void => {
    if (FEEDSIFT_DOMS.includes(dom)) runs.push({ system: 'feedsift', dom });
    else notes.push(`feedsift on ${dom}: not measured (processPage cannot run on it)`);
  };
  if (opts.compareDoms) {
    for (const dom of DOM_KINDS) {
      feedsiftOn(dom);
      runs.push({ system: 'readability', dom });
    }
    return { runs, notes };
  }
  feedsiftOn(opts.dom);
  if (!runs.length && opts.updateBaseline) notes.push('--update-baseline: nothing to pin without a feedsift run');
  runs.push({ system: 'readability', dom: 'jsdom' });
  if (opts.dom !== 'jsdom') runs.push({ system: 'readability', dom: opts.dom });
  return { runs, notes };
}

/** Runs one system × DOM in a child process of this script (see `--worker` below). */
function runInChild(run: Run, pages: number | undefined): Promise<RunResult> {
  const args = ['--worker', `${run.system}@${run.dom}`, ...(pages ? ['--pages', String(pages)] : [])];
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: RunResult | undefined;
    child.on('message', (m) => {
      result = m as RunResult;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`eval-extract: the ${run.system}@${run.dom} run exited with ${signal ?? code}`));
    });
  });
}

async function worker(spec: string, pages: number | undefined): Promise<void> {
  const [system, dom] = spec.split('@');
  if (!SYSTEMS.includes(system as SystemName) || !dom || !isDomKind(dom)) throw new Error(`eval-extract: bad --worker ${spec}`);
  const result = await runSystem(system as SystemName, dom, loadZytePages(pages));
  await new Promise<void>((resolve, reject) => process.send!(result, (err: Error | null) => (err ? reject(err) : resolve())));
}

const f4 = (x: number): string => x.toFixed(4);

function table(scored: ScoredRun[]): string {
  const head = ['system', 'dom', 'F1', 'precision', 'recall', 'ms/page', 'pages/s', 'RSS MiB', 'peak MiB', 'failed'];
  const rows = scored.map((r) => [
    r.system,
    r.dom,
    f4(r.f1),
    f4(r.precision),
    f4(r.recall),
    r.msPerPage.toFixed(1),
    r.pagesPerSecond.toFixed(1),
    r.rssMiB.toFixed(0),
    r.maxRssMiB.toFixed(0),
    String(r.failures.length),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows].map((row) => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

function charsetSummary(pages: ZytePage[]): string {
  const counts = new Map<string, number>();
  for (const p of pages) counts.set(p.charset, (counts.get(p.charset) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${n} ${c}`).join(', ');
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Rewrites the baseline when `run` (over the whole set: parseOptions refuses --pages) beats it; says what it did. */
function updateBaseline(run: ScoredRun, note: string | undefined): string {
  const pinned = readBaseline();
  if (run.f1 <= pinned.f1) return `baseline not updated: F1 ${f4(run.f1)} is not higher than the pinned ${f4(pinned.f1)}`;
  const commit = gitCommit();
  const next: Baseline = {
    f1: run.f1,
    precision: run.precision,
    recall: run.recall,
    measuredAt: new Date().toISOString(),
    note: note ?? `feedsift on ${run.dom}, all ${run.pages} Zyte pages; npm run eval:extract -- --update-baseline${commit ? ` at ${commit}` : ''}`,
    dom: run.dom,
    pages: run.pages,
  };
  writeFileSync(BASELINE_FILE, `${JSON.stringify(next, null, 2)}\n`);
  return `baseline updated: F1 ${f4(pinned.f1)} → ${f4(run.f1)} (${path.relative(process.cwd(), BASELINE_FILE)})`;
}

async function main(argv: string[]): Promise<void> {
  const workerAt = argv.indexOf('--worker');
  if (workerAt >= 0) {
    const pagesAt = argv.indexOf('--pages');
    return worker(argv[workerAt + 1] ?? '', pagesAt >= 0 ? Number(argv[pagesAt + 1]) : undefined);
  }
  const opts = parseOptions(argv);
  const pages = loadZytePages(opts.pages);
  const { runs, notes } = plan(opts);
  console.log(`Zyte article-extraction benchmark: ${pages.length} pages (decoded: ${charsetSummary(pages)})`);
  const scored: ScoredRun[] = [];
  for (const run of runs) {
    process.stdout.write(`  running ${run.system} on ${run.dom} …`);
    const result = await runInChild(run, opts.pages);
    scored.push(scoreRun(result, pages));
    process.stdout.write(` ${(result.totalMs / 1000).toFixed(1)} s\n`);
  }
  console.log(`\n${table(scored)}`);
  for (const note of notes) console.log(`note: ${note}`);
  for (const r of scored) for (const f of r.failures) console.log(`failed (${r.system}@${r.dom}, scored empty): ${f}`);

  const baseline = readBaseline();
  const baselineDom = baseline.dom ?? 'jsdom';
  const ours = scored.find((r) => r.system === 'feedsift' && r.dom === baselineDom);
  if (ours) {
    const delta = ours.f1 - baseline.f1;
    const verdict = delta < -BASELINE_TOLERANCE ? 'BELOW the baseline' : 'at or above the baseline';
    console.log(`\nbaseline (${path.relative(process.cwd(), BASELINE_FILE)}): F1 ${f4(baseline.f1)} P ${f4(baseline.precision)} R ${f4(baseline.recall)}, measured ${baseline.measuredAt}`);
    console.log(`feedsift on ${ours.dom}: F1 ${delta >= 0 ? '+' : ''}${delta.toFixed(4)} against it — ${verdict}${opts.pages ? ' (subset: not comparable)' : ''}`);
    const floors = (Object.keys(ACCEPTANCE) as Array<keyof typeof ACCEPTANCE>)
      .map((k) => `${k} ${f4(ours[k])} ${ours[k] >= ACCEPTANCE[k] ? '≥' : '<'} ${ACCEPTANCE[k]}`)
      .join(', ');
    console.log(`acceptance floors: ${floors}`);
  }
  if (opts.updateBaseline) {
    const run = scored.find((r) => r.system === 'feedsift');
    console.log(run ? updateBaseline(run, opts.note) : 'baseline not updated: no feedsift run');
  }
  if (opts.json) {
    const report = {
      measuredAt: new Date().toISOString(),
      commit: gitCommit(),
      pages: pages.map((p) => ({ key: p.key, url: p.url, charset: p.charset })),
      runs: scored,
      notes,
      baseline,
    };
    writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`report written to ${opts.json}`);
  }
}

await main(process.argv.slice(2));
