// decodeBytes on real bytes: every case is real text encoded by iconv-lite, decoded back exactly.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { CharsetSource, DecodeHints } from '../../pipeline/charset.ts';
import { charsetFromContentType, decodeBytes, normaliseCharset } from '../../pipeline/charset.ts';

const RU = 'США готовы предоставить «стратегические возможности» для европейских сил в Украине.';
// KOI8-R has no guillemets: the same sentence with ASCII quotes.
const RU_KOI8 = 'США готовы предоставить "стратегические возможности" для европейских сил в Украине.';
const FR =
  "Les États-Unis sont prêts à fournir des « moyens stratégiques » à une force européenne déployée en Ukraine après la guerre, " +
  "a rapporté le Financial Times. Selon les responsables, l'aide américaine comprendrait le renseignement, la défense aérienne " +
  'et le soutien logistique, mais pas de troupes au sol. Le Kremlin a réagi avec méfiance à ces déclarations.';
const ZH_S = '美国准备为乌克兰的欧洲部队提供战略支持。看看这些相关内容';
const ZH_T = '美國準備為烏克蘭的歐洲部隊提供戰略支援。';
const JA = 'アメリカはウクライナの欧州部隊に戦略的支援を提供する用意がある。';
const KO = '미국은 우크라이나의 유럽군에 전략적 지원을 제공할 준비가 되어 있다.';
const PL = 'Zażółć gęślą jaźń: Stany Zjednoczone gotowe wesprzeć siły europejskie.';
const PT = 'Mãe de utente é a nova presidente da Raríssimas — “notícias” € 5';

const xml = (encoding: string | undefined, body: string): string =>
  `${encoding ? `<?xml version="1.0" encoding="${encoding}"?>` : ''}<rss version="2.0"><channel><title>${body}</title></channel></rss>`;

interface Case {
  name: string;
  bytes: Buffer;
  hints: DecodeHints;
  text: string;
  charset: string;
  source: CharsetSource;
}

const cases: Case[] = [
  { name: 'windows-1251 from the header', bytes: iconv.encode(RU, 'windows-1251'), hints: { kind: 'xml', contentType: 'application/rss+xml; charset=windows-1251' }, text: RU, charset: 'windows-1251', source: 'header' },
  { name: 'windows-1251 from the XML declaration', bytes: iconv.encode(xml('windows-1251', RU), 'windows-1251'), hints: { kind: 'xml' }, text: xml('windows-1251', RU), charset: 'windows-1251', source: 'xml-declaration' },
  { name: 'KOI8-R from the XML declaration', bytes: iconv.encode(xml('KOI8-R', RU_KOI8), 'koi8-r'), hints: { kind: 'xml' }, text: xml('KOI8-R', RU_KOI8), charset: 'koi8-r', source: 'xml-declaration' },
  { name: 'GBK labelled gb2312 in the header', bytes: iconv.encode(ZH_S, 'gbk'), hints: { kind: 'html', contentType: 'text/html; charset=GB2312' }, text: ZH_S, charset: 'gbk', source: 'header' },
  { name: 'Big5 from <meta charset>', bytes: iconv.encode(`<html><head><meta charset="big5"></head><body>${ZH_T}</body></html>`, 'big5'), hints: { kind: 'html' }, text: `<html><head><meta charset="big5"></head><body>${ZH_T}</body></html>`, charset: 'big5', source: 'meta' },
  { name: 'Shift_JIS from http-equiv', bytes: iconv.encode(`<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>${JA}</p>`, 'shift_jis'), hints: { kind: 'html' }, text: `<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>${JA}</p>`, charset: 'shift_jis', source: 'meta' },
  { name: 'EUC-KR from the header (quoted)', bytes: iconv.encode(KO, 'euc-kr'), hints: { kind: 'xml', contentType: 'text/xml; charset="euc-kr"' }, text: KO, charset: 'euc-kr', source: 'header' },
  { name: 'ISO-8859-2 from the XML declaration', bytes: iconv.encode(xml('ISO-8859-2', PL), 'iso-8859-2'), hints: { kind: 'xml' }, text: xml('ISO-8859-2', PL), charset: 'iso-8859-2', source: 'xml-declaration' },
  { name: 'windows-1252 (curly quotes, euro) labelled ISO-8859-1', bytes: iconv.encode(xml('ISO-8859-1', PT), 'windows-1252'), hints: { kind: 'xml' }, text: xml('ISO-8859-1', PT), charset: 'windows-1252', source: 'xml-declaration' },
  { name: 'UTF-16LE with BOM (beats the header)', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(xml(undefined, RU), 'utf-16le')]), hints: { kind: 'xml', contentType: 'text/xml; charset=iso-8859-1' }, text: xml(undefined, RU), charset: 'utf-16le', source: 'bom' },
  { name: 'UTF-16BE with BOM', bytes: Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(xml(undefined, ZH_S), 'utf-16be')]), hints: { kind: 'xml' }, text: xml(undefined, ZH_S), charset: 'utf-16be', source: 'bom' },
  { name: 'UTF-8 with BOM (beats a windows-1251 declaration)', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml('windows-1251', KO))]), hints: { kind: 'xml' }, text: xml('windows-1251', KO), charset: 'utf-8', source: 'bom' },
  { name: 'UTF-16LE without BOM, from the `<?` layout', bytes: iconv.encode(xml('UTF-16', JA), 'utf-16le'), hints: { kind: 'xml' }, text: xml('UTF-16', JA), charset: 'utf-16le', source: 'sniffed' },
  { name: 'plain UTF-8, no declaration anywhere', bytes: Buffer.from(xml(undefined, KO)), hints: { kind: 'xml' }, text: xml(undefined, KO), charset: 'utf-8', source: 'sniffed' },
  // The lying header: the server says UTF-8, the bytes are windows-1251 → sniffed, not trusted.
  { name: 'lying header: "utf-8" over windows-1251 bytes', bytes: iconv.encode(`${RU} ${RU} ${RU}`, 'windows-1251'), hints: { kind: 'html', contentType: 'text/html; charset=utf-8' }, text: `${RU} ${RU} ${RU}`, charset: 'windows-1251', source: 'sniffed' },
  // The opposite lie: a legacy label over bytes that are valid, non-ASCII UTF-8.
  { name: 'mislabelled UTF-8: declared windows-1252, bytes UTF-8', bytes: Buffer.from(xml('windows-1252', PT)), hints: { kind: 'xml' }, text: xml('windows-1252', PT), charset: 'utf-8', source: 'sniffed' },
  { name: 'unknown header label falls through to the declaration', bytes: iconv.encode(xml('koi8-r', RU_KOI8), 'koi8-r'), hints: { kind: 'xml', contentType: 'text/xml; charset=x-no-such-thing' }, text: xml('koi8-r', RU_KOI8), charset: 'koi8-r', source: 'xml-declaration' },
  { name: 'header beats the XML declaration', bytes: iconv.encode(xml('utf-8', RU_KOI8), 'koi8-r'), hints: { kind: 'xml', contentType: 'application/xml; charset=KOI8-R' }, text: xml('utf-8', RU_KOI8), charset: 'koi8-r', source: 'header' },
  { name: 'JSON defaults to UTF-8', bytes: Buffer.from(JSON.stringify({ title: KO })), hints: { kind: 'json' }, text: JSON.stringify({ title: KO }), charset: 'utf-8', source: 'default' },
  { name: 'HTML meta past 4 KiB is not looked for (windows-1252 sniffed)', bytes: iconv.encode(`${' '.repeat(5000)}<meta charset="koi8-r"><p>${FR}</p>`, 'windows-1252'), hints: { kind: 'html' }, text: `${' '.repeat(5000)}<meta charset="koi8-r"><p>${FR}</p>`, charset: 'windows-1252', source: 'sniffed' },
];

// ---------------------------------------------------------------------------------------------
// The charset table: every legacy encoding of the issue as a page (declared by the HTTP header,
// by <meta charset>, by <meta http-equiv>, and not declared at all) and as a feed (declared by
// the XML declaration), with real text in its language, decoded back to the exact text.
// ---------------------------------------------------------------------------------------------

interface Sample {
  /** Issue's name for the encoding. */
  name: string;
  /** iconv-lite codec that makes the bytes. */
  codec: string;
  /** The label the document declares. */
  label: string;
  /** The charset decodeBytes reports (browsers' decoder: ISO-8859-1 → windows-1252, ISO-8859-9 → windows-1254). */
  charset: string;
  /** What sniffing reports when it differs: chardet names the GB family by its superset, GB18030. */
  sniffed?: string;
  lang: string;
  title: string;
  text: string;
}

const SAMPLES: Sample[] = [
  { name: 'windows-1251', codec: 'windows-1251', label: 'windows-1251', charset: 'windows-1251', lang: 'ru', title: 'Переговоры о мире', text: 'Президент России заявил, что переговоры возможны только после прекращения огня. Министр иностранных дел добавил, что Москва «готова к диалогу», но не примет ультиматумов.' },
  { name: 'KOI8-R', codec: 'koi8-r', label: 'KOI8-R', charset: 'koi8-r', lang: 'ru', title: 'Переговоры о мире', text: 'Президент России заявил, что переговоры возможны только после прекращения огня. Министр иностранных дел добавил, что Москва готова к диалогу, но не примет ультиматумов.' },
  { name: 'GB2312', codec: 'gbk', label: 'GB2312', charset: 'gbk', sniffed: 'gb18030', lang: 'zh', title: '国务院常务会议', text: '国务院总理今天在北京主持召开国务院常务会议，研究进一步扩大内需的政策措施。会议指出，要加快推进重大项目建设，稳定就业和物价。' },
  // 镕 (U+9555) is in GBK but not in GB2312
  { name: 'GBK', codec: 'gbk', label: 'GBK', charset: 'gbk', sniffed: 'gb18030', lang: 'zh', title: '朱镕基谈改革', text: '前总理朱镕基今天在清华大学发表讲话，谈到经济改革的经验和教训。' },
  // Uyghur letters are 4-byte sequences in GB18030
  { name: 'GB18030', codec: 'gb18030', label: 'GB18030', charset: 'gb18030', lang: 'zh', title: '维吾尔语（ئۇيغۇرچە）', text: '新疆维吾尔自治区的通用语言包括维吾尔语（ئۇيغۇر تىلى）和汉语，报纸同时以两种文字出版。' },
  { name: 'Big5', codec: 'big5', label: 'Big5', charset: 'big5', lang: 'zh-TW', title: '颱風警報', text: '台灣中央氣象署今天發布颱風警報，提醒民眾注意強風豪雨。行政院長表示，政府已做好防災準備。' },
  { name: 'Shift_JIS', codec: 'shift_jis', label: 'Shift_JIS', charset: 'shift_jis', lang: 'ja', title: '台風十号が上陸へ', text: '気象庁は、台風十号が明日の朝に九州南部へ上陸する恐れがあると発表しました。交通機関の乱れに注意してください。' },
  { name: 'EUC-JP', codec: 'euc-jp', label: 'EUC-JP', charset: 'euc-jp', lang: 'ja', title: '台風十号が上陸へ', text: '気象庁は、台風十号が明日の朝に九州南部へ上陸する恐れがあると発表しました。交通機関の乱れに注意してください。' },
  { name: 'EUC-KR', codec: 'euc-kr', label: 'EUC-KR', charset: 'euc-kr', lang: 'ko', title: '전국에 강한 비', text: '기상청은 내일 전국에 강한 비가 내릴 것으로 예상된다며 시민들에게 각별한 주의를 당부했다. 일부 지역에는 호우 경보가 내려졌다.' },
  { name: 'ISO-8859-1', codec: 'iso-8859-1', label: 'ISO-8859-1', charset: 'windows-1252', lang: 'de', title: 'Größe des Haushalts', text: "Der Bundestag hat am Donnerstag über die Größe des Haushalts für den Straßenbau debattiert. À Paris, le ministre a présenté un projet de loi sur l'énergie et la sécurité." },
  { name: 'ISO-8859-2', codec: 'iso-8859-2', label: 'ISO-8859-2', charset: 'iso-8859-2', lang: 'pl', title: 'Sejm przyjął ustawę', text: 'Sejm przyjął ustawę o ochronie środowiska: zażółć gęślą jaźń. V Praze: příliš žluťoučký kůň úpěl ďábelské ódy.' },
  { name: 'ISO-8859-7', codec: 'iso-8859-7', label: 'ISO-8859-7', charset: 'iso-8859-7', lang: 'el', title: 'Νέα μέτρα στήριξης', text: 'Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα για τη στήριξη των νοικοκυριών απέναντι στην ακρίβεια και στο κόστος της ενέργειας.' },
  { name: 'ISO-8859-9', codec: 'iso-8859-9', label: 'ISO-8859-9', charset: 'windows-1254', lang: 'tr', title: 'Meclis bütçeyi görüştü', text: "Türkiye Büyük Millet Meclisi bugün yeni bütçe yasasını görüştü. İstanbul'da şiddetli yağış nedeniyle bazı yollar kapandı; sürücüler uyarıldı." },
];

const page = (s: Sample, head = '', lang = true): string =>
  `<!doctype html><html${lang ? ` lang="${s.lang}"` : ''}><head>${head}<title>${s.title}</title></head>` +
  `<body><article><h1>${s.title}</h1><p>${s.text}</p></article></body></html>`;
const feed = (s: Sample, encoding: string | undefined): string =>
  `${encoding ? `<?xml version="1.0" encoding="${encoding}"?>\n` : ''}<rss version="2.0"><channel><title>News</title><language>${s.lang}</language>` +
  `<item><title>${s.title}</title><description><![CDATA[<p>${s.text}</p>]]></description></item></channel></rss>`;

const tableCases: Case[] = SAMPLES.flatMap((s) => {
  const rows: Array<Omit<Case, 'bytes'>> = [
    { name: `${s.name} page, HTTP header`, text: page(s), hints: { kind: 'html', contentType: `text/html; charset=${s.label}` }, charset: s.charset, source: 'header' },
    { name: `${s.name} page, <meta charset>`, text: page(s, `<meta charset="${s.label}">`), hints: { kind: 'html', contentType: 'text/html' }, charset: s.charset, source: 'meta' },
    { name: `${s.name} page, <meta http-equiv>`, text: page(s, `<meta http-equiv="Content-Type" content="text/html; charset=${s.label}">`), hints: { kind: 'html' }, charset: s.charset, source: 'meta' },
    { name: `${s.name} feed, XML declaration`, text: feed(s, s.label), hints: { kind: 'xml', contentType: 'application/rss+xml' }, charset: s.charset, source: 'xml-declaration' },
  ];
  return rows.map((r) => ({ ...r, bytes: iconv.encode(r.text, s.codec) }));
});

const UTF16_TEXT: Sample = { ...SAMPLES[0]!, name: 'UTF-16', lang: 'ru', title: 'Переговоры · 谈判 · 협상', text: `${SAMPLES[0]!.text} ${SAMPLES[2]!.text} ${SAMPLES[8]!.text}` };
const BOM = { 'utf-16le': Buffer.from([0xff, 0xfe]), 'utf-16be': Buffer.from([0xfe, 0xff]) };
for (const codec of ['utf-16le', 'utf-16be'] as const) {
  const withBom = (doc: string): Buffer => Buffer.concat([BOM[codec], iconv.encode(doc, codec)]);
  const label = codec.toUpperCase();
  const pageDoc = page(UTF16_TEXT, '<meta charset="utf-16">');
  tableCases.push(
    { name: `${label} page with BOM`, text: pageDoc, bytes: withBom(pageDoc), hints: { kind: 'html' }, charset: codec, source: 'bom' },
    { name: `${label} page with BOM, header says ISO-8859-1 (the BOM wins)`, text: pageDoc, bytes: withBom(pageDoc), hints: { kind: 'html', contentType: 'text/html; charset=ISO-8859-1' }, charset: codec, source: 'bom' },
    { name: `${label} feed with BOM, XML declaration UTF-16`, text: feed(UTF16_TEXT, 'UTF-16'), bytes: withBom(feed(UTF16_TEXT, 'UTF-16')), hints: { kind: 'xml' }, charset: codec, source: 'bom' },
  );
}

describe('charset table: the samples', () => {
  it('the samples hold what their names promise', () => {
    const pairs = (b: Buffer): number[][] => {
      const out: number[][] = [];
      for (let i = 0; i < b.length; i++) {
        if (b[i]! < 0x80) continue;
        const four = b[i + 1]! >= 0x30 && b[i + 1]! <= 0x39;
        out.push([...b.subarray(i, i + (four ? 4 : 2))]);
        i += four ? 3 : 1;
      }
      return out;
    };
    const inGb2312 = (p: number[]): boolean => p.length === 2 && p[0]! >= 0xa1 && p[0]! <= 0xf7 && p[1]! >= 0xa1 && p[1]! <= 0xfe;
    const sample = (name: string): Sample => SAMPLES.find((s) => s.name === name)!;
    // GB2312 text is GB2312 only; the GBK text needs GBK; the GB18030 text has 4-byte sequences
    expect(pairs(iconv.encode(sample('GB2312').text, 'gbk')).every(inGb2312)).toBe(true);
    expect(pairs(iconv.encode(sample('GBK').text, 'gbk')).some((p) => !inGb2312(p))).toBe(true);
    expect(pairs(iconv.encode(sample('GB18030').text, 'gb18030')).some((p) => p.length === 4)).toBe(true);
    // every sample's text has characters outside ASCII, and the encoding round-trips it
    for (const s of SAMPLES) {
      expect(/[^\x00-\x7f]/.test(s.text), s.name).toBe(true);
      expect(iconv.decode(iconv.encode(s.text, s.codec), s.codec), s.name).toBe(s.text);
    }
  });
});

describe('charset table: undeclared legacy bytes are sniffed', () => {
  // A real page's worth of ASCII markup around the text: chardet on the raw bytes reads any
  // single-byte text there as ISO-8859-1; decodeBytes gives it the text alone.
  const MARKUP =
    `<style>${'body{margin:0;font-family:Arial,sans-serif} .nav a{color:#333;text-decoration:none} '.repeat(40)}</style>` +
    `<script>${'window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)} '.repeat(40)}</script>`;

  it.each(SAMPLES)('$name page, no declaration, no lang, in 6 KiB of markup', (s) => {
    const doc = page(s, MARKUP, false);
    expect(decodeBytes(iconv.encode(doc, s.codec), { kind: 'html' })).toEqual({ text: doc, charset: s.sniffed ?? s.charset, source: 'sniffed' });
  });

  it.each(SAMPLES)('$name feed, no XML declaration (<language> known)', (s) => {
    const doc = feed(s, undefined);
    expect(decodeBytes(iconv.encode(doc, s.codec), { kind: 'xml' })).toEqual({ text: doc, charset: s.sniffed ?? s.charset, source: 'sniffed' });
  });

  // Headline-length texts: chardet alone misreads a short Korean title in EUC-KR as windows-1251
  // (12 syllables: confidence 14, EUC-KR 10); when it is unsure, the declared language decides.
  it.each(SAMPLES)('$name title only, <html lang> known', (s) => {
    const doc = `<html lang="${s.lang}"><title>${s.title}</title></html>`;
    expect(decodeBytes(iconv.encode(doc, s.codec), { kind: 'html' })).toEqual({ text: doc, charset: s.sniffed ?? s.charset, source: 'sniffed' });
  });

  it('the caller\'s language hint stands in for a missing lang attribute', () => {
    const ko = SAMPLES.find((s) => s.name === 'EUC-KR')!;
    const doc = `<title>${ko.title}</title>`;
    const bytes = iconv.encode(doc, 'euc-kr');
    expect(decodeBytes(bytes, { kind: 'html', language: 'ko-KR' })).toEqual({ text: doc, charset: 'euc-kr', source: 'sniffed' });
  });

  it('a Western lang attribute does not override chardet (templates say lang="en" over anything)', () => {
    const ru = SAMPLES[0]!;
    const doc = `<html lang="en"><p>${ru.text}</p></html>`;
    expect(decodeBytes(iconv.encode(doc, 'windows-1251'), { kind: 'html' }).charset).toBe('windows-1251');
  });
});

describe('charset table: a header that lies', () => {
  const ru = SAMPLES[0]!;
  it('says UTF-8, the page is windows-1251 without a meta: sniffed', () => {
    const doc = page(ru);
    const out = decodeBytes(iconv.encode(doc, 'windows-1251'), { kind: 'html', contentType: 'text/html; charset=UTF-8' });
    expect(out).toEqual({ text: doc, charset: 'windows-1251', source: 'sniffed' });
  });

  it('says UTF-8, the page is windows-1251 and says so in its meta: the meta is believed', () => {
    const doc = page(ru, '<meta charset="windows-1251">');
    const out = decodeBytes(iconv.encode(doc, 'windows-1251'), { kind: 'html', contentType: 'text/html; charset=utf-8' });
    expect(out).toEqual({ text: doc, charset: 'windows-1251', source: 'meta' });
  });

  it('says UTF-8 over a windows-1251 feed whose XML declaration says so: the declaration is believed', () => {
    const doc = feed(ru, 'windows-1251');
    const out = decodeBytes(iconv.encode(doc, 'windows-1251'), { kind: 'xml', contentType: 'application/rss+xml; charset=utf-8' });
    expect(out).toEqual({ text: doc, charset: 'windows-1251', source: 'xml-declaration' });
  });
});


describe('decodeBytes: the charset table (declared pages and feeds) and edge cases', () => {
  it.each([...tableCases, ...cases])('$name', ({ bytes, hints, text, charset, source }) => {
    const out = decodeBytes(bytes, hints);
    expect(out.text).toBe(text);
    expect(out.charset).toBe(charset);
    expect(out.source).toBe(source);
  });

  it('a legacy encoding is sniffed when nothing declares it (long Cyrillic text)', () => {
    const text = `${RU} Президент заявил, что решение будет принято после консультаций с союзниками.`.repeat(3);
    const out = decodeBytes(iconv.encode(text, 'windows-1251'), { kind: 'xml' });
    expect(out).toEqual({ text, charset: 'windows-1251', source: 'sniffed' });
  });
});

describe('charset labels', () => {
  it.each([
    ['latin1', 'windows-1252'],
    ['ISO-8859-1', 'windows-1252'],
    ['us-ascii', 'windows-1252'],
    ['gb2312', 'gbk'],
    ['GB18030', 'gb18030'],
    ['x-sjis', 'shift_jis'],
    ['ks_c_5601-1987', 'euc-kr'],
    ['cp1251', 'windows-1251'],
    ['"UTF8"', 'utf-8'],
    ['KOI8-U', 'koi8-u'],
  ])('%s → %s', (label, name) => {
    expect(normaliseCharset(label)?.name).toBe(name);
  });

  it.each(['x-unknown', '', 'utf-9'])('unknown label %j → undefined', (label) => {
    expect(normaliseCharset(label)).toBeUndefined();
  });

  it.each([
    ['text/html; charset=UTF-8', 'UTF-8'],
    ['application/xml;charset="koi8-r"', 'koi8-r'],
    ['text/xml; foo=bar; charset=gbk', 'gbk'],
    ['text/html', undefined],
  ])('charset of %j', (ct, want) => {
    expect(charsetFromContentType(ct)).toBe(want);
  });
});
