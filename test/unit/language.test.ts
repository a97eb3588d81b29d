import { beforeAll, describe, expect, it } from 'vitest';
import { loadLanguageDetector, normaliseLanguage, type LanguageDetector } from '../../pipeline/language.ts';
import type { Block } from '../../pipeline/records.ts';

const p = (text: string): Block => ({ kind: 'paragraph', text, linkDensity: 0 });
const h = (text: string): Block => ({ kind: 'heading', text, linkDensity: 0 });

const EN = [
  'The European Commission said that, following discussions in Washington, national security advisers have been asked to develop a concrete plan for security guarantees.',
  'Although the US does not intend to deploy troops to Ukraine, officials say Washington may support a European mission, mainly by air, by providing radar to create a no-fly zone.',
  'However, several governments in Europe remain wary of sending troops, even with US cover, and the talks on the details are expected to continue for weeks.',
];

let detector: LanguageDetector;
beforeAll(async () => {
  detector = await loadLanguageDetector();
});

describe('normaliseLanguage', () => {
  it.each([
    ['en', 'en'],
    ['en-US', 'en'],
    ['EN_gb', 'en'],
    ['pt-BR', 'pt'],
    ['zh-Latn', 'zh'],
    ['zh-Hant-TW', 'zh'],
    ['iw', 'he'],
    ['ji', 'yi'],
    ['in', 'id'],
    ['jw', 'jv'],
    ['fil', 'fil'],
    ['haw', 'haw'],
    ['und', 'und'],
    ['', 'und'],
    ['x-klingon', 'und'],
    ['english', 'und'],
    ['  de-AT ', 'de'],
  ])('%j → %s', (input, expected) => {
    expect(normaliseLanguage(input)).toBe(expected);
  });
});

describe('loadLanguageDetector', () => {
  it('returns the same detector to every caller', async () => {
    expect(await loadLanguageDetector()).toBe(detector);
  });

  it.each([
    [EN[0]!, 'en'],
    ['Die Bundesregierung hat am Mittwoch beschlossen, die Hilfen für die Ukraine im kommenden Jahr deutlich aufzustocken.', 'de'],
    ['Президент заявил журналистам, что переговоры о гарантиях безопасности будут продолжены на следующей неделе.', 'ru'],
    ['ראש הממשלה אמר כי המשא ומתן על הסכם הפסקת האש יימשך גם בשבוע הבא בקהיר.', 'he'],
  ])('detects the language of a paragraph: %s', (text, expected) => {
    const g = detector.detect(text);
    expect(g.language).toBe(expected);
    expect(g.confidence).toBeGreaterThan(0.7);
  });
});

describe('detectLanguages: short blocks', () => {
  // CLD3 alone calls "Three-level design" Latin and "Trump's initiative unsuccessful so far" Corsican.
  it.each([
    'Three-level design',
    "Trump's initiative unsuccessful so far",
    'No to a mission of American soldiers',
    'Details',
    'Addition',
    'Facebook',
    'Read More',
  ])('a short Latin-script block in an English document is English: %j', (text) => {
    const { language, blocks } = detector.detectLanguages([p(EN[0]!), h(text), p(EN[1]!), p(EN[2]!)], {});
    expect(language).toBe('en');
    expect(blocks[1]!.language).toBe('en');
  });

  it.each([
    ['看看这些相关内容', 'zh'],
    ['意企投1100万欧建水利设施惠及民生', 'zh'],
    ['関連記事を読む', 'ja'],
    ['東京のニュース', 'ja'],
    ['관련 기사', 'ko'],
    ['Читайте также', 'ru|uk|bg|sr|mk|be'], // Cyrillic: CLD3 picks among the Cyrillic languages
    ['اقرأ أيضا', 'ar|fa|ur'],
    ['קרא עוד', 'he'],
    ['Διαβάστε επίσης', 'el'],
    ['ข่าวที่เกี่ยวข้อง', 'th'],
    ['यह भी पढ़ें', 'hi'],
  ])('a short block in another script takes a language of that script: %j → %s', (text, expected) => {
    const { blocks } = detector.detectLanguages([p(EN[0]!), p(EN[1]!), h(text), p(EN[2]!)], {});
    expect(expected.split('|')).toContain(blocks[2]!.language);
  });

  it('a short Cyrillic line in a Ukrainian document is Ukrainian, not the Russian default', () => {
    const uk = [
      'Президент України заявив, що переговори щодо гарантій безпеки тривають і найближчим часом будуть нові зустрічі.',
      'За його словами, партнери готові надати розвідувальні дані та підтримку протиповітряної оборони.',
    ];
    const { language, blocks } = detector.detectLanguages([p(uk[0]!), h('Подробиці'), p(uk[1]!)], {});
    expect(language).toBe('uk');
    expect(blocks[1]!.language).toBe('uk');
  });

  it('a Han-only or mixed Latin/Kana line in a Japanese document is Japanese', () => {
    const ja = [
      '東京都は来年度から、新しい防災計画を導入すると発表しました。地震や大雨への備えを強化するということです。',
      '計画では、避難所の数を増やすほか、高齢者への連絡体制を見直すことも盛り込まれています。',
    ];
    const { language, blocks } = detector.detectLanguages([p(ja[0]!), h('関連記事'), p(ja[1]!), h('Speccyのportable版')], {});
    expect(language).toBe('ja');
    expect(blocks[1]!.language).toBe('ja');
    expect(blocks[3]!.language).toBe('ja');
  });

  it('a short Latin line between two paragraphs of another Latin-script language takes theirs', () => {
    const fr = [
      "Le président a déclaré mercredi que les discussions sur les garanties de sécurité se poursuivraient la semaine prochaine à Paris.",
      "Selon plusieurs responsables européens, la coalition des volontaires doit encore préciser le nombre de soldats qu'elle enverrait.",
    ];
    const { blocks } = detector.detectLanguages([p(EN[0]!), p(EN[1]!), p(EN[2]!), p(fr[0]!), h('Les détails'), p(fr[1]!)], {});
    expect(blocks[3]!.language).toBe('fr');
    expect(blocks[4]!.language).toBe('fr');
  });
});

describe('detectLanguages: the document', () => {
  it('weighs blocks by length: a long English text with a Chinese item is English', () => {
    const zh = '近日,意大利圣培露集团在贝加莫省启动一项价值1100万欧元的水利项目,旨在保障当地主要水源的持续供应,应对极端天气事件。';
    const { language, confidence, blocks } = detector.detectLanguages([...EN.map(p), p(zh)], {});
    expect(language).toBe('en');
    expect(confidence).toBeGreaterThan(0.5);
    expect(blocks[3]!.language).toBe('zh');
    expect(blocks.every((b) => typeof b.languageConfidence === 'number')).toBe(true);
  });

  it('labels a long foreign paragraph with its own language', () => {
    const es = 'El presidente aseguró el miércoles que las conversaciones sobre las garantías de seguridad continuarán la próxima semana en Madrid.';
    const { language, blocks } = detector.detectLanguages([...EN.map(p), p(es)], {});
    expect(language).toBe('en');
    expect(blocks[3]!.language).toBe('es');
  });

  it('lets a prior break a near tie between two languages', () => {
    const en = 'The minister said the talks would continue next week in Brussels.';
    const de = 'Der Minister sagte, die Gespräche würden nächste Woche in Brüssel fortgesetzt.';
    const blocks = [p(en), p(de)];
    expect(detector.detectLanguages(blocks, { hint: 'de' }).language).toBe('de');
    expect(detector.detectLanguages(blocks, { htmlLang: 'en' }).language).toBe('en');
  });

  it('lets a prior decide when CLD3 vouches for little of the text (names and scores)', () => {
    // CLD3 is unsure of every line but one, which it calls Catalan.
    const results = [
      'Palm Bay d. Rockledge 70-44',
      'Rockledge 14 11 6 15 — 44',
      'Palm Bay (1-0-2): Noah Jackson 1 goal, 1 assist. Sheldon Bryan 1 goal, 1 assist.',
      'Rockledge (3-1): C. Martinez 1 goal. D. Robbins 1 save.',
      'Astronaut (NR): Jaden Siemans 7 saves.',
      'Cocoa (1-2): Jordan Munoz 8 saves.',
      'Melbourne (1-1-1): Jessica Newton 2 saves.',
      'Melbourne (3-0): Osas Osaro 3 goals, 1 assist. Aden O’Hara 2 goals, 2 assists.',
    ].map(p);
    expect(detector.detectLanguages(results, {}).language).not.toBe('en');
    const doc = detector.detectLanguages(results, { htmlLang: 'en' });
    expect(doc.language).toBe('en');
    expect(doc.confidence).toBeLessThanOrEqual(0.5);
  });

  it('does not let a prior outvote a clear majority', () => {
    expect(detector.detectLanguages(EN.map(p), { hint: 'de', htmlLang: 'de' }).language).toBe('en');
  });

  it('falls back to the priors when no block is long enough to judge, else und', () => {
    expect(detector.detectLanguages([h('Hi')], { feedLanguage: 'pt-BR' }).language).toBe('pt');
    const none = detector.detectLanguages([h('Hi')], {});
    expect(none.language).toBe('und');
    expect(none.confidence).toBe(0);
  });
});

describe('detect: corrections to CLD3 on one text', () => {
  it.each([
    // CLD3 alone says vi: a letter with two marks (ọ́, ẹ̀) cannot be Vietnamese.
    ['Ọjọ́ kan ni mo lọ sí ọjà láti ra ẹja àti ìrẹsì fún ìdílé mi.', 'yo'],
    ['Àwọn ọmọ ilé-ìwé náà kọrin dáadáa ní ọjọ́ ìsinmi, inú gbogbo òbí wọn sì dùn púpọ̀.', 'yo'],
    // real Vietnamese is left alone
    ['Trong khi đó, chính phủ Việt Nam cho biết sẽ tiếp tục hỗ trợ người dân bị ảnh hưởng bởi bão.', 'vi'],
    // close pairs told apart by their standard forms
    ['Pemerintah mengatakan bahwa harga bahan bakar akan naik karena biaya impor meningkat.', 'id'],
    ['Kerajaan berkata bahawa harga minyak akan naik kerana kos import meningkat tahun ini.', 'ms'],
    ['Tko je rekao da svatko može dobiti posao u ovoj tvrtki tijekom ljeta?', 'hr'],
    ['Ko je rekao da svako može dobiti posao u ovoj firmi tokom ljeta?', 'bs'],
    // CLD3 alone says hr: ekavian forms (deca, posle, gde, celo, vreme) are Serbian
    ['Deca su juče posle škole otišla u grad, gde su provela celo vreme u parku.', 'sr'],
    ['Dnes ráno vláda oznámila, že ceny energií se v příštím roce nezvýší.', 'cs'],
  ])('%s → %s', (text, expected) => {
    expect(detector.detect(text).language).toBe(expected);
  });
});

describe('identify: a free text', () => {
  it.each([
    ['', 'und'],
    ['   \n  ', 'und'],
    ['2025-08-27 11:34 +0300', 'und'],
    ['Hi', 'und'],
    ['OK!', 'und'],
    ['관련 기사', 'ko'],
    ['看看这些相关内容', 'zh'],
    ['Διαβάστε επίσης', 'el'],
    [EN[0]!, 'en'],
    ['Der Minister sagte, die Gespräche würden nächste Woche in Brüssel fortgesetzt.', 'de'],
    // lines are blocks: the longer language wins the document
    [`${EN[0]!}\n${EN[1]!}\nDer Minister sagte, die Gespräche würden fortgesetzt.`, 'en'],
  ])('%j → %s', (text, expected) => {
    const r = detector.identify(text);
    expect(r.language).toBe(expected);
    if (expected === 'und') expect(r.confidence).toBe(0);
    else {
      expect(r.confidence).toBeGreaterThan(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('is less confident of a short sentence than of a paragraph', () => {
    expect(detector.identify('Dies ist ein kurzer Satz.').confidence).toBeLessThan(detector.identify(EN.join('\n')).confidence);
  });

  it('answers a short paragraph CLD3 is unsure of with its best guess, not und', () => {
    // too short for a reliable CLD3 verdict, long enough to guess
    const r = detector.identify('Setiap orang berhak atas kebebasan.');
    expect(r.language).not.toBe('und');
    expect(r.confidence).toBeLessThanOrEqual(0.5);
  });

  it('takes the priors when the text gives too little', () => {
    const scores = 'Palm Bay d. Rockledge 70-44\nRockledge 14 11 6 15 — 44\nCocoa (1-2): Jordan Munoz 8 saves.';
    expect(detector.identify(scores).language).not.toBe('en');
    expect(detector.identify(scores, { htmlLang: 'en-US' }).language).toBe('en');
  });
});
