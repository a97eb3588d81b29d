import { describe, expect, it } from 'vitest';
import type { Block, RemovalReason } from '../../pipeline/records.ts';
import { isCaptionLine, isMetadataLine, isPrompt, stripBlocks } from '../../pipeline/strip.ts';
import { countWords } from '../../pipeline/text.ts';

// Blocks as the language stage hands them over.
const para = (text: string, language = 'en', linkDensity = 0): Block => ({ kind: 'paragraph', text, linkDensity, language, languageConfidence: 0.99 });
const head = (text: string, language = 'en'): Block => ({ kind: 'heading', text, linkDensity: 0, language, languageConfidence: 0.5 });
const item = (text: string, linkDensity = 1, language = 'en'): Block => ({ kind: 'list-item', text, linkDensity, language, languageConfidence: 0.5 });

const ARTICLE = [
  'The United States has signalled its readiness to provide intelligence, surveillance and air defence support to any European-led security initiative for postwar Ukraine.',
  'Senior officials have since indicated that the country could contribute strategic enablers, including command and control and air defence assets, to support a deployment.',
  'A coalition led by the UK and France has pledged to protect Ukraine from potential postwar attacks, but officials privately acknowledged that any deployment would rely on US support.',
  'European Commission spokesperson Paula Pinho said national security advisers are now working to define the specifics of security guarantees, with details expected soon.',
].map((t) => para(t));
const TITLE = 'US signals support for European-led security plan in postwar Ukraine';

function strip(blocks: Block[], extra: { title?: string; byline?: string; siteHost?: string } = {}) {
  return stripBlocks(blocks, { language: 'en', title: TITLE, ...extra });
}
const keptTexts = (blocks: Block[], extra = {}) => strip(blocks, extra).kept.map((b) => b.text);
const removedAs = (blocks: Block[], extra = {}) => strip(blocks, extra).removed.map((r) => [r.reason, r.text, r.language]);

describe('stripBlocks keeps the article', () => {
  it('keeps every block of a clean article, sub-headings and section labels included', () => {
    const blocks = [ARTICLE[0]!, head('Details'), ARTICLE[1]!, head('Three-level design'), ARTICLE[2]!, head('Addition'), ARTICLE[3]!];
    const { kept, removed } = strip(blocks);
    expect(removed).toEqual([]);
    expect(kept).toEqual(blocks);
  });

  it('keeps a foreign-language quote between article paragraphs', () => {
    const quote: Block = { kind: 'quote', text: 'Мы против этого, и наша позиция по размещению европейских войск на Украине не изменилась.', linkDensity: 0, language: 'ru' };
    const blocks = [ARTICLE[0]!, ARTICLE[1]!, quote, ARTICLE[2]!, ARTICLE[3]!];
    expect(strip(blocks).kept).toContain(quote);
  });

  it('keeps a mid-article list of points that are not links', () => {
    const points = [item('four to five European brigades on the ground', 0), item('strategic enablers from the US', 0)];
    const blocks = [ARTICLE[0]!, ARTICLE[1]!, ...points, ARTICLE[2]!];
    expect(strip(blocks).removed).toEqual([]);
  });
});

describe('stripBlocks removes furniture, each with its reason', () => {
  const cases: Array<{ name: string; blocks: Block[]; removed: Array<[RemovalReason, string, string?]>; ctx?: Record<string, string> }> = [
    {
      name: 'a share widget after the article (label and lone network names)',
      blocks: [...ARTICLE, para('share this news:'), para('Facebook'), para('Twitter'), para('WhatsApp'), para('Telegram')],
      removed: [
        ['share-widget', 'share this news:', 'en'],
        ['share-widget', 'Facebook', 'en'],
        ['share-widget', 'Twitter', 'en'],
        ['share-widget', 'WhatsApp', 'en'],
        ['share-widget', 'Telegram', 'en'],
      ],
    },
    {
      name: 'share labels in other languages, and a network row',
      blocks: [para('Teilen:', 'de'), ...ARTICLE, para('Поделиться', 'ru'), para('Facebook X LinkedIn Email')],
      removed: [
        ['share-widget', 'Teilen:', 'de'],
        ['share-widget', 'Поделиться', 'ru'],
        ['share-widget', 'Facebook X LinkedIn Email', 'en'],
      ],
    },
    {
      name: 'a Chinese related item after the article, its heading and title with it',
      blocks: [...ARTICLE, head('看看这些相关内容', 'zh'), head('意企投1100万欧建水利设施惠及民生', 'zh'), para('近日,意大利圣培露集团在贝加莫省启动一项价值1100万欧元的水利项目,旨在保障当地主要水源的持续供应。', 'zh'), head('Read More')],
      removed: [
        ['foreign-language', '看看这些相关内容', 'zh'],
        ['foreign-language', '意企投1100万欧建水利设施惠及民生', 'zh'],
        ['foreign-language', '近日,意大利圣培露集团在贝加莫省启动一项价值1100万欧元的水利项目,旨在保障当地主要水源的持续供应。', 'zh'],
        ['read-more-list', 'Read More', 'en'],
      ],
    },
    {
      name: 'a Russian item appended at the end',
      blocks: [...ARTICLE, para('В Киеве прошла встреча министров иностранных дел, на которой обсуждались вопросы энергетики и восстановления.', 'ru')],
      removed: [['foreign-language', 'В Киеве прошла встреча министров иностранных дел, на которой обсуждались вопросы энергетики и восстановления.', 'ru']],
    },
    {
      name: 'an Arabic item before the article',
      blocks: [para('قال وزير الخارجية إن المحادثات بشأن الضمانات الأمنية ستستمر الأسبوع المقبل في القاهرة والرياض.', 'ar'), ...ARTICLE],
      removed: [['foreign-language', 'قال وزير الخارجية إن المحادثات بشأن الضمانات الأمنية ستستمر الأسبوع المقبل في القاهرة والرياض.', 'ar']],
    },
    {
      name: 'a Japanese item with its short Latin-script tag line',
      blocks: [...ARTICLE, para('NHK'), para('東京都は来年度から、新しい防災計画を導入すると発表しました。', 'ja')],
      removed: [
        ['foreign-language', 'NHK', 'ja'],
        ['foreign-language', '東京都は来年度から、新しい防災計画を導入すると発表しました。', 'ja'],
      ],
    },
    {
      name: 'a same-language unrelated item under a "Related" heading',
      blocks: [
        ...ARTICLE,
        head('Related'),
        head('Heatwave closes schools across southern Italy'),
        para('Authorities in several regions ordered schools to close for two days as temperatures climbed above 40 degrees, the highest reading this summer.'),
      ],
      removed: [
        ['related-content', 'Related', 'en'],
        ['related-content', 'Heatwave closes schools across southern Italy', 'en'],
        ['related-content', 'Authorities in several regions ordered schools to close for two days as temperatures climbed above 40 degrees, the highest reading this summer.', 'en'],
      ],
    },
    {
      name: 'a "Latest news" widget with its link list',
      blocks: [...ARTICLE, head('Latest news'), item('Zelensky meets Trump in Washington'), item('Kellogg: talks on guarantees are complex')],
      removed: [
        ['read-more-list', 'Latest news', 'en'],
        ['read-more-list', 'Zelensky meets Trump in Washington', 'en'],
        ['read-more-list', 'Kellogg: talks on guarantees are complex', 'en'],
      ],
    },
    {
      name: 'a "Read also" line and its link in the middle of the article, the rest kept',
      blocks: [ARTICLE[0]!, ARTICLE[1]!, para('Read also:'), para('Kellogg says guarantees are complex', 'en', 1), ARTICLE[2]!, ARTICLE[3]!],
      removed: [
        ['read-more-list', 'Read also:', 'en'],
        ['read-more-list', 'Kellogg says guarantees are complex', 'en'],
      ],
    },
    {
      name: 'datelines with labels, a byline with its date, an advert line and a caption between paragraphs',
      blocks: [
        para('By Justine Coleman - 11/18/19 11:04 PM EST'),
        para('Updated Nov 19, 6:55 AM;Posted Nov 19, 6:51 AM'),
        ARTICLE[0]!,
        para('Advertisement'),
        ARTICLE[1]!,
        para('Protesters have worn masks to protect their identities (Image: GETTY )'),
        ARTICLE[2]!,
        para('Continue reading below'),
        ARTICLE[3]!,
      ],
      removed: [
        ['byline', 'By Justine Coleman - 11/18/19 11:04 PM EST', 'en'],
        ['metadata-line', 'Updated Nov 19, 6:55 AM;Posted Nov 19, 6:51 AM', 'en'],
        ['boilerplate', 'Advertisement', 'en'],
        ['boilerplate', 'Protesters have worn masks to protect their identities (Image: GETTY )', 'en'],
        ['boilerplate', 'Continue reading below', 'en'],
      ],
    },
    {
      name: 'a newsletter prompt mid-article and a follow line at the end',
      blocks: [
        ARTICLE[0]!,
        ARTICLE[1]!,
        para('Breaking News Emails: get breaking news alerts and special reports delivered to your inbox.'),
        ARTICLE[2]!,
        ARTICLE[3]!,
        para('Have a tip? Jane Doe may be reached at jdoe@example.com. Follow her on Twitter @JaneDoe or on Facebook.'),
      ],
      removed: [
        ['boilerplate', 'Breaking News Emails: get breaking news alerts and special reports delivered to your inbox.', 'en'],
        ['share-widget', 'Have a tip? Jane Doe may be reached at jdoe@example.com. Follow her on Twitter @JaneDoe or on Facebook.', 'en'],
      ],
    },
    {
      name: 'a one-line "Related: <link>" teaser near the end does not take the last paragraphs with it',
      blocks: [ARTICLE[0]!, ARTICLE[1]!, ARTICLE[2]!, para('Related: The 15 weirdest galaxies in our universe', 'en', 0.85), ARTICLE[3]!],
      removed: [['related-content', 'Related: The 15 weirdest galaxies in our universe', 'en']],
    },
    {
      name: 'host and dateline under the headline (aggregator copy)',
      blocks: [head(TITLE), para('global.espreso.tv'), para('Wed, 27 Aug 2025 11:34:00 +0300'), ...ARTICLE],
      removed: [
        ['duplicate-headline', TITLE, 'en'],
        ['metadata-line', 'global.espreso.tv', 'en'],
        ['metadata-line', 'Wed, 27 Aug 2025 11:34:00 +0300', 'en'],
      ],
    },
    {
      name: 'the headline repeated as the first body block, and a trailing byline',
      blocks: [para(TITLE), ...ARTICLE, para('By Khagan Isayev')],
      removed: [
        ['duplicate-headline', TITLE, 'en'],
        ['byline', 'By Khagan Isayev', 'en'],
      ],
    },
    {
      name: 'the known byline as a bare name after the article',
      blocks: [...ARTICLE, para('Khagan Isayev')],
      ctx: { byline: 'Khagan Isayev' },
      removed: [['byline', 'Khagan Isayev', 'en']],
    },
    {
      name: 'navigation links before and tag links after the article',
      blocks: [para('Home World Europe Politics', 'en', 1), ...ARTICLE, para('Ukraine USA NATO', 'en', 0.9)],
      removed: [
        ['boilerplate', 'Home World Europe Politics', 'en'],
        ['boilerplate', 'Ukraine USA NATO', 'en'],
      ],
    },
  ];
  it.each(cases)('$name', ({ blocks, removed, ctx }) => {
    expect(removedAs(blocks, ctx ?? {})).toEqual(removed);
    expect(keptTexts(blocks, ctx ?? {})).toEqual(ARTICLE.map((b) => b.text).filter((t) => blocks.some((b) => b.text === t)));
  });

  it('does not treat a "By …" sentence inside the article as a byline', () => {
    const blocks = [ARTICLE[0]!, para('By Monday, the talks had stalled.'), ARTICLE[1]!, ARTICLE[2]!];
    expect(strip(blocks).removed).toEqual([]);
  });

  it('keeps a lone network name inside the article', () => {
    const blocks = [ARTICLE[0]!, ARTICLE[1]!, head('Telegram'), ARTICLE[2]!, ARTICLE[3]!];
    expect(strip(blocks).removed).toEqual([]);
  });

  it('does not cut the article at a "Related" label that most of the article follows', () => {
    const blocks = [ARTICLE[0]!, head('Related'), ARTICLE[1]!, ARTICLE[2]!, ARTICLE[3]!];
    expect(keptTexts(blocks)).toEqual(ARTICLE.map((b) => b.text));
  });

  it('removes nothing when there is no document language to compare with', () => {
    const blocks = [para('意企投1100万欧建水利设施惠及民生', 'zh'), ...ARTICLE];
    expect(stripBlocks(blocks, { language: 'und' }).removed).toEqual([]);
  });
});

describe('isCaptionLine and isPrompt', () => {
  it.each([
    ['Image copyright Getty Images', true],
    ['Image caption Taylor Swift\'s seventh album is the only one she owns', true],
    ['Protesters have worn masks to protect their identities (Image: GETTY )', true],
    ['Vicente Aguiar loads garage door trims into his pickup truck in Hialeah, Fla. (AP Photo/Alan Diaz, File)', true],
    ['Natalie Naccache | Bloomberg | Getty Images', true],
    ['Photo: Reuters', true],
    ['Getty Images said the licence covers the photo archive.', false],
    ['The agency (Reuters) reported the photo was taken on Monday in the port city.', false],
  ])('caption %j → %s', (text, expected) => {
    expect(isCaptionLine(text, countWords(text))).toBe(expected);
  });

  it.each([
    ['Sign up for The Water Coolest today to get the free daily newsletter delivered to your inbox daily.', true],
    ['Get the latest updates right in your inbox. Subscribe to our newsletters.', true],
    ['SUBSCRIBE', true],
    ['This website uses cookies to improve your experience. We\'ll assume you\'re ok with this.', true],
    ['Disney patched the software as the company continued to sign up additional subscribers throughout the week.', false],
    ['If you just want Disney+, you can sign up for a free 7-day trial, or pay a $69.99 annual subscription fee.', false],
  ])('prompt %j → %s', (text, expected) => {
    expect(isPrompt(text, countWords(text))).toBe(expected);
  });
});

describe('isMetadataLine', () => {
  it.each([
    ['global.espreso.tv', true],
    ['https://www.example.com/', true],
    ['Wed, 27 Aug 2025 11:34:00 +0300', true],
    ['27.08.2025 11:34', true],
    ['August 27, 2025', true],
    ['Updated: 12:30 GMT', true],
    ['2025', false],
    ['Details', false],
    ['U.S.', false],
    ['On August 25, Kellogg said talks were complex', false],
    ['PUBLISHED: 10:48, Tue, Nov 19, 2019 | UPDATED: 11:05, Tue, Nov 19, 2019', true],
    ['Updated Nov 19, 6:55 AM;Posted Nov 19, 6:51 AM', true],
    ['First Published: Tuesday, November 19, 2019 08:38 AM', true],
    ['Published 1 day ago', true],
    ['Updated at 1:23 p.m.', true],
    ['sexta-feira, 22 de outubro de 2010 às 20:13', true],
    ['27 августа 2025, 11:34', true],
    ['Mittwoch, 27. August 2025, 11:34 Uhr', true],
    ['2019年11月20日 14:35', true],
    ['In 2019 there were 45,000 cases', false],
    ['Published 12 studies in 2019', false],
  ])('%j → %s', (text, expected) => {
    expect(isMetadataLine(text)).toBe(expected);
  });

  it('recognises the page host', () => {
    expect(isMetadataLine('Espreso', 'espreso')).toBe(true);
  });
});
