// The DOM the page stages parse into. jsdom is the reference implementation; faster DOMs
// are offered behind the same two-function interface so the choice is made by measurement
// (scripts/eval-extract.ts --dom …), not by habit. None of them runs scripts or loads resources.
import { createRequire } from 'node:module';
import { parseHTML } from 'linkedom';
import { parseLean } from './lean-dom.ts';

// jsdom and happy-dom are loaded on first use only: together they take about 0.8 s and 110 MB to
// load, which every page thread (workers/page-pool.ts) would pay for nothing on the default DOM
const require = createRequire(import.meta.url);
let jsdom: typeof import('jsdom') | undefined;
let happyDom: typeof import('happy-dom') | undefined;

export const DOM_KINDS = ['jsdom', 'linkedom', 'happy-dom', 'lean'] as const;
export type DomKind = (typeof DOM_KINDS)[number];

/**
 * The DOM used when none is named: lean (lean-dom.ts, feedsift's own: linkedom's parser and tree
 * in plain objects). Measured on the 181 Zyte pages (npm run eval:extract -- --dom lean, and
 * -- --dom linkedom): the page stages give byte-identical results on lean and on linkedom
 * (test/integration/extract-zyte.test.ts compares every page), F1 0.9778 on both, and on lean
 * they run at 64.5 pages/s against 31.9 on linkedom and 11.5 for Readability alone on jsdom.
 * jsdom stays the reference: the evaluation runs plain Readability on it beside feedsift, and
 * feedsift's F1 on jsdom is the same to four decimals.
 */
export const DEFAULT_DOM: DomKind = 'lean';

export interface ParsedDocument {
  document: Document;
  /** Frees the window (timers, caches). Always call it, in a `finally`. */
  close(): void;
}

/** Parses a whole HTML page with `url` as its base URL. */
export function parseDocument(html: string, url: string, kind: DomKind = DEFAULT_DOM): ParsedDocument {
  switch (kind) {
    case 'jsdom': {
      // no runScripts / resources options: jsdom then neither runs scripts nor fetches anything;
      // a VirtualConsole with no destination swallows CSS and parse noise
      jsdom ??= require('jsdom') as typeof import('jsdom');
      const dom = new jsdom.JSDOM(html, { url: safeBase(url), virtualConsole: new jsdom.VirtualConsole() });
      return { document: dom.window.document, close: () => dom.window.close() };
    }
    case 'linkedom': {
      // linkedom has no notion of a document URL; callers resolve links against `url` themselves
      let { document } = parseHTML(html) as unknown as { document: Document };
      // linkedom makes whatever element comes first the root (an <svg>, a <template>), or none
      // for an empty document; browsers (and jsdom) always build an <html> root. Give it one the
      // way they would: whatever the page has, inside <body>.
      if (document.documentElement?.tagName.toUpperCase() !== 'HTML') {
        ({ document } = parseHTML(`<!DOCTYPE html><html><head></head><body>${html}</body></html>`) as unknown as { document: Document });
      }
      return { document, close: () => {} };
    }
    case 'lean': {
      // feedsift's own DOM (lean-dom.ts): linkedom's tree in plain objects; no document URL either
      let document = parseLean(html);
      // an <html> root as for linkedom
      if (document.documentElement?.tagName !== 'HTML') document = parseLean(`<!DOCTYPE html><html><head></head><body>${html}</body></html>`);
      return { document: document as unknown as Document, close: () => {} };
    }
    case 'happy-dom': {
      happyDom ??= require('happy-dom') as typeof import('happy-dom');
      const window = new happyDom.Window({
        url: safeBase(url),
        settings: {
          disableJavaScriptEvaluation: true,
          disableJavaScriptFileLoading: true,
          disableCSSFileLoading: true,
          disableIframePageLoading: true,
          disableComputedStyleRendering: true,
          navigation: { disableMainFrameNavigation: true, disableChildFrameNavigation: true, disableChildPageNavigation: true },
        },
      });
      const document = window.document as unknown as Document;
      document.open();
      document.write(html);
      document.close();
      return { document, close: () => void window.happyDOM.close() };
    }
  }
}

/** jsdom and happy-dom reject some URLs as a base; fall back to a neutral one. */
function safeBase(url: string): string {
  try {
    return new URL(url).toString();
  } catch {
    return 'about:blank';
  }
}

export function isDomKind(value: string): value is DomKind {
  return (DOM_KINDS as readonly string[]).includes(value);
}
