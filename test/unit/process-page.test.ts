// The page stages end to end on seed-shaped pages: every article paragraph survives, every
// widget the seeds carry is gone from the text and on record with its reason.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, loadExpectedSeeds, outlets, withPort, type ExpectedSeed } from '../../fixtures/manifest.ts';
import { processPage, type PageResult } from '../../pipeline/process-page.ts';
import type { RemovalReason } from '../../pipeline/records.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

const SEEDS_DIR = path.join(REPO_ROOT, 'fixtures', 'seeds');
const seedLines = (file: string): string[] =>
  readFileSync(path.join(SEEDS_DIR, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const isSubheading = (line: string): boolean => line.length < 60 && !/[.!?”"]$/.test(line);

/** A news page around an article: head metadata, navigation, a sidebar, a footer. */
function newsPage(o: { title: string; site: string; body: string; beforeBody?: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${esc(o.title)} | ${o.site}</title>
<meta property="og:title" content="${esc(o.title)}"><meta property="og:site_name" content="${o.site}">
<script>window.ads = [];</script><style>body{font:14px serif}</style></head><body>
<header><a class="logo" href="/">${o.site}</a><nav><ul><li><a href="/world">World</a></li><li><a href="/europe">Europe</a></li><li><a href="/economy">Economy</a></li></ul></nav></header>
<main><article class="post"><h1 class="post-title">${esc(o.title)}</h1>${o.beforeBody ?? ''}
<div class="post-body">${o.body}</div></article>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Ferry fares rise</a></li><li><a href="/b">Museum opens late</a></li></ul></aside></main>
<footer><p>© 2025 ${o.site}</p><a href="/privacy">Privacy</a></footer></body></html>`;
}

interface SeedCase {
  seed: string;
  html: string;
  /** Lines of the seed that are the article. */
  article: string[];
  /** Lines that must be gone from the text and on record with this reason (and language). */
  removed: Array<[string, RemovalReason, string?]>;
}

function seedCases(): SeedCase[] {
  const s0 = seedLines('000_9b2dfa73a543ddf7.txt');
  const s1 = seedLines('001_f69fc20beee95f66.txt');
  const s2 = seedLines('002_acbc25832cd86089.txt');
  const s3 = seedLines('003_a6aa7ec54f97f0ae.txt');
  const s4 = seedLines('004_ad09c38be325a5b8.txt');
  const paras = (lines: string[]): string =>
    lines.map((l) => (isSubheading(l) ? `<h2>${esc(l)}</h2>` : `<p>${esc(l)}</p>`)).join('\n');

  const share4 = s4.indexOf('share this news:');
  const networks = s4.slice(share4 + 1, share4 + 5);
  const [zhHeading, zhTitle, zhText] = s4.slice(share4 + 5, share4 + 8) as [string, string, string];
  return [
    {
      seed: '000',
      html: newsPage({ title: 'US ready to back a European security umbrella for Kiev, FT reports', site: 'Athens Daily', body: paras(s0) }),
      article: s0,
      removed: [],
    },
    {
      seed: '001',
      html: newsPage({
        title: 'US ready to provide intelligence for post-war Ukraine – FT',
        site: 'Kyiv Wire',
        body: s1.map((l) => (isSubheading(l) ? `<p><strong>${esc(l)}</strong></p>` : `<p>${esc(l)}</p>`)).join('\n'),
      }),
      article: s1,
      removed: [],
    },
    {
      seed: '002',
      html: newsPage({
        title: s2[0]!,
        site: 'Caspian News',
        body: `<p><b>${esc(s2[0]!)}</b></p>${paras(s2.slice(1, -1))}<p>${esc(s2.at(-1)!)}</p>`,
      }),
      article: s2.slice(1, -1),
      removed: [
        [s2[0]!, 'duplicate-headline'],
        [s2.at(-1)!, 'byline'],
      ],
    },
    {
      seed: '003',
      html: newsPage({
        title: s3[0]!,
        site: 'Wire Feed',
        beforeBody: `<div class="source"><a href="https://${s3[1]}/">${s3[1]}</a></div><div class="date">${s3[2]}</div>`,
        body: `<p>${esc(s3[3]!)}</p><div class="latest-list"><h2>${s3[4]}</h2><ul><li><a href="/x">Coffee prices slide</a></li><li><a href="/y">Rail operator orders trains</a></li></ul></div>`,
      }),
      article: [s3[3]!],
      removed: [
        [s3[1]!, 'metadata-line'],
        [s3[2]!, 'metadata-line'],
        [s3[4]!, 'read-more-list'],
      ],
    },
    {
      seed: '004',
      html: newsPage({
        title: s4[0]!,
        site: 'Herald',
        body: `${paras(s4.slice(1, share4))}
          <div class="social"><span>share this news:</span><ul>${networks.map((n) => `<li><a href="https://share.test/${n}">${n}</a></li>`).join('')}</ul></div>
          <div class="more-zh"><h4>${zhHeading}</h4><h3><a href="/zh/1">${zhTitle}</a></h3><p>${zhText}</p></div>
          <p><a class="more" href="/zh/1">Read More</a></p>`,
      }),
      article: s4.slice(1, share4),
      removed: [
        ['share this news:', 'share-widget'],
        ...networks.map((n): [string, RemovalReason] => [n, 'share-widget']),
        [zhHeading, 'foreign-language', 'zh'],
        [zhTitle, 'foreign-language', 'zh'],
        [zhText, 'foreign-language', 'zh'],
        ['Read More', 'read-more-list'],
      ],
    },
  ];
}

function expectRemoved(result: PageResult, text: string, reason: RemovalReason, language?: string): void {
  expect(result.kept.map((b) => b.text)).not.toContain(text);
  const record = result.removed.find((r) => r.text === text);
  expect(record, `"${text}" is on record as removed`).toBeDefined();
  expect(record!.reason).toBe(reason);
  if (language) expect(record!.language).toBe(language);
}

describe('processPage on seed-shaped pages', () => {
  const cases = seedCases();
  const results = new Map<string, PageResult>();
  beforeAll(async () => {
    for (const c of cases) results.set(c.seed, await processPage(c.html, { url: `https://outlet-${c.seed}.test/world/story?utm_source=rss` }));
  });

  it.each(cases.map((c) => [c.seed, c] as const))('seed %s: English, nothing of the article lost', (seed, c) => {
    const r = results.get(seed)!;
    expect(r.language).toBe('en');
    expect(r.languageConfidence).toBeGreaterThan(0.5);
    for (const line of c.article) expect(r.text).toContain(line);
    expect(r.text).toBe(r.kept.map((b) => b.text).join('\n\n'));
    expect(r.page.canonicalUrl).toBe(`https://outlet-${seed}.test/world/story`);
  });

  it.each(cases.filter((c) => c.removed.length).map((c) => [c.seed, c] as const))('seed %s: furniture removed with its reason', (seed, c) => {
    const r = results.get(seed)!;
    for (const [text, reason, language] of c.removed) expectRemoved(r, text, reason, language);
  });

  it('keeps sub-headings and section labels (000, 001) and labels them English', () => {
    for (const seed of ['000', '001']) {
      const r = results.get(seed)!;
      const labels = r.kept.filter((b) => isSubheading(b.text));
      expect(labels.length).toBeGreaterThanOrEqual(2);
      for (const b of labels) expect(b.language).toBe('en');
    }
  });

  it('counts words with Intl.Segmenter', () => {
    const r = results.get('000')!;
    expect(r.wordCount).toBeGreaterThan(400);
    expect(r.wordCount).toBeLessThan(r.text.split(/\s+/).length + 50);
  });
});

describe('processPage on a Chinese page', () => {
  const ZH = [
    '意大利北部城市贝加莫近日启动一项新的水利工程，预计二零二六年完工，届时将惠及三十多万名当地居民。',
    '项目负责人表示，新建的水处理设施将提高水质，并在极端天气期间保障主要水源的持续供应。',
    '市政府官员对此表示欢迎，认为该项目兼具经济效益与环境效益，是地方可持续发展的重要一步。',
    '据介绍，这项投资是企业自二零二零年以来推出的长期计划的一部分，重点保护水资源与生物多样性。',
  ];
  it('detects zh and counts words, not whitespace runs', async () => {
    const html = newsPage({ title: '贝加莫水利工程启动', site: '欧华报', body: ZH.map((p) => `<p>${p}</p>`).join('') }).replace('lang="en"', 'lang="zh-CN"');
    const r = await processPage(html, { url: 'https://zh.example.test/a' });
    expect(r.language).toBe('zh');
    expect(r.page.htmlLang).toBe('zh');
    for (const p of ZH) expect(r.text).toContain(p);
    expect(r.wordCount).toBeGreaterThan(60);
    expect(r.text.split(/\s+/).length).toBeLessThan(10);
  });
});

// The fixture outlets built from the seeds (fixtures/), when they are there.
const expectedFile = path.join(REPO_ROOT, 'fixtures', 'expected', 'seeds.json');
const haveFixtures = existsSync(expectedFile);

describe.skipIf(!haveFixtures)('processPage on the fixture outlets\' seed pages', () => {
  const expected: ExpectedSeed[] = haveFixtures ? loadExpectedSeeds() : [];
  it.each(expected.map((e) => [e.seed, e] as const))('%s: language, kept and removed as fixtures/expected/seeds.json says', async (_seed, e) => {
    const outlet = outlets.find((o) => o.id === e.outlet)!;
    const page = outlet.pages.find((p) => p.seed === e.seed)!;
    const html = withPort(iconv.decode(readFileSync(fixturePath(page.file)), page.charset), 8080);
    const r = await processPage(html, { url: withPort(e.url, 8080) });
    expect(r.language).toBe(e.language);
    for (const line of e.mustKeep) expect(r.text).toContain(line);
    for (const m of e.mustRemove) expectRemoved(r, m.text, m.reason, m.language);
  });
});

// Issue point 4: variants of seed 004's fixture page (fixtures/outlets/eurochina-herald/…).
// The Chinese item appended after the share bar is swapped for one in Russian, Arabic or
// Japanese, or for an English item under a "Related" heading; a German quotation is put
// between two article paragraphs.
describe.skipIf(!haveFixtures)('processPage on variants of seed 004\'s fixture page', () => {
  const seed004 = (): { html: string; url: string; article: string[] } => {
    const e = loadExpectedSeeds().find((x) => x.seed.startsWith('004'))!;
    const outlet = outlets.find((o) => o.id === e.outlet)!;
    const page = outlet.pages.find((p) => p.seed === e.seed)!;
    const html = withPort(iconv.decode(readFileSync(fixturePath(page.file)), page.charset), 8080);
    const lines = seedLines('004_ad09c38be325a5b8.txt');
    return { html, url: withPort(e.url, 8080), article: lines.slice(1, lines.indexOf('share this news:')) };
  };
  const CHINESE_ITEM = /<h4>看看这些相关内容<\/h4>[\s\S]*?(?=<p><a [^>]*>Read More<\/a><\/p>)/;
  const item = (heading: string, title: string, text: string): string =>
    `<h4>${heading}</h4>\n<h3><a href="/other/2025/08/26/item/">${title}</a></h3>\n<p>${text}</p>\n`;
  const variants: Array<{ name: string; heading: string; title: string; text: string; reason: RemovalReason; language?: string }> = [
    {
      name: 'Russian',
      heading: 'Читайте также',
      title: 'В Бергамо начали строить новый водопровод',
      text: 'Итальянская компания начала в провинции Бергамо строительство водопровода стоимостью 11 миллионов евро, чтобы обеспечить город водой в засушливые годы.',
      reason: 'foreign-language',
      language: 'ru',
    },
    {
      name: 'Arabic',
      heading: 'اقرأ أيضا',
      title: 'مشروع مائي جديد في بيرغامو',
      text: 'بدأت شركة إيطالية في مقاطعة بيرغامو تنفيذ مشروع مائي بقيمة أحد عشر مليون يورو لضمان إمدادات المياه للسكان خلال مواسم الجفاف المقبلة.',
      reason: 'foreign-language',
      language: 'ar',
    },
    {
      name: 'Japanese',
      heading: '関連記事',
      title: 'ベルガモで新たな水道事業が始まる',
      text: 'イタリアの企業がベルガモ県で総額1100万ユーロの水道事業を開始し、干ばつの年でも地域の水源を安定して確保することを目指している。',
      reason: 'foreign-language',
      language: 'ja',
    },
    {
      name: 'English, under a "Related" heading',
      heading: 'Related',
      title: 'Heatwave closes schools across southern Italy',
      text: 'Authorities in several regions ordered schools to close for two days as temperatures climbed above 40 degrees, the highest reading this summer.',
      reason: 'related-content',
    },
  ];

  it.each(variants)('an appended item in $name is removed as $reason, the article kept whole', async (v) => {
    const { html, url, article } = seed004();
    expect(html).toMatch(CHINESE_ITEM);
    const r = await processPage(html.replace(CHINESE_ITEM, item(v.heading, v.title, v.text)), { url });
    expect(r.language).toBe('en');
    for (const line of article) expect(r.text).toContain(line);
    expect(r.kept.at(-1)!.text).toBe(article.at(-1)); // the body ends with the Kremlin's reaction
    for (const text of [v.heading, v.title, v.text]) expectRemoved(r, text, v.reason, v.language);
  });

  it('keeps a German quotation between two English paragraphs, its block labelled German', async () => {
    const { html, url, article } = seed004();
    const quote = 'Wir werden keine eigenen Soldaten in die Ukraine schicken, aber wir sind bereit, die europäischen Partner mit Aufklärung und Luftverteidigung zu unterstützen.';
    const third = `<p>${article[2]!.slice(0, 60)}`;
    expect(html).toContain(third);
    const r = await processPage(html.replace(third, `<blockquote><p>${quote}</p></blockquote>\n${third}`), { url });
    expect(r.language).toBe('en');
    const block = r.kept.find((b) => b.text === quote);
    expect(block, 'the quotation is kept').toBeDefined();
    expect(block!.language).toBe('de');
    expect(r.removed.map((x) => x.text)).not.toContain(quote);
    expect(r.kept.at(-1)!.text).toBe(article.at(-1));
  });
});
