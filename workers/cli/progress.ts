// Progress of `run --once` and `demo`: a bar redrawn in place on a terminal (stderr), plain
// lines elsewhere (logs, CI, pipes). The renderers are pure; the reporter decides how to write.

/** What the run knows at one moment: the run's outcome counters and the jobs still pending. */
export interface ProgressState {
  /** Feeds polled in this run. */
  feeds: number;
  /** The run's counters (workers/stats.ts, under its run id). */
  stats: Readonly<Record<string, number>>;
  /** Jobs waiting, active or delayed per internal queue. */
  pending: Readonly<Record<string, number>>;
  elapsedMs: number;
}

export interface ProgressFigures {
  feedsDone: number;
  /** Items found new by the polls so far: the article jobs this run has. */
  articles: number;
  articlesDone: number;
  /** Articles handed to the dedupe stage. */
  decided: number;
  published: number;
  /** Steps done and known so far (a feed poll, an article, a dedupe decision each count one). */
  done: number;
  total: number;
}

export function progressFigures(p: ProgressState): ProgressFigures {
  const n = (k: string): number => p.stats[k] ?? 0;
  const feedsDone = n('feeds.polled') + n('feeds.not-modified') + n('feeds.failed');
  // a filtered article is counted by reason; older workers only counted the too-short ones
  const filtered = Object.entries(p.stats).reduce((sum, [k, v]) => (k.startsWith('articles.filtered.') ? sum + v : sum), 0);
  const articlesDone = n('articles.processed') + n('articles.failed') + Math.max(filtered, n('articles.dropped.too-short'));
  const decided = n('articles.processed');
  const published = n('stories') + n('duplicates') + n('updates');
  const articles = n('items.new');
  const total = Math.max(p.feeds, feedsDone) + Math.max(articles, articlesDone) + decided;
  const done = feedsDone + articlesDone + Math.min(published, decided);
  return { feedsDone, articles, articlesDone, decided, published, done: Math.min(done, total), total };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function pendingText(pending: Readonly<Record<string, number>>): string {
  return Object.entries(pending).map(([q, c]) => `${q} ${c}`).join(' · ');
}

/**
 * One line for a terminal, at most `width` columns: `[#####-----]  45%  feeds 8/10 · articles
 * 12/28 · published 10 · 4.2 s · pending poll 0 · article 5 · dedupe 1` — the figures that do
 * not fit are left out, least important (the end) first. No control characters: the reporter
 * adds those.
 */
export function renderProgressBar(p: ProgressState, width = 80): string {
  const f = progressFigures(p);
  const ratio = f.total ? f.done / f.total : 0;
  const barWidth = width >= 100 ? 30 : width >= 60 ? 20 : 10;
  const filled = Math.round(ratio * barWidth);
  let line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
  const parts = [`feeds ${f.feedsDone}/${p.feeds}`, `articles ${f.articlesDone}/${f.articles}`, `published ${f.published}`, seconds(p.elapsedMs), `pending ${pendingText(p.pending)}`];
  for (const [i, part] of parts.entries()) {
    const next = `${line}${i === 0 ? '  ' : ' · '}${part}`;
    if (next.length > width) break;
    line = next;
  }
  return line.length > width ? line.slice(0, width) : line;
}

/** The same facts as one plain log line (no bar), for output that is not a terminal. */
export function renderProgressLine(p: ProgressState): string {
  const f = progressFigures(p);
  return `progress: ${seconds(p.elapsedMs)}: feeds ${f.feedsDone}/${p.feeds} done, articles ${f.articlesDone}/${f.articles} done, published ${f.published}, pending ${pendingText(p.pending)}`;
}

export interface ProgressReporter {
  update(p: ProgressState): void;
  /** Writes the last state (the bar's final form, or a last line) and ends the bar's line. */
  finish(): void;
}

export interface ReporterOptions {
  /** Redraw a bar in place (a terminal), or write plain lines. */
  tty: boolean;
  /** Terminal width (columns); default 80. */
  columns?: number;
  /** Plain lines: at most one per this many ms while nothing finishes (default 5000). */
  lineEveryMs?: number;
  now?: () => number;
}

/**
 * On a terminal: the bar on one line, redrawn (`\r`, erase to the end of the line) on every
 * update. Otherwise: a plain line for the first update, then whenever a change has waited
 * `lineEveryMs`, and at finish — so a log gets a line every few seconds, not one per poll.
 */
export function progressReporter(out: NodeJS.WritableStream, opts: ReporterOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  const every = opts.lineEveryMs ?? 5000;
  let last: ProgressState | undefined;
  let lastLine = '';
  let lastLineAt = -Infinity;
  let drawn = false;
  return {
    update(p) {
      last = p;
      if (opts.tty) {
        out.write(`\r${renderProgressBar(p, (opts.columns ?? 80) - 1)}\x1b[K`);
        drawn = true;
        return;
      }
      const line = renderProgressLine({ ...p, elapsedMs: 0 });
      if (line !== lastLine && now() - lastLineAt >= every) {
        out.write(`${renderProgressLine(p)}\n`);
        lastLine = line;
        lastLineAt = now();
      }
    },
    finish() {
      if (opts.tty) {
        if (drawn) out.write('\n');
        return;
      }
      if (last && renderProgressLine({ ...last, elapsedMs: 0 }) !== lastLine) out.write(`${renderProgressLine(last)}\n`);
    },
  };
}
