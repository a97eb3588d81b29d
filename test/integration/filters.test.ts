// Article filters through the whole pipeline on real Redis: the fixture outlets plus a loopback
// site with a German, a Russian and an English article, under global filters from the
// environment and per-feed filters. Filtered articles are counted by reason, logged, and
// never reach the dedupe queue or the output queues; everything else is still published.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemLinkTemplate, outlets, withPort } from '../../fixtures/manifest.ts';
import { startFixtureServer, type FixtureServer } from '../../fixtures/server.ts';
import type { FeedConfig, OutputRecord } from '../../pipeline/records.ts';
import { Metrics } from '../../workers/metrics.ts';
import { readOutput, runOnce, startRuntime } from '../../workers/runtime.ts';
import { parseExposition, valueOf } from '../helpers/prometheus.ts';
import { loopbackConfig } from '../helpers/config.ts';
import { deletePrefix, newRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

const PAGES = [
  {
    path: '/de/strassenbahn',
    lang: 'de',
    title: 'Neue Straßenbahnlinie soll im Herbst fahren',
    paragraphs: [
      'Die Stadtwerke von Freiburg haben am Dienstag angekündigt, dass die Straßenbahnlinie zum neuen Wohngebiet im Westen der Stadt bereits im Herbst fertiggestellt werden soll.',
      'Nach Angaben des Unternehmens liegen die Bauarbeiten trotz des nassen Frühjahrs im Zeitplan. Die Anwohner hatten sich seit Jahren eine bessere Anbindung an die Innenstadt gewünscht.',
      'Der Oberbürgermeister sprach von einem wichtigen Schritt für den öffentlichen Nahverkehr und kündigte weitere Investitionen in das Busnetz an.',
    ],
  },
  {
    path: '/ru/naberezhnaya',
    lang: 'ru',
    title: 'Городской совет утвердил план реконструкции набережной',
    paragraphs: [
      'Городской совет Новосибирска во вторник утвердил план реконструкции набережной реки Обь. Работы начнутся весной следующего года и продлятся около двух лет.',
      'По словам мэра, на набережной появятся новые велосипедные дорожки, детские площадки и места для отдыха.',
      'Жители района давно просили благоустроить этот участок берега, который после закрытия старого порта оказался заброшенным. Часть средств выделит областной бюджет.',
    ],
  },
  {
    path: '/en/ferries',
    lang: 'en',
    title: 'Lake ferry cooperative votes for electric boats',
    paragraphs: [
      'The island ferry cooperative on the lake voted on Thursday to replace its two oldest boats with electric vessels by the end of next summer.',
      'Members said the diesel engines had become too expensive to maintain and too loud for the villages along the shore.',
      'The new boats will be built at a small yard in the harbour town and will carry up to forty passengers and six bicycles each. The cooperative expects ticket prices to stay the same.',
    ],
  },
] as const;

/** A site serving an RSS feed of PAGES and each page. */
function polyglotSite(): Server {
  const site: Server = createServer((req, res) => {
    const origin = `http://polyglot.test:${(site.address() as AddressInfo).port}`;
    if (req.url === '/feed') {
      const items = PAGES.map((p) => `<item><guid>${origin}${p.path}</guid><link>${origin}${p.path}</link><title>${p.title}</title></item>`).join('');
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Polyglot</title><link>${origin}/</link>${items}</channel></rss>`);
      return;
    }
    const page = PAGES.find((p) => p.path === req.url);
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="${page.lang}"><head><title>${page.title}</title></head><body><nav><a href="/">Polyglot</a></nav>
      <article><h1>${page.title}</h1>${page.paragraphs.map((p) => `<p>${p}</p>`).join('')}</article><footer>Polyglot</footer></body></html>`);
  });
  return site;
}

describe('filters in the pipeline on real Redis', () => {
  let server: FixtureServer;
  let site: Server;
  const redis = newRedis();
  const prefix = uniquePrefix();

  beforeAll(async () => {
    server = await startFixtureServer();
    site = polyglotSite();
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await server.close();
    await new Promise((r) => site.close(r));
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('keeps filtered articles out of the output, counts and logs them by reason, publishes the rest', async () => {
    const sitePort = (site.address() as AddressInfo).port;
    const siteLink = (path: string): string => `http://polyglot.test:${sitePort}${path}`;
    const perFeed: Record<string, FeedConfig['filters']> = {
      // a feed's own exclusion, added to the global ones
      unrelated: { keywords: { exclude: ['\\bplague\\b'] } },
      // a feed's own minimum replaces FEEDSIFT_MIN_WORDS (25): its two short articles (about 125 words) go, the long one stays
      'kyiv-dispatch': { minWords: 200 },
    };
    const feeds: FeedConfig[] = [
      ...server.feeds.map((f) => ({ ...f, ...(perFeed[f.id] ? { filters: perFeed[f.id] } : {}) })),
      // English only for this feed (compared on the primary subtag); the global deny still applies
      { id: 'polyglot', url: siteLink('/feed'), pollIntervalSeconds: 300, filters: { languages: { allow: ['en-GB'] } } },
    ];
    const config = loopbackConfig({
      prefix,
      feeds,
      hosts: { ...server.hosts, 'polyglot.test': '127.0.0.1' },
      env: {
        FEEDSIFT_LANGUAGES_DENY: 'ru',
        // Unicode and case-insensitive: "GÖYGÖL" finds "Göygöl"
        FEEDSIFT_KEYWORDS_EXCLUDE: JSON.stringify(['\\bstadia\\b', 'GÖYGÖL']),
      },
    });
    const logs: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const rt = await startRuntime(config, { redisUrl: testRedisUrl(), log });
    try {
      const run = await runOnce(rt.ctx, config.feeds, { runId: 'filters', timeoutMs: 120_000 });
      expect(run.failures).toEqual([]);

      // what must be filtered, by item link → [reason, feed]
      const fixtureLink = (title: RegExp): string => {
        const found = outlets.flatMap((o) => o.pages.map((p) => ({ o, p }))).filter(({ p }) => title.test(p.title));
        expect(found).toHaveLength(1);
        return withPort(itemLinkTemplate(found[0]!.o, found[0]!.p), server.port);
      };
      const expected = new Map<string, [string, string]>([
        [siteLink('/de/strassenbahn'), ['language', 'polyglot']],
        [siteLink('/ru/naberezhnaya'), ['language', 'polyglot']],
        [fixtureLink(/Stadia/), ['keyword-exclude', 'unrelated']],
        [fixtureLink(/Göygöl/), ['keyword-exclude', 'caspian-courier']],
        [fixtureLink(/Plague/), ['keyword-exclude', 'unrelated']],
        [fixtureLink(/^Sunflower/), ['min-words', 'kyiv-dispatch']],
        [fixtureLink(/^National library/), ['min-words', 'kyiv-dispatch']],
      ]);

      expect(run.stats['articles.filtered.language']).toBe(2);
      expect(run.stats['articles.filtered.keyword-exclude']).toBe(3);
      expect(run.stats['articles.filtered.min-words']).toBe(2);
      expect(run.stats['articles.dropped.too-short']).toBe(2);
      expect(run.stats['articles.filtered.keyword-include'] ?? 0).toBe(0);
      // ...and visible on /metrics as the HTTP endpoint renders it
      const exposition = parseExposition(await new Metrics({ redis: rt.ctx.redis, prefix: rt.ctx.settings.prefix, queues: rt.ctx.queues, feeds }).render());
      expect(valueOf(exposition, 'feedsift_articles_total', { outcome: 'filtered', reason: 'language' })).toBe(2);
      expect(valueOf(exposition, 'feedsift_articles_total', { outcome: 'filtered', reason: 'keyword-exclude' })).toBe(3);
      expect(valueOf(exposition, 'feedsift_articles_total', { outcome: 'filtered', reason: 'min-words' })).toBe(2);

      // each article job says what became of it
      const articleJobs = await rt.ctx.queues.article.getJobs(['completed'], 0, -1);
      const allLinks = [...outlets.flatMap((o) => o.pages.map((p) => withPort(itemLinkTemplate(o, p), server.port))), ...PAGES.map((p) => siteLink(p.path))];
      expect(articleJobs.map((j) => j.data.item.link as string).sort()).toEqual([...allLinks].sort());
      for (const job of articleJobs) {
        const want = expected.get(job.data.item.link);
        expect(job.returnvalue.outcome, job.data.item.link).toBe(want ? `filtered:${want[0]}` : 'processed');
      }

      // every filtered article is logged with its url, feed, reason and a detail
      const filteredLogs = logs.filter((l) => l.msg === 'article filtered');
      expect(filteredLogs.map((l) => [l.url, l.reason, l.feedId]).sort()).toEqual([...expected].map(([url, [reason, feedId]]) => [url, reason, feedId]).sort());
      for (const l of filteredLogs) {
        expect(l.level).toBe(30);
        expect(String(l.detail).length).toBeGreaterThan(0);
      }
      const detailOf = (url: string): unknown => filteredLogs.find((l) => l.url === url)!.detail;
      expect(detailOf(siteLink('/ru/naberezhnaya'))).toBe('language "ru" is denied (deny: ru)');
      expect(detailOf(siteLink('/de/strassenbahn'))).toBe('language "de" is not allowed (allow: en)');
      expect(detailOf(fixtureLink(/Göygöl/))).toBe('exclude pattern "GÖYGÖL" matched "Göygöl" in the title');

      // nothing filtered went on to dedupe or out; everything else is published
      const records = (await readOutput(rt.ctx)) as OutputRecord[];
      const published = records.map((r) => r.url).sort();
      expect(published).toEqual(allLinks.filter((l) => !expected.has(l)).sort());
      const dedupeJobs = await rt.ctx.queues.dedupe.getJobs(['completed'], 0, -1);
      expect(dedupeJobs.map((j) => j.data.article.url as string).sort()).toEqual(published);
      // the five copies of the founding story are still one story and four duplicate notices
      expect(records.filter((r) => r.kind === 'duplicate')).toHaveLength(4);
      expect(run.stats.stories).toBe(allLinks.length - expected.size - 4);
      expect(records.find((r) => r.url === siteLink('/en/ferries'))).toMatchObject({ kind: 'story', language: 'en' });
    } finally {
      await rt.close();
    }
  });
});
