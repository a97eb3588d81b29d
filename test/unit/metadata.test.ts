// Metadata of the page stages (title, byline, publishedAt, siteName, canonicalUrl, leadImage)
// against values written by hand from each page's HTML (fixtures/expected/zyte-metadata.json):
// the five seed fixture pages, where every field must match, and 20 real pages of the Zyte
// benchmark (fixtures/pages/zyte), where the number of matching fields may not fall below
// the pinned count.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { fixturePath, loadExpectedSeeds, outlets, withPort } from '../../fixtures/manifest.ts';
import { decodeBytes } from '../../pipeline/charset.ts';
import { processPage } from '../../pipeline/process-page.ts';
import type { ExtractedPage } from '../../pipeline/records.ts';
import { comparableText, normaliseText } from '../../pipeline/text.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

const FIELDS = ['title', 'byline', 'publishedAt', 'siteName', 'canonicalUrl', 'leadImage'] as const;
type Field = (typeof FIELDS)[number];
type Expected = Record<Field, string | string[] | null>;

const expected = JSON.parse(readFileSync(path.join(REPO_ROOT, 'fixtures', 'expected', 'zyte-metadata.json'), 'utf8')) as {
  seeds: Record<string, Expected>;
  zyte: Record<string, Expected>;
};
/** Fields of the 20 Zyte pages that match today; the count may rise, never fall. */
const PINNED_ZYTE_MATCHES = 114;
const HOUR = 3_600_000;

const sameUrl = (a: string, b: string): boolean => new URL(a).toString() === new URL(b).toString();

/** Whether an extracted value is what the page says (see the file's "//" for each field's rule). */
function fieldMatches(field: Field, want: string | string[] | null, got: string | undefined): boolean {
  if (want === null) return got === undefined;
  if (got === undefined) return false;
  const wants = [want].flat();
  switch (field) {
    case 'title':
      return wants.some((w) => normaliseText(w) === normaliseText(got));
    case 'byline':
    case 'siteName':
      return wants.some((w) => comparableText(w) === comparableText(got));
    case 'publishedAt':
      return wants.some((w) => {
        const at = Date.parse(got);
        // a bare date: any instant of that calendar day in some time zone (UTC−12 … UTC+14)
        if (/^\d{4}-\d{2}-\d{2}$/.test(w)) return at >= Date.parse(`${w}T00:00:00Z`) - 14 * HOUR && at < Date.parse(`${w}T00:00:00Z`) + 36 * HOUR;
        return at === Date.parse(w);
      });
    case 'canonicalUrl':
    case 'leadImage':
      return wants.some((w) => sameUrl(w, got));
  }
}

function valueOf(page: ExtractedPage, field: Field): string | undefined {
  return page[field];
}

describe('metadata of the seed fixture pages', () => {
  const seeds = loadExpectedSeeds();
  const cases = Object.entries(expected.seeds).flatMap(([seed, want]) => FIELDS.map((field) => [seed, field, want] as const));
  const pages = new Map<string, ExtractedPage>();
  const pageOf = async (seed: string): Promise<ExtractedPage> => {
    let page = pages.get(seed);
    if (!page) {
      const e = seeds.find((s) => s.seed.startsWith(seed))!;
      const fixture = outlets.find((o) => o.id === e.outlet)!.pages.find((p) => p.seed === e.seed)!;
      const html = withPort(iconv.decode(readFileSync(fixturePath(fixture.file)), fixture.charset), 8080);
      page = (await processPage(html, { url: withPort(e.url, 8080) })).page;
      pages.set(seed, page);
    }
    return page;
  };

  it.each(cases)('seed %s: %s', async (seed, field, want) => {
    const w = want[field];
    const withPortValue = typeof w === 'string' ? withPort(w, 8080) : w;
    const got = valueOf(await pageOf(seed), field);
    expect(fieldMatches(field, withPortValue, got), `expected ${JSON.stringify(withPortValue)}, got ${JSON.stringify(got)}`).toBe(true);
  });
});

describe('metadata of 20 real pages (Zyte benchmark copies in fixtures/pages/zyte)', () => {
  const dir = path.join(REPO_ROOT, 'fixtures', 'pages', 'zyte');
  const truth = JSON.parse(readFileSync(path.join(dir, 'ground-truth.json'), 'utf8')) as Record<string, { url: string }>;
  const files = readdirSync(dir).filter((f) => f.endsWith('.html'));

  it('has a hand-written expectation for each of the 20 pages, and the pages are in the repository', () => {
    expect(Object.keys(expected.zyte)).toHaveLength(20);
    for (const prefix of Object.keys(expected.zyte)) expect(files.filter((f) => f.startsWith(prefix))).toHaveLength(1);
  });

  it(`matches at least ${PINNED_ZYTE_MATCHES} of the 120 fields`, async () => {
    let matches = 0;
    const misses: string[] = [];
    const perField = new Map<Field, number>(FIELDS.map((f) => [f, 0]));
    for (const [prefix, want] of Object.entries(expected.zyte)) {
      const file = files.find((f) => f.startsWith(prefix))!;
      const key = file.replace(/\.html$/, '');
      const html = decodeBytes(readFileSync(path.join(dir, file)), { kind: 'html' }).text;
      const { page } = await processPage(html, { url: truth[key]!.url });
      for (const field of FIELDS) {
        const got = valueOf(page, field);
        if (fieldMatches(field, want[field], got)) {
          matches++;
          perField.set(field, perField.get(field)! + 1);
        } else {
          misses.push(`${prefix} ${field}: expected ${JSON.stringify(want[field])}, got ${JSON.stringify(got)}`);
        }
      }
    }
    console.log(`[metadata] ${matches}/120 fields match (${FIELDS.map((f) => `${f} ${perField.get(f)}/20`).join(', ')})`);
    if (misses.length) console.log(`[metadata] misses:\n  ${misses.join('\n  ')}`);
    expect(matches).toBeGreaterThanOrEqual(PINNED_ZYTE_MATCHES);
  });
});
