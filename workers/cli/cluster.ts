// `feedsift cluster`: an operator's dry run of the deduplication over a dump.
// In:  JSON Lines articles {id, title, text, url?, publishedAt?, language?} on stdin.
// Out: {id, storyId, kind: "story" | "duplicate" | "update", duplicateOf?, score?, level?,
//      evidence?, previousTextHash?} per line, in order: the articles run in order through one
//      in-memory index, the same decision the pipeline takes (pipeline/dedupe-index.ts). An
//      article without publishedAt is placed at the previous dated article's time (the first
//      ones: now). A line seen again with the same id and other text is an update. A bad line
//      answers {id, error: {code, message}} and the run goes on.
import { cleanArticleOf, parseArticleInput } from '../../pipeline/dedupe-input.ts';
import { MemoryDedupeIndex } from '../../pipeline/dedupe-index.ts';
import type { Evidence } from '../../pipeline/records.ts';
import { eachJsonLine, languageFinder, type LineIo } from './dedupe-lines.ts';

export interface ClusterAnswer {
  id: string;
  storyId: string;
  kind: 'story' | 'duplicate' | 'update';
  duplicateOf?: string;
  score?: number;
  level?: Evidence['level'];
  evidence?: Evidence;
  previousTextHash?: string;
}

export async function runCluster(io: LineIo, opts: { windowHours?: number } = {}): Promise<number> {
  const languageOf = languageFinder();
  const index = new MemoryDedupeIndex(opts.windowHours ? { windowHours: opts.windowHours } : {});
  let clock = new Date().toISOString();
  return eachJsonLine(io, async (value, lineNo, id): Promise<ClusterAnswer> => {
    const input = parseArticleInput(value, `line ${lineNo}`, id);
    const article = cleanArticleOf(input, { fallbackTime: clock, language: input.language ?? (await languageOf(input.title, input.text)) });
    if (input.publishedAt) clock = input.publishedAt;
    const d = await index.decide(article);
    if (d.kind === 'story') return { id, storyId: d.storyId, kind: 'story' };
    if (d.kind === 'update') return { id, storyId: d.storyId, kind: 'update', previousTextHash: d.previousTextHash };
    return {
      id,
      storyId: d.storyId,
      kind: 'duplicate',
      duplicateOf: d.evidence.matchedArticleId,
      score: d.similarity,
      level: d.evidence.level,
      evidence: d.evidence,
    };
  });
}
