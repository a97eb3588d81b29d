// Dedupe features and similarity, without Redis: tokens across scripts, exact hashing, MinHash
// against the true Jaccard, entities, and the founding case's scores against the thresholds.
import { describe, expect, it } from 'vitest';
import {
  anchorOverlap,
  articleTime,
  compactFeatures,
  estimateJaccard,
  matchContent,
  MemoryDocumentFrequencies,
  minhash,
  rewriteScore,
  rewriteUpperBound,
  SHINGLE_WORDS,
  storyCore,
  textFeatures,
  textHash,
  THRESHOLDS,
  titleSimilarity,
  topicDiscount,
  withinWindow,
  type DocumentFrequencies,
  type TextFeatures,
} from '../../pipeline/dedupe.ts';
import { contentTerms, entities, parseNumber, repairMojibake, words } from '../../pipeline/tokens.ts';
import { seedDocs, zyteDocs, zyteLabels } from '../../scripts/lib/dedupe-eval.ts';
import { EVAL_DIR, hasEval } from '../helpers/eval.ts';

describe('tokenisation across scripts', () => {
  const cases: Array<{ lang: string; text: string; has: string[]; hasNot: string[] }> = [
    {
      lang: 'en',
      text: 'The U.S. officials’ plan was reported by the Financial Times.Reporters in Kyiv say it is new.',
      // "US" folds to the pronoun "us", a stopword: the country survives as the entity @us
      has: ['officials', 'plan', 'financial', 'times', 'reporters', 'kyiv'],
      hasNot: ['the', 'was', 'by', 'it', 'times.reporters', 'officials’'],
    },
    {
      lang: 'zh',
      text: '意大利圣培露集团在贝加莫省启动一项价值1100万欧元的水利项目',
      has: ['意大利', '集团', '启动', '水利', '项目'],
      hasNot: ['在', '的', '意大利圣培露集团在贝加莫省启动一项价值1100万欧元的水利项目'],
    },
    {
      lang: 'ja',
      text: '東京都は新型コロナウイルスの感染者を発表した',
      has: ['東京', '新型', 'コロナ', 'ウイルス', '感染', '発表'],
      hasNot: ['は', 'の', 'を'],
    },
    { lang: 'th', text: 'ประเทศไทยมีประชากรมาก', has: ['ประเทศไทย', 'ประชากร'], hasNot: ['ประเทศไทยมีประชากรมาก'] },
    {
      lang: 'ru',
      text: 'Министр обороны и Генштаб обсудили поставки ПВО в Киев.',
      has: ['министр', 'обороны', 'генштаб', 'поставки', 'пво', 'киев'],
      hasNot: ['и', 'в', 'Министр'],
    },
  ];
  it.each(cases)('segments, lower-cases and drops stopwords ($lang)', ({ lang, text, has, hasNot }) => {
    const terms = contentTerms(words(text, lang), lang);
    for (const t of has) expect(terms).toContain(t);
    for (const t of hasNot) expect(terms).not.toContain(t);
  });

  it('keeps diacritics and folds compatibility forms (NFKC)', () => {
    const terms = contentTerms(words('Café crème ﬁnale', 'fr'), 'fr');
    expect(terms).toEqual(['café', 'crème', 'finale']);
  });
});

describe('textHash', () => {
  const base = 'US signals support for a European-led security plan.\nOfficials said so.';
  it.each([
    ['case', base.toUpperCase()],
    ['spacing and line breaks', `  ${base.replace(/ /g, '   ').replace('\n', '\n\n\n')}  `],
    ['punctuation', base.replace('.', ' ;').replace('-', ' ')],
    ['compatibility forms', base.replace('US', 'ＵＳ')],
  ])('is equal across %s variants', (_name, variant) => {
    expect(textHash(variant)).toBe(textHash(base));
  });
  it('differs when a word differs', () => {
    expect(textHash(base.replace('support', 'opposition'))).not.toBe(textHash(base));
  });
});

describe('MinHash', () => {
  // two word sequences sharing a controlled middle part; the true Jaccard over 5-shingles
  function shingles(ws: string[]): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i + SHINGLE_WORDS <= ws.length; i++) out.add(ws.slice(i, i + SHINGLE_WORDS).join(' '));
    return out;
  }
  const vocab = (p: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${p}${i}`);
  it.each([0, 50, 150, 300, 600])('estimates the true shingle Jaccard within 0.1 (%i shared words)', (shared) => {
    const common = vocab('c', shared);
    const a = [...vocab('a', 200), ...common];
    const b = [...common, ...vocab('b', 150)];
    const sa = shingles(a);
    const sb = shingles(b);
    const inter = [...sa].filter((s) => sb.has(s)).length;
    const truth = inter / (sa.size + sb.size - inter);
    expect(Math.abs(estimateJaccard(minhash(a), minhash(b)) - truth)).toBeLessThan(0.1);
  });

  // what the index stores: the low 8 bits of each slot, the chance agreements corrected for
  it.each([0, 50, 150, 300, 600])('estimates it within 0.1 from the low 8 bits of each slot too, as close to the 32-bit estimate as the slots allow (%i shared words)', (shared) => {
    const common = vocab('c', shared);
    const wordsA = [...vocab('a', 200), ...common];
    const wordsB = [...common, ...vocab('b', 150)];
    const a = minhash(wordsA);
    const b = minhash(wordsB);
    const full = estimateJaccard(a, b);
    const cut = estimateJaccard(a, b, 8);
    // every equal slot stays equal; a slot that differs agrees by chance in 1 of 256
    expect(Math.abs(cut - full)).toBeLessThan(0.04);
    const sa = shingles(wordsA);
    const sb = shingles(wordsB);
    const inter = [...sa].filter((x) => sb.has(x)).length;
    expect(Math.abs(cut - inter / (sa.size + sb.size - inter))).toBeLessThan(0.1);
  });

  const table: Array<{ name: string; a: number[]; b: number[]; bits: number; want: number }> = [
    { name: 'equal signatures', a: [1, 2, 3, 4], b: [1, 2, 3, 4], bits: 8, want: 1 },
    { name: 'slots that differ above their low 8 bits count as equal', a: [0x101, 0x202, 3, 4], b: [0x201, 0x302, 3, 4], bits: 8, want: 1 },
    { name: 'half the slots equal: the share less the chance agreements', a: [1, 2, 3, 4], b: [1, 2, 7, 8], bits: 8, want: (0.5 - 1 / 256) / (1 - 1 / 256) },
    { name: 'no slot equal: below the chance agreement, 0', a: [1, 2, 3, 4], b: [5, 6, 7, 8], bits: 8, want: 0 },
    { name: 'empty slots are equal to nothing', a: [0xffffffff, 0xffffffff, 3, 4], b: [0xffffffff, 0xffffffff, 3, 4], bits: 8, want: (0.5 - 1 / 256) / (1 - 1 / 256) },
    { name: 'all 32 bits: the plain share', a: [0x101, 2, 3, 4], b: [0x201, 2, 3, 4], bits: 32, want: 0.75 },
  ];
  it.each(table)('estimateJaccard: $name', ({ a, b, bits, want }) => {
    expect(estimateJaccard(a, b, bits)).toBeCloseTo(want, 12);
  });

  it.runIf(hasEval)('on real pages, the 8-bit estimate keeps to the 32-bit one: every pair of the Zyte and seed texts within 0.05, no bias', () => {
    const texts = [...seedDocs(), ...zyteDocs().slice(0, 60)];
    const sigs = texts.map((t) => textFeatures(t).minhash);
    let n = 0;
    let sum = 0;
    for (let i = 0; i < sigs.length; i++) {
      for (let j = i + 1; j < sigs.length; j++) {
        const d = estimateJaccard(sigs[i]!, sigs[j]!, 8) - estimateJaccard(sigs[i]!, sigs[j]!);
        expect(Math.abs(d)).toBeLessThan(0.05);
        sum += d;
        n++;
      }
    }
    console.log(`[minhash] 8-bit − 32-bit estimate over ${n} pairs of real texts: mean ${(sum / n).toFixed(4)}`);
    expect(Math.abs(sum / n)).toBeLessThan(0.005);
  });
});

describe('numbers and names', () => {
  it.each([
    ['11,000,000', undefined, 11_000_000],
    ['11', 'million', 11_000_000],
    ['1.5bn', undefined, 1_500_000_000],
    ['3,5', undefined, 3.5],
    ['25th', undefined, 25],
    ['1100', '万', 11_000_000],
    ['abc', undefined, undefined],
  ])('parseNumber(%s, %s) = %s', (raw, next, value) => {
    expect(parseNumber(raw, next)).toBe(value);
  });

  it('finds names, numbers and quotes, not sentence-initial capitals or title-case headlines', () => {
    const text =
      'US Offers Intelligence Support For Post-War Ukraine Security Plan\n' +
      'However, Defense Secretary Pete Hegseth said 11 million euros, or 11,000,000, went to Kyiv. ' +
      'He wants “strategic enablers” from the Pentagon.';
    const found = entities(words(text, 'en'), text, 'en');
    for (const e of ['@defense secretary pete hegseth', '@hegseth', '@pete', '@kyiv', '@pentagon', '#11000000', '"strategic enablers']) {
      expect(found).toContain(e);
    }
    for (const e of ['@however', '@he', '@offers', '@intelligence']) expect(found).not.toContain(e);
  });
});

describe('signals that survive outlets and languages', () => {
  const ents = (text: string, lang: string): string[] => entities(words(text, lang), text, lang);
  it.each([
    ['SÃ¶der sagte in MÃ¼nchen', 'Söder sagte in München'],
    ['MinisterprÃ¤sident', 'MinisterprÃ¤sident'], // one pair alone may be real text: left as is
    ['Ação e São Paulo', 'Ação e São Paulo'],
  ])('repairMojibake(%j) = %j', (input, output) => {
    expect(repairMojibake(input)).toBe(output);
  });
  it.each([
    // diacritics folded; country names in the text's language become the English name
    ['de', 'Gestern hat Bundeskanzlerin Angela Merkel in Berlin Russland wegen des Angriffs kritisiert.', ['@merkel', '@russia'], []],
    ['en', 'On the same day the president, Recep Tayyip Erdoğan, met with his counterpart Putin in a palace in the city of Istanbul.', ['@recep tayyip erdogan', '@erdogan', '@putin'], ['@erdoğan']],
    ['es', 'El presidente habló con Alemania y con Estados Unidos ayer.', ['@germany', '@united states'], []],
    // a country name is capitalised in cased scripts: "turkey" the bird is not a country
    ['en', 'They ate turkey and then more turkey at the dinner.', [], ['@turkey', '@turkiye']],
  ])('%s: %s', (lang, text, has, hasNot) => {
    const found = ents(text, lang);
    for (const e of has) expect(found).toContain(e);
    for (const e of hasNot) expect(found).not.toContain(e);
  });

  // one story told in German and in English (written for this test): shared names and numbers
  const german = textFeatures({
    language: 'de',
    title: 'Kalbitz wehrt sich gegen Rauswurf aus der AfD',
    text: 'Der brandenburgische AfD-Chef Andreas Kalbitz will sich gegen seinen Rauswurf wehren. Der Bundesvorstand um Jörg Meuthen hatte seine Mitgliedschaft am Freitag mit 7 zu 5 Stimmen für nichtig erklärt. Kalbitz kündigte an, vor das Schiedsgericht und notfalls vor ein Gericht in Berlin zu ziehen. Er war Mitglied der Heimattreuen Deutschen Jugend gewesen.',
  });
  const english = textFeatures({
    language: 'en',
    title: 'AfD expels Brandenburg leader Kalbitz',
    text: "Germany's far-right AfD has annulled the membership of Andreas Kalbitz, its leader in Brandenburg. The party's executive under Jörg Meuthen voted 7 to 5 on Friday. Kalbitz said he would fight the decision in the party tribunal and, if need be, in a court in Berlin. He had not disclosed his past membership of the Heimattreue Deutsche Jugend.",
  });
  const unrelated = textFeatures({
    language: 'en',
    title: 'Berlin opens new airport',
    text: 'Berlin finally opened its new airport on Saturday, nine years late. The first flights left on time, the operator said, and passengers praised the new terminal in Schönefeld.',
  });
  it('links a German and an English report of one story on shared names, and not an unrelated English one', () => {
    const dfs = new MemoryDocumentFrequencies();
    const [g, e, u] = [german, english, unrelated].map((f) => compactFeatures(f, dfs));
    const m = matchContent(g!, e!, dfs);
    expect(m?.level).toBe('rewrite');
    expect(m!.threshold).toBe(THRESHOLDS.crossLanguage);
    expect(m!.sharedEntities).toEqual(expect.arrayContaining(['kalbitz', 'meuthen', 'afd']));
    expect(matchContent(g!, u!, dfs)).toBeNull();
    expect(anchorOverlap(g!, u!, dfs).score).toBeLessThan(anchorOverlap(g!, e!, dfs).score);
  });
  it('judges the same pair with the same-language score when the languages are not known', () => {
    const dfs = new MemoryDocumentFrequencies();
    const strip = (f: TextFeatures): TextFeatures => ({ ...f, language: undefined });
    const m = matchContent(compactFeatures(strip(german), dfs), compactFeatures(strip(english), dfs), dfs);
    expect(m === null || m.threshold === THRESHOLDS.rewrite).toBe(true);
  });
});

describe('headlines', () => {
  const dfs = new MemoryDocumentFrequencies();
  const c = (title: string, language = 'en') => compactFeatures(textFeatures({ title, text: 'x', language }), dfs);
  it.each([
    { a: 'Sweden drops Julian Assange rape investigation', b: 'Sweden drops its investigation into rape allegation against Julian Assange', atLeast: 0.6, shared: ['assange', 'sweden'] },
    { a: 'Man kidnapped in Fort Worth rescued', b: 'Dramatic rescue of kidnapping victim', atLeast: 0.3, shared: ['kidnapped'] },
    { a: 'Slovenya’nın kahramanı', b: "Milli kayakçı Sıla Kara Slovenya'da kahraman ilan edildi", atLeast: 0.3, shared: ['slovenya'], language: 'tr' },
    { a: 'Browns player on Mason Rudolph role in fight', b: 'Is football violence a crime?', atMost: 0, shared: [] },
  ])('$a ~ $b', ({ a, b, atLeast, atMost, shared, language }) => {
    const t = titleSimilarity(c(a, language), c(b, language), dfs)!;
    if (atLeast !== undefined) expect(t.score).toBeGreaterThanOrEqual(atLeast);
    if (atMost !== undefined) expect(t.score).toBeLessThanOrEqual(atMost);
    for (const w of shared) expect(t.shared.some((x) => x.startsWith(w.slice(0, 5)))).toBe(true);
  });
  it('is unknown (null) when either article has no headline', () => {
    expect(titleSimilarity(c(''), c('Sweden drops the case'), dfs)).toBeNull();
  });

  // one body, rewritten: the same event under two headlines
  // one event told twice in other words: the names and the figure survive, little else
  const bodies = [
    'Officials in Springfield said on Monday that the river bridge would be repaired after the Hargreave committee approved a budget of 48 million dollars. ' +
      'Residents near the Calloway crossing had asked for years for the repairs, and Mayor Quimby attended the vote in person. ' +
      'The contractor, Brantley Steel, expects the first phase to take eighteen months. ' +
      'Traffic will be diverted through the old mill road while lorries bring in materials, and the ferry service will run extra sailings at peak hours. ' +
      'Local shops fear a drop in passing trade during the closure, the chamber of commerce warned in a statement. ' +
      'A public exhibition of the designs opens at the library next week, and cyclists have been promised a separate lane.',
    'The Hargreave committee voted to spend 48 million dollars fixing the Calloway crossing, ending a long campaign by neighbours. ' +
      'Mayor Quimby welcomed the decision. Brantley Steel will carry out the work, which begins in spring and could last until next year. ' +
      'Engineers found cracked girders and rusted cables during an inspection last winter, prompting a weight limit for buses and trucks. ' +
      'Opposition councillors questioned whether the estimate would hold, pointing to soaring prices for concrete. ' +
      'Fishermen downstream asked for guarantees that debris would not reach the estuary during the spring spawning season.',
  ];
  const pair = (ta: string, tb: string) => {
    const d = new MemoryDocumentFrequencies();
    return [compactFeatures(textFeatures({ title: ta, text: bodies[0]!, language: 'en' }), d), compactFeatures(textFeatures({ title: tb, text: bodies[1]!, language: 'en' }), d), d] as const;
  };
  it.each([
    { why: 'headlines share the event', ta: 'Springfield bridge repairs approved', tb: 'Hargreave committee approves Springfield bridge budget', site: false, merged: true },
    { why: 'headlines known, no word in common', ta: 'Springfield bridge repairs approved', tb: 'Mayor Quimby attends a vote', site: false, merged: false },
    { why: 'a headline unknown: the body decides', ta: '', tb: 'Mayor Quimby attends a vote', site: false, merged: true },
    { why: 'same site, headlines alike (a follow-up)', ta: 'Springfield bridge repairs approved', tb: 'Springfield bridge repairs: vote approved', site: true, merged: true },
    { why: 'same site, one headline word in common (a series)', ta: 'The bridge plan 200', tb: 'The tunnel plan 201', site: true, merged: false },
  ])('rewrite level: $why', ({ ta, tb, site, merged }) => {
    const [a, b, d] = pair(ta, tb);
    expect(rewriteScore(a, b, d).score).toBeGreaterThanOrEqual(THRESHOLDS.rewrite);
    expect(rewriteScore(a, b, d).score).toBeLessThan(THRESHOLDS.rewriteSameSite);
    const m = matchContent(a, b, d, { sameSite: site });
    expect(m !== null).toBe(merged);
    if (m && ta && tb) expect(m.sharedTerms[0]).toBe(titleSimilarity(a, b, d)!.shared[0]);
  });
});

describe('headlines that agree', () => {
  // two long obituaries: the body terms agree, the kept entities (each report's rarest) do not
  const compact = (terms: Array<[string, number]>, titleTerms: string[]) => ({
    terms,
    entities: [] as string[],
    minhash: minhash(terms.map(([t]) => t)),
    textHash: terms.map(([t]) => t).join(' '),
    titleTerms,
  });
  const shared: Array<[string, number]> = [['mehta', 6], ['knopf', 4], ['publisher', 2]];
  // and each says much else once: cosine ≈ 0.4, half of it (no entity in common) under the threshold
  const others = (word: string): Array<[string, number]> => Array.from({ length: 25 }, (_, i) => [`${word}${i}`, 1]);
  const a = [...shared, ...others('editor')];
  const b = [...shared, ...others('tastemaker')];
  const d = new MemoryDocumentFrequencies();

  it('let the term cosine alone carry the rewrite level', () => {
    const x = compact(a, ['sonny', 'mehta', 'head', 'publisher', 'knopf', 'dies', 'aged']);
    const y = compact(b, ['sonny', 'mehta', 'literary', 'tastemaker', 'reigned', 'knopf', 'dies']);
    const r = rewriteScore(x, y, d);
    expect(r.entityScore).toBe(0);
    expect(r.score).toBeLessThan(THRESHOLDS.rewrite);
    expect(r.cosine).toBeGreaterThanOrEqual(THRESHOLDS.rewrite);
    expect(titleSimilarity(x, y, d)!.score).toBeGreaterThanOrEqual(THRESHOLDS.sameSiteTitle);
    const m = matchContent(x, y, d);
    expect(m?.level).toBe('rewrite');
    expect(m?.score).toBeCloseTo(r.cosine, 10);
  });

  it('but not headlines sharing one word, nor a cosine below the threshold', () => {
    const x = compact(a, ['mehta', 'remembered', 'colleagues']);
    const y = compact(b, ['mehta', 'era', 'ends', 'publishing']);
    expect(titleSimilarity(x, y, d)!.shared).toHaveLength(1);
    expect(matchContent(x, y, d)).toBeNull();
    const weak = compact([shared[2]!, ...b.slice(3)], ['sonny', 'mehta', 'literary', 'tastemaker', 'reigned', 'knopf', 'dies']);
    expect(rewriteScore(compact(a, []), weak, d).cosine).toBeLessThan(THRESHOLDS.rewrite);
    expect(matchContent(compact(a, ['sonny', 'mehta', 'head', 'publisher', 'knopf', 'dies', 'aged']), weak, d)).toBeNull();
  });
});

describe('time window', () => {
  it('places an article at its publication time unless it is after the fetch', () => {
    expect(articleTime({ publishedAt: '2025-08-27T08:00:00Z', fetchedAt: '2025-08-27T09:00:00Z' })).toBe(Date.parse('2025-08-27T08:00:00Z'));
    expect(articleTime({ publishedAt: '2031-01-01T00:00:00Z', fetchedAt: '2025-08-27T09:00:00Z' })).toBe(Date.parse('2025-08-27T09:00:00Z'));
    expect(articleTime({ publishedAt: null, fetchedAt: '2025-08-27T09:00:00Z' })).toBe(Date.parse('2025-08-27T09:00:00Z'));
  });
  it.each([
    [71, true],
    [72, true],
    [73, false],
  ])('%i hours apart within a 72 h window: %s', (hours, inside) => {
    expect(withinWindow(0, hours * 3_600_000, 72)).toBe(inside);
  });
});

// ------------------------------------------------------------------ the founding case

const seeds = seedDocs().map((d) => textFeatures(d));
const zyte = hasEval ? zyteDocs(undefined, EVAL_DIR) : [];
const zyteFeatures = zyte.map((d) => textFeatures(d));

function dfsOf(items: TextFeatures[]): MemoryDocumentFrequencies {
  const dfs = new MemoryDocumentFrequencies();
  for (const f of items) dfs.add([...f.termCounts.keys(), ...f.entities]);
  return dfs;
}

const seedPairs: Array<[number, number]> = [];
for (let i = 0; i < seeds.length; i++) for (let j = i + 1; j < seeds.length; j++) seedPairs.push([i, j]);

describe('the five seed copies score over the rewrite threshold', () => {
  const states: Array<[string, () => DocumentFrequencies]> = [
    ['an empty index', () => new MemoryDocumentFrequencies()],
    ['the seeds first', () => dfsOf(seeds.slice(0, 1))],
  ];
  if (hasEval) states.push(['181 unrelated articles seen', () => dfsOf([...zyteFeatures, seeds[0]!])]);
  describe.each(states)('idf after %s', (_name, makeDfs) => {
    const dfs = makeDfs();
    const compact = seeds.map((f) => compactFeatures(f, dfs));
    it.each(seedPairs)('seed %i ~ seed %i', (i, j) => {
      const m = matchContent(compact[i]!, compact[j]!, dfs);
      expect(m?.level).toBe('rewrite');
      expect(m!.score).toBeGreaterThanOrEqual(THRESHOLDS.rewrite);
      expect(m!.sharedEntities.length).toBeGreaterThan(2);
    });
  });

  it('has 5-shingle Jaccard far below the near-copy threshold (they are rewrites, not copies)', () => {
    for (const [i, j] of seedPairs) expect(estimateJaccard(seeds[i]!.minhash, seeds[j]!.minhash)).toBeLessThan(0.15);
  });
});

describe('topic and story core', () => {
  const f = (terms: string[], ents: string[] = []) => ({
    terms: terms.map((t): [string, number] => [t, 1]),
    entities: ents,
    minhash: minhash(terms),
    textHash: terms.join(' '),
  });
  const mine = f(['stadia', 'launch', 'fps', 'destiny'], ['@google', '@stadia', '#1080']);

  it.each([
    ['no other story near', [], {}],
    ['one other story naming the product', [[f(['stadia', 'review'], ['@stadia'])]], { stadia: 0.5, '@stadia': 0.5 }],
    [
      'two other stories, one of two members',
      [[f(['stadia', 'launch']), f(['games'], ['@google'])], [f(['stadia'], ['@google'])]],
      { stadia: 1 / 3, launch: 0.5, '@google': 1 / 3 },
    ],
    ['words of theirs that this article lacks count for nothing', [[f(['xbox', 'console'], ['@microsoft'])]], {}],
  ] as const)('topicDiscount: %s', (_name, others, expected) => {
    expect(Object.fromEntries(topicDiscount(mine, others as never))).toEqual(expected);
  });

  it('a discounted term counts that share of its weight in the shared dot product only', () => {
    const a = f(['stadia', 'launch', 'fps'], ['@stadia', '@google', '@destiny']);
    const b = f(['stadia', 'launch', 'reviews'], ['@stadia', '@google', '@destiny']);
    const d = new MemoryDocumentFrequencies();
    const plain = rewriteScore(a, b, d);
    const half = rewriteScore(a, b, d, new Map([['stadia', 0.5], ['@stadia', 0.5]]));
    expect(half.cosine).toBeLessThan(plain.cosine);
    expect(half.entityScore).toBeLessThan(plain.entityScore);
    // all three terms have the same idf: cosine (1 + 0.5) / 3 instead of 2 / 3
    expect(half.cosine).toBeCloseTo(0.5, 10);
    expect(rewriteScore(a, b, d, new Map()).score).toBe(plain.score);
  });

  it.each([
    ['one member: itself', [['a', 'b', 'c']], ['a', 'b', 'c']],
    ['what every member has, in the first member\'s order', [['c', 'a', 'b'], ['a', 'c', 'x'], ['x', 'c', 'a', 'y']], ['c', 'a']],
    ['nothing in common', [['a'], ['b']], []],
  ] as const)('storyCore: %s', (_name, members, core) => {
    const got = storyCore(members.map((m) => f([...m], m.map((t) => `@${t}`))));
    expect(got.terms.map(([t]) => t)).toEqual(core);
    expect(got.entities).toEqual(core.map((t) => `@${t}`));
  });
});

describe('rewriteUpperBound', () => {
  // every ordered pair of the seeds plus the founding case's texts cut in halves and quarters (pairs
  // that share much, little or nothing), under three idf states: the bound is never below the score
  const pieces = seedDocs().flatMap((d) => {
    const s = d.text.split(/(?<=\.)\s+/);
    const q = Math.ceil(s.length / 4);
    return [d.text, s.slice(0, 2 * q).join(' '), s.slice(2 * q).join(' '), s.slice(q, 2 * q).join(' ')].map((text, i) => textFeatures({ title: i ? null : d.title, text, language: 'en' }));
  });
  const states: Array<[string, MemoryDocumentFrequencies]> = [
    ['an empty index', new MemoryDocumentFrequencies()],
    ['the pieces seen', dfsOf(pieces)],
    ['half the pieces seen twice', dfsOf([...pieces.slice(0, 10), ...pieces.slice(0, 10)])],
  ];
  it.each(states)('bounds the score and the cosine of %s', (_name, dfs) => {
    const compact = pieces.map((f) => compactFeatures(f, dfs, 40));
    let pairs = 0;
    for (const a of compact) {
      for (const b of compact) {
        const r = rewriteScore(a, b, dfs);
        const bound = rewriteUpperBound(a, b, dfs);
        expect(bound).toBeGreaterThanOrEqual(Math.max(r.score, r.cosine) - 1e-12);
        expect(bound).toBeLessThanOrEqual(1 + 1e-12);
        pairs++;
      }
    }
    expect(pairs).toBe(400);
  });

  it('is 0 for two articles sharing nothing, and 1 for an article with itself', () => {
    const d = new MemoryDocumentFrequencies();
    const f = (terms: string[], ents: string[]) => ({ terms: terms.map((t): [string, number] => [t, 1]), entities: ents, minhash: [], textHash: terms.join() });
    expect(rewriteUpperBound(f(['a', 'b'], ['@x']), f(['c'], ['@y']), d)).toBe(0);
    const same = f(['a', 'b', 'c'], ['@x', '@y', '@z']);
    expect(rewriteUpperBound(same, same, d)).toBeCloseTo(1, 12);
  });
});

describe.skipIf(!hasEval)('seeds against unrelated real articles', () => {
  const states: Array<[string, DocumentFrequencies]> = [
    ['an empty index', new MemoryDocumentFrequencies()],
    ['181 unrelated articles seen', dfsOf([...zyteFeatures, seeds[0]!])],
  ];
  it.each(states)('no seed matches any of the 181 Zyte articles (idf after %s)', (_name, dfs) => {
    const sc = seeds.map((f) => compactFeatures(f, dfs));
    let max = 0;
    for (const s of sc) {
      for (const z of zyteFeatures) {
        const zc = compactFeatures(z, dfs);
        expect(matchContent(s, zc, dfs)).toBeNull();
        max = Math.max(max, rewriteScore(s, zc, dfs).score);
      }
    }
    // with margin: the highest seed-vs-unrelated score stays well under the threshold
    expect(max).toBeLessThan(THRESHOLDS.rewrite - 0.04);
  });

  it('merges no two Zyte pages except those labelled as one story, or on a related topic', () => {
    const labels = zyteLabels();
    const groupOf = new Map(labels.groups.flatMap((g) => g.keys.map((k): [string, string] => [k, g.id])));
    const topic = labels.related.map((r) => new Set([...r.keys, ...(labels.groups.find((g) => g.id === r.beside)?.keys ?? [])]));
    const dfs = dfsOf(zyteFeatures);
    const zc = zyteFeatures.map((f) => compactFeatures(f, dfs));
    let labelledMerged = 0;
    let relatedMerged = 0;
    let otherMerged = 0;
    for (let i = 0; i < zc.length; i++) {
      for (let j = i + 1; j < zc.length; j++) {
        if (!matchContent(zc[i]!, zc[j]!, dfs, { sameSite: new URL(zyte[i]!.url).host === new URL(zyte[j]!.url).host })) continue;
        const [a, b] = [zyte[i]!.key, zyte[j]!.key];
        if (groupOf.has(a) && groupOf.get(a) === groupOf.get(b)) labelledMerged++;
        else if (topic.some((t) => t.has(a) && t.has(b))) relatedMerged++;
        else otherMerged++;
      }
    }
    // measured (all pairs against each other, idf after all 181 pages, language unknown): 23 of the
    // 34 labelled pairs merge; 8 merges are pages on one topic reporting different news (`related`)
    expect(labelledMerged).toBeGreaterThanOrEqual(22);
    expect(relatedMerged).toBeLessThanOrEqual(9);
    expect(otherMerged).toBe(0);
  });
});
