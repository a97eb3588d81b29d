// The progress display of `run --once` and `demo`: the pure renderers, and what the reporter
// writes on a terminal (a bar redrawn in place) and elsewhere (plain lines, not too many).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressFigures, progressReporter, renderProgressBar, renderProgressLine, type ProgressState } from '../../workers/cli/progress.ts';

const state = (stats: Record<string, number>, pending: Record<string, number> = { poll: 0, article: 0, dedupe: 0 }, elapsedMs = 4200): ProgressState => ({
  feeds: 10,
  stats,
  pending,
  elapsedMs,
});

/** A stream that keeps what is written. */
function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { out, text: () => text };
}

const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

describe('progressFigures', () => {
  it('counts feeds, articles and decisions done against what the polls have found so far', () => {
    const f = progressFigures(state({ 'feeds.polled': 7, 'feeds.failed': 1, 'items.new': 20, 'articles.processed': 12, 'articles.failed': 1, 'articles.filtered.min-words': 2, 'articles.dropped.too-short': 2, stories: 9, duplicates: 2 }));
    expect(f).toEqual({ feedsDone: 8, articles: 20, articlesDone: 15, decided: 12, published: 11, done: 8 + 15 + 11, total: 10 + 20 + 12 });
  });

  it('is complete when every feed, article and decision is done', () => {
    const f = progressFigures(state({ 'feeds.polled': 9, 'feeds.not-modified': 1, 'items.new': 5, 'articles.processed': 5, stories: 4, updates: 1 }));
    expect(f.done).toBe(f.total);
  });

  it('starts at nothing done', () => {
    expect(progressFigures(state({}))).toMatchObject({ done: 0, total: 10 });
  });
});

describe('renderProgressBar', () => {
  const mid = state({ 'feeds.polled': 5, 'items.new': 10, 'articles.processed': 4, stories: 2 }, { poll: 5, article: 6, dedupe: 2 });

  it('draws the share done as a bar and a percentage, with the figures and what is pending', () => {
    const line = renderProgressBar(mid, 200);
    // done 5 + 4 + 2 = 11 of 10 + 10 + 4 = 24
    expect(line).toMatch(/^\[#+-+\]  45%  /);
    expect(line).toContain('feeds 5/10');
    expect(line).toContain('articles 4/10');
    expect(line).toContain('published 2');
    expect(line).toContain('pending poll 5 · article 6 · dedupe 2');
    expect(line).toContain('4.2 s');
  });

  it('fills the bar in proportion', () => {
    const bar = (s: ProgressState): string => /^\[([#-]+)\]/.exec(renderProgressBar(s, 200))![1]!;
    expect(bar(state({}))).toMatch(/^-+$/);
    const full = bar(state({ 'feeds.polled': 10 }));
    expect(full).toMatch(/^#+$/);
    const half = bar(state({ 'feeds.polled': 5 }));
    expect(half.split('#').length - 1).toBe(Math.round(half.length / 2));
  });

  it('leaves out the figures that do not fit, the least important first', () => {
    const line = renderProgressBar(mid, 60);
    expect(line).toMatch(/^\[#+-+\]  45%  feeds 5\/10 · articles 4\/10/);
    expect(line).not.toContain('pending');
  });

  it.each([40, 60, 80, 120])('fits %i columns and holds no control character', (width) => {
    const line = renderProgressBar(mid, width);
    expect(line.length).toBeLessThanOrEqual(width);
    expect(line).not.toMatch(CONTROL);
  });
});

describe('progressReporter', () => {
  it('on a terminal redraws one line in place and ends it at finish', () => {
    const { out, text } = sink();
    const r = progressReporter(out, { tty: true, columns: 100 });
    r.update(state({ 'feeds.polled': 1 }));
    r.update(state({ 'feeds.polled': 2 }));
    r.finish();
    const written = text();
    expect(written.split('\r')).toHaveLength(3);
    expect(written.match(/\x1b\[K/g)).toHaveLength(2);
    expect(written.endsWith('\n')).toBe(true);
    expect(written.slice(0, -1)).not.toContain('\n');
  });

  it('elsewhere writes plain lines: the first state, then a change at most every lineEveryMs, and the last at finish', () => {
    const { out, text } = sink();
    let clock = 0;
    const r = progressReporter(out, { tty: false, lineEveryMs: 5000, now: () => clock });
    r.update(state({ 'feeds.polled': 1 }));
    clock = 1000;
    r.update(state({ 'feeds.polled': 2 })); // too soon
    clock = 6000;
    r.update(state({ 'feeds.polled': 3 }));
    clock = 12_000;
    r.update(state({ 'feeds.polled': 3 })); // no change
    clock = 13_000;
    r.update(state({ 'feeds.polled': 4 })); // too soon, but written at finish
    r.finish();
    const lines = text().trimEnd().split('\n');
    expect(lines.map((l) => /feeds (\d+)\/10/.exec(l)![1])).toEqual(['1', '3', '4']);
    for (const l of lines) {
      expect(l).toMatch(/^progress: /);
      expect(l).not.toMatch(CONTROL);
    }
  });

  it('writes nothing more at finish when the last state was already written', () => {
    const { out, text } = sink();
    const r = progressReporter(out, { tty: false });
    r.update(state({ 'feeds.polled': 10 }));
    r.finish();
    expect(text()).toBe(`${renderProgressLine(state({ 'feeds.polled': 10 }))}\n`);
  });
});
