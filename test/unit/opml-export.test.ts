// toOpml writes what parseOpml reads back: names with markup characters, languages, feedsift's
// own id and poll interval; an untitled feed stays untitled.
import { describe, expect, it } from 'vitest';
import { parseOpml, toOpml, type OpmlFeed } from '../../config/opml.ts';

describe('toOpml', () => {
  const feeds: OpmlFeed[] = [
    { url: 'https://news.example/world/rss', name: 'News & "Views" <World>', language: 'en', id: 'world', pollIntervalSeconds: 600 },
    { url: 'https://zeitung.example/feed?a=1&b=2', name: 'Zeitung\tTab', pollIntervalSeconds: 7200 },
    { url: 'https://untitled.example/atom.xml' },
    { url: 'https://ja.example/rss', name: '日本のニュース', language: 'ja' },
  ];

  it('round-trips through parseOpml', () => {
    expect(parseOpml(toOpml(feeds))).toEqual(feeds);
  });

  it('is OPML 2.0 with one rss outline per feed and feedsift\'s attributes in their own namespace', () => {
    const opml = toOpml(feeds, { title: 'mine', now: new Date('2026-01-02T03:04:05Z') });
    expect(opml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<opml version="2\.0" xmlns:feedsift="https:\/\/feedsift\.dev\/ns\/opml">/);
    expect(opml).toContain('<title>mine</title>');
    expect(opml).toContain('<dateCreated>Fri, 02 Jan 2026 03:04:05 GMT</dateCreated>');
    expect(opml.match(/<outline type="rss" /g)).toHaveLength(4);
    expect(opml).toContain('text="News &amp; &quot;Views&quot; &lt;World&gt;" title="News &amp; &quot;Views&quot; &lt;World&gt;" xmlUrl="https://news.example/world/rss" language="en" feedsift:id="world" feedsift:pollInterval="600"/>');
    expect(opml).toContain('xmlUrl="https://zeitung.example/feed?a=1&amp;b=2"');
    // an untitled feed: text is required by OPML, so it is the URL, and no title
    expect(opml).toContain('<outline type="rss" text="https://untitled.example/atom.xml" xmlUrl="https://untitled.example/atom.xml"/>');
  });

  it('writes an empty body for no feeds', () => {
    expect(parseOpml(toOpml([]))).toEqual([]);
  });
});
