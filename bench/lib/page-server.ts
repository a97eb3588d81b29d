// The loopback server of the pipeline and memory sections: real pages (the 181 Zyte benchmark
// pages when ../shared/eval is there, else the fixture outlets' pages) under as many URLs as a
// run needs, and RSS feeds listing them.
//
//   /feed/<run>/<k>   RSS 2.0: items k·perFeed … (k+1)·perFeed − 1 of the run
//   /a/<run>/<i>      article i: page i mod P, its rel=canonical and og:url removed (so each URL is
//                     an article of its own); from the second round over the pages on, a
//                     paragraph of its own is added, so its text differs and the dedupe stage
//                     decides it by content (mostly a near copy of the first round's page)
//   /w/<i>            warm-up page: page i with every word spelt backwards — the same work, a text
//                     no timed article matches
//   anything else     404 (robots.txt included: everything may be fetched)
// One server stands for every outlet: callers lift the per-host politeness limits.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fixturePath, outlets } from '../../fixtures/manifest.ts';
import { loadZytePages, ZYTE_DIR } from '../../scripts/lib/zyte-eval.ts';

/** The host name the pages are served under (mapped to 127.0.0.1 by FEEDSIFT_HOST_OVERRIDES). */
export const BENCH_HOST = 'bench.test';

const TOPICS = ['harbour', 'council', 'orchard', 'railway', 'festival', 'glacier', 'library', 'vineyard', 'bridge', 'market'];

export interface PageServer {
  port: number;
  /** Which pages, for the report. */
  source: string;
  /** `http://bench.test:PORT/a/<run>/<i>` */
  articleUrl(run: string, i: number): string;
  warmupUrl(i: number): string;
  /** Feed k of a run of `articles` articles (`perFeed` items each). */
  feedUrl(run: string, k: number): string;
  /** A title for article i (its page's URL on the original site). */
  title(i: number): string;
  close(): Promise<void>;
}

interface Page {
  title: string;
  html: string;
}

function loadPages(): { source: string; pages: Page[] } {
  const own = (html: string): string =>
    html.replace(/<link\b[^>]*\brel=["']?canonical\b[^>]*>/gi, '').replace(/<meta\b[^>]*\bproperty=["']og:url["'][^>]*>/gi, '');
  if (existsSync(path.join(ZYTE_DIR, 'ground-truth.json'))) {
    const pages = loadZytePages().map((p) => ({ title: p.url, html: own(p.html) }));
    return { source: `the ${pages.length} Zyte benchmark pages, cycled`, pages };
  }
  const pages = outlets.flatMap((o) => o.pages.map((p) => ({ title: p.title, html: own(readFileSync(fixturePath(p.file), 'latin1')) })));
  return { source: `the ${pages.length} fixture outlet pages, cycled (../shared/eval absent)`, pages };
}

/** The page with every word of its text spelt backwards: the same work for the page stages, a text nothing else has. */
export function wordsReversed(html: string): string {
  return html.replace(/>([^<]+)</g, (_, t: string) => `>${t.replace(/\p{L}+/gu, (w) => [...w].reverse().join(''))}<`);
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * `preencode`: every article body of a run is built and UTF-8 encoded once, before the server
 * listens, and served as those bytes. The pipeline section shares the two cores with this server:
 * building and encoding a ~170 KB page per request took ~1 ms of the harness's CPU on this
 * machine, time the workers under test lost. Off for the memory section (5,000 bodies: ~0.9 GB).
 */
export async function startPageServer(opts: { perFeed: number; articlesPerRun: number; preencode?: boolean }): Promise<PageServer> {
  const { source, pages } = loadPages();
  const P = pages.length;
  // items are dated over the last hour, oldest first: inside the dedupe window, never in the future
  const epoch = Date.now() - 3_600_000;
  let port = 0;
  // where each page takes its extra paragraph, found once (the server shares the workers' cores)
  const insertAt = new Map<number, number>();
  const article = (i: number): string => {
    const page = pages[i % P]!;
    if (i < P) return page.html;
    const para = `<p>Item ${i}: the ${TOPICS[i % 10]} and the ${TOPICS[Math.floor(i / 10) % 10]} came up once more on day ${i % 365}, the ${TOPICS[Math.floor(i / 100) % 10]} desk said.</p>`;
    let at = insertAt.get(i % P);
    if (at === undefined) insertAt.set(i % P, (at = page.html.search(/<p(\s[^>]*)?>(?=[^<]{200})/i)));
    return at < 0 ? page.html.replace(/<body[^>]*>/i, (m) => `${m}${para}`) : `${page.html.slice(0, at)}${para}${page.html.slice(at)}`;
  };
  const encoded = opts.preencode ? Array.from({ length: opts.articlesPerRun }, (_, i) => Buffer.from(article(i), 'utf8')) : [];
  const body = (i: number): string | Buffer => encoded[i] ?? article(i);
  const warmup = (i: number): string => wordsReversed(pages[i % P]!.html);
  const feed = (run: string, k: number): string => {
    const items: string[] = [];
    for (let i = k * opts.perFeed; i < Math.min(opts.articlesPerRun, (k + 1) * opts.perFeed); i++) {
      const url = server.articleUrl(run, i);
      const date = new Date(epoch + i * 1000).toUTCString();
      items.push(`<item><guid>${url}</guid><link>${url}</link><title>${xml(pages[i % P]!.title)}</title><pubDate>${date}</pubDate></item>`);
    }
    return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench ${run} ${k}</title><link>http://${BENCH_HOST}:${port}/</link>${items.join('')}</channel></rss>`;
  };
  const http = createServer((req, res) => {
    const url = req.url ?? '';
    const a = /^\/a\/([\w-]+)\/(\d+)$/.exec(url);
    const w = /^\/w\/(\d+)$/.exec(url);
    const f = /^\/feed\/([\w-]+)\/(\d+)$/.exec(url);
    if (a || w) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(a ? body(Number(a[2])) : warmup(Number(w![1])));
    } else if (f) {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(feed(f[1]!, Number(f[2])));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as AddressInfo).port;
  const server: PageServer = {
    port,
    source,
    articleUrl: (run, i) => `http://${BENCH_HOST}:${port}/a/${run}/${i}`,
    warmupUrl: (i) => `http://${BENCH_HOST}:${port}/w/${i}`,
    feedUrl: (run, k) => `http://${BENCH_HOST}:${port}/feed/${run}/${k}`,
    title: (i) => pages[i % P]!.title,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
  return server;
}
