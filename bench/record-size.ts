// Bytes of the dedupe index's per-article record (pipeline/dedupe-record.ts) for the articles the
// benchmark fills the index with (bench/lib/synthetic-stream.ts), with cross-language matching off
// (the default) and on. What is measured is the encoded record itself; Redis adds its own per key
// (see `npm run bench -- --only dedupe`, "Redis bytes per article by key").
// Run: npx node bench/record-size.ts [--articles 2000] [--seed 1]
import { Command } from 'commander';
import { MemoryDocumentFrequencies, textFeatures } from '../pipeline/dedupe.ts';
import { StoryIndex } from '../pipeline/dedupe-index.ts';
import { MemoryDedupeStore } from '../pipeline/dedupe-memory-store.ts';
import { loadTexts, Stream } from './lib/synthetic-stream.ts';

const o = new Command('bench-record-size')
  .option('--articles <n>', 'articles of the stream', '2000')
  .option('--seed <n>', 'stream seed', '1')
  .parse()
  .opts<{ articles: string; seed: string }>();
const n = Number(o.articles);
const texts = loadTexts();

for (const crossLanguage of [false, true]) {
  // writesFor reads nothing from the store; the frequencies are those of the stream so far
  const index = new StoryIndex(new MemoryDedupeStore({ windowHours: 72 }), { windowHours: 72, crossLanguage });
  const stream = new Stream(texts, n, Number(o.seed));
  const dfs = new MemoryDocumentFrequencies();
  const sizes: number[] = [];
  for (let i = 1; i <= n; i++) {
    const article = stream.article(i);
    sizes.push(index.writesFor(article, dfs).record.length);
    const f = textFeatures(article);
    dfs.add([...f.termCounts.keys(), ...f.entities]);
  }
  sizes.sort((a, b) => a - b);
  const mean = sizes.reduce((s, x) => s + x, 0) / n;
  console.log(`cross-language ${crossLanguage ? 'on ' : 'off'}: ${n} records, mean ${mean.toFixed(1)} bytes (p50 ${sizes[Math.floor(n / 2)]}, max ${sizes.at(-1)})`);
}
