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

describe('decodeBytes', () => {
  it.each(cases)('$name', ({ bytes, hints, text, charset, source }) => {
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
