// parseOpml on a real-looking reader export (nested categories, mixed attribute case) and on non-OPML.
import { describe, expect, it } from 'vitest';
import { parseOpml } from '../../config/opml.ts';
import { FeedsiftError } from '../../pipeline/errors.ts';

// Shaped like a Feedly/Inoreader export: categories as outlines without xmlUrl, feeds inside,
// one feed listed under two categories, an HTML entity in a title, attribute names in odd case.
const EXPORT = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head>
    <title>Subscriptions of reader@example.org</title>
    <dateCreated>Wed, 27 Aug 2025 11:34:00 +0000</dateCreated>
  </head>
  <body>
    <outline text="World" title="World">
      <outline type="rss" text="Ukrinform EN" title="Ukrinform &amp; Partners" xmlUrl="https://www.ukrinform.net/rss/block-lastnews" htmlUrl="https://www.ukrinform.net/"/>
      <outline type="rss" text="espreso global" xmlurl="https://global.espreso.tv/rss" language="en"/>
      <outline text="Europe">
        <outline type="rss" text="Le Monde" XMLURL="feed://www.lemonde.fr/rss/une.xml" language="fr-FR"/>
      </outline>
    </outline>
    <outline text="Tech">
      <outline type="rss" text="Ukrinform again" xmlUrl="https://www.ukrinform.net/rss/block-lastnews"/>
      <outline type="atom" text="Heise developer" xmlUrl="https://www.heise.de/developer/rss/news-atom.xml"/>
    </outline>
    <outline text="Unfiled, no title attribute" xmlUrl="https://blog.example/feed.json"/>
  </body>
</opml>`;

describe('parseOpml', () => {
  it('reads nested outlines in document order, each feed once', () => {
    expect(parseOpml(EXPORT)).toEqual([
      { url: 'https://www.ukrinform.net/rss/block-lastnews', name: 'Ukrinform & Partners' },
      { url: 'https://global.espreso.tv/rss', name: 'espreso global', language: 'en' },
      { url: 'http://www.lemonde.fr/rss/une.xml', name: 'Le Monde', language: 'fr-FR' },
      { url: 'https://www.heise.de/developer/rss/news-atom.xml', name: 'Heise developer' },
      { url: 'https://blog.example/feed.json', name: 'Unfiled, no title attribute' },
    ]);
  });

  it('accepts an empty body', () => {
    expect(parseOpml('<opml version="2.0"><head/><body></body></opml>')).toEqual([]);
  });

  it.each([
    ['not XML', 'this is not <xml', /not well-formed XML/],
    ['an RSS feed', '<rss version="2.0"><channel><title>x</title></channel></rss>', /no <opml> root/],
    ['OPML without a body', '<opml version="2.0"><head><title>x</title></head></opml>', /no <body>/],
    ['a non-http xmlUrl', '<opml><body><outline text="a" xmlUrl="javascript:alert(1)"/><outline xmlUrl="/relative.xml"/></body></opml>', /"javascript:alert\(1\)", "\/relative.xml"/],
  ])('rejects %s with CONFIG_INVALID', (_name, text, message) => {
    let caught: unknown;
    try {
      parseOpml(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FeedsiftError);
    expect((caught as FeedsiftError).code).toBe('CONFIG_INVALID');
    expect((caught as FeedsiftError).stage).toBe('config');
    expect((caught as FeedsiftError).message).toMatch(message);
  });

  it('refuses an OPML file that declares entities (billion laughs) without expanding it', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
      <opml version="2.0"><body><outline text="&c;" xmlUrl="https://example.org/feed"/></body></opml>`;
    expect(() => parseOpml(lol)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/entit/i) }));
  });
});
