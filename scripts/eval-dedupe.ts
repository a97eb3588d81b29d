// npm run eval:dedupe — how well the dedupe decision tells one story from another, on real data:
// news pairs rated by people (same-language and cross-language), the five seed copies, and the
// 181 Zyte pages plus the seeds as one stream through the pipeline's decision (in memory),
// against the stories labelled in fixtures/expected/zyte-stories.json.
//
//   npx node scripts/eval-dedupe.ts [--json FILE] [--verbose] [--cross-language] [--update-baseline]
//
// --json writes the whole report (every pair's decision, every multi-member story);
// --update-baseline pins today's figures in bench/dedupe-baseline.json (the CI gate,
// test/integration/dedupe-eval.test.ts, fails when one drops below its pinned value).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BASELINE_FILE, evaluateDedupe, pinnedFigures, type Confusion, type DedupeEvalReport } from './lib/dedupe-eval.ts';

function fmt(x: number): string {
  return x.toFixed(3);
}

function line(name: string, c: Confusion, extra = ''): string {
  return `  ${name.padEnd(22)} P ${fmt(c.precision)} R ${fmt(c.recall)} F1 ${fmt(c.f1)}  (tp ${c.tp} fp ${c.fp} fn ${c.fn} tn ${c.tn})${extra}`;
}

export function printReport(r: DedupeEvalReport, verbose: boolean): void {
  const np = r.newsPairs;
  console.log(`news pairs (${np.pairs.length}; window ${'72'} h where both dates are known)`);
  console.log(line('same-language', np.sameLanguage, `; related merged ${np.sameLanguage.relatedMerged}/${np.sameLanguage.related}`));
  console.log(line('  en-en', np.enEn));
  console.log(line('  de/es/pl/tr/ar/fr', np.otherSameLanguage));
  console.log(line('cross-language (de-en)', np.crossLanguage));
  if (verbose) {
    for (const d of np.pairs) {
      const wrong = (d.truth === 'same' && !d.merged) || (d.truth === 'different' && d.merged);
      console.log(
        `    ${wrong ? '✗' : ' '} ${d.languages} ${d.truth.padEnd(9)} ${d.merged ? `merged ${fmt(d.score ?? 0)}` : d.outsideWindow ? 'outside window' : 'apart'}  ${d.evidence.join(', ')}`,
      );
    }
  }
  console.log(`\nseeds (10 pairs, matchContent):`);
  for (const s of r.seeds.states) console.log(`  ${s.state.padEnd(36)} ${s.pairsMatched}/10 merged, lowest score ${fmt(s.minScore)}`);
  const st = r.stream;
  console.log(`\nZyte stream (${st.articles} articles: 181 pages + 5 seeds, one in-memory index)`);
  console.log(line('pairwise vs labels', st.pairwise, `; of the false merges ${st.falseMergesRelated} are on a related topic`));
  console.log(`  seeds one story: ${st.seedsOneStory ? 'yes' : 'NO'}; seed–Zyte merges: ${st.seedZyteMerges}`);
  console.log(`  stories formed with more than one member (${st.stories.length}):`);
  for (const s of st.stories) {
    console.log(`    [${s.label ?? 'MIXED/UNLABELLED'}]`);
    for (const m of s.members) {
      const how = m.level ? `${m.level} ${fmt(m.score ?? 0)}: ${m.evidence.slice(0, 5).join(', ')}` : 'first';
      console.log(`      ${m.url.replace(/^https?:\/\/(www\.)?/, '').slice(0, 70).padEnd(70)} ${how}`);
    }
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--json <file>', 'write the full report as JSON')
    .option('--verbose', 'print every news pair')
    .option('--cross-language', 'run the Zyte stream with cross-language linking on (FEEDSIFT_DEDUPE_CROSS_LANGUAGE=true); not for --update-baseline')
    .option('--orders <n>', 'also run the Zyte stream in this many shuffled orders and print the spread (0: skip)', '10')
    .option('--update-baseline', `pin today's figures in ${path.relative(process.cwd(), BASELINE_FILE)}`)
    .parse();
  const opts = program.opts<{ json?: string; verbose?: boolean; crossLanguage?: boolean; updateBaseline?: boolean; orders: string }>();
  if (opts.crossLanguage && opts.updateBaseline) throw new Error('eval-dedupe: the baseline pins the default settings; drop --cross-language');
  const orders = Number(opts.orders);
  if (!Number.isInteger(orders) || orders < 0) throw new Error(`eval-dedupe: --orders must be a whole number, got ${opts.orders}`);
  const report = await evaluateDedupe(undefined, { crossLanguage: !!opts.crossLanguage, orders });
  printReport(report, !!opts.verbose);
  const s = report.orderSpread;
  if (s) {
    console.log(`\nZyte stream in ${s.orders} other (shuffled, fixed-seed) orders: a decision depends on what the index holds when an article arrives`);
    console.log(`  precision mean ${fmt(s.precision.mean)} min ${fmt(s.precision.min)} max ${fmt(s.precision.max)}`);
    console.log(`  recall    mean ${fmt(s.recall.mean)} min ${fmt(s.recall.min)} max ${fmt(s.recall.max)}`);
    console.log(`  orders where the seeds were not one story or merged with a Zyte page: ${s.seedFailures}`);
  }
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify({ figures: pinnedFigures(report), ...report }, null, 2)}\n`);
  if (opts.updateBaseline) {
    const figures = Object.fromEntries(Object.entries(pinnedFigures(report)).map(([k, v]) => [k, Number(v.toFixed(4))]));
    writeFileSync(BASELINE_FILE, `${JSON.stringify({ measuredAt: new Date().toISOString().slice(0, 10), figures }, null, 2)}\n`);
    console.log(`\nbaseline written: ${BASELINE_FILE}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
