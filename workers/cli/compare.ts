// `feedsift compare`: would the pipeline call two articles one story?
// In:  JSON Lines {id, a: {title, text, url?, publishedAt?, language?}, b: {…}} on stdin.
// Out: {id, sameStory, score, level, evidence} per line, in order: the decision the pipeline takes
//      for b when a is the only article it has seen (a fresh in-memory index per line, so the
//      term statistics are those a fresh pipeline starts with). `score` is the matched level's
//      score when sameStory, else the rewrite score b reached against a; `level` and `evidence`
//      are null when not the same story. A bad line answers {id, error: {code, message}}.
import { cleanArticleOf, parseArticleInput } from '../../pipeline/dedupe-input.ts';
import { MemoryDedupeIndex } from '../../pipeline/dedupe-index.ts';
import { PermanentError } from '../../pipeline/errors.ts';
import type { Evidence } from '../../pipeline/records.ts';
import { eachJsonLine, languageFinder, type LineIo } from './dedupe-lines.ts';

export interface CompareAnswer {
  id: string;
  sameStory: boolean;
  score: number;
  level: Evidence['level'] | null;
  evidence: Evidence | null;
}

export async function runCompare(io: LineIo, opts: { windowHours?: number } = {}): Promise<number> {
  const languageOf = languageFinder();
  const now = new Date().toISOString();
  return eachJsonLine(io, async (value, lineNo, id): Promise<CompareAnswer> => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new PermanentError('dedupe', 'INVALID_JOB', `line ${lineNo} is not a JSON object`);
    }
    const o = value as Record<string, unknown>;
    const a = parseArticleInput(o.a, `line ${lineNo}: "a"`, 'a');
    const b = parseArticleInput(o.b, `line ${lineNo}: "b"`, 'b');
    // an undated side is placed at the other's date: a pair is compared, not a timeline
    const when = (x: typeof a, y: typeof a): string => x.publishedAt ?? y.publishedAt ?? now;
    const articleA = cleanArticleOf(a, { fallbackTime: when(a, b), language: a.language ?? (await languageOf(a.title, a.text)) });
    const articleB = cleanArticleOf(b, { fallbackTime: when(b, a), language: b.language ?? (await languageOf(b.title, b.text)) });
    const index = new MemoryDedupeIndex(opts.windowHours ? { windowHours: opts.windowHours } : {});
    await index.decide(articleA);
    const near = await index.compareWith(articleB, articleA.id);
    const decision = await index.decide(articleB);
    if (decision.kind === 'duplicate') {
      return { id, sameStory: true, score: decision.similarity, level: decision.evidence.level, evidence: decision.evidence };
    }
    return { id, sameStory: false, score: near?.rewrite ?? 0, level: null, evidence: null };
  });
}
