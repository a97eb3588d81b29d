// `feedsift language` as a user runs it: a child process fed JSON Lines on stdin.
import { describe, expect, it } from 'vitest';
import { feedsift } from '../helpers/cli.ts';

const feedsiftLanguage = (stdin: string) => feedsift(['language'], {}, stdin);

// [input line, expected answer: a language, 'und', or an error]
const CASES: Array<[string, { language: string } | { error: true }]> = [
  [JSON.stringify({ id: 'en', text: 'The European Commission said national security advisers have been asked to develop a concrete plan.' }), { language: 'en' }],
  [JSON.stringify({ id: 'ru', text: 'Президент заявил журналистам, что переговоры о гарантиях безопасности будут продолжены.' }), { language: 'ru' }],
  [JSON.stringify({ id: 'zh', text: '意企投1100万欧建水利设施惠及民生' }), { language: 'zh' }],
  [JSON.stringify({ id: 'he', text: 'ראש הממשלה אמר כי המשא ומתן יימשך גם בשבוע הבא.' }), { language: 'he' }],
  [JSON.stringify({ id: 'empty', text: '' }), { language: 'und' }],
  [JSON.stringify({ id: 'digits', text: '2025 - 11:34 +0300' }), { language: 'und' }],
  [JSON.stringify({ id: 'tiny', text: 'Hi' }), { language: 'und' }],
  ['{"id": "broken", "text": ', { error: true }],
  [JSON.stringify({ id: 'no-text' }), { error: true }],
  [JSON.stringify([1, 2]), { error: true }],
  [JSON.stringify({ id: 'bad-prior', text: 'Bonjour à tous', hint: 3 }), { error: true }],
  [JSON.stringify({ id: 'after-errors', text: 'Der Minister sagte, die Gespräche würden nächste Woche in Brüssel fortgesetzt.' }), { language: 'de' }],
];

describe('feedsift language', () => {
  it('answers one line per input line, in order; und when it cannot tell; errors do not stop the run', async () => {
    const run = await feedsiftLanguage(CASES.map(([line]) => line).join('\n') + '\n\n');
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(CASES.length);
    out.forEach((answer, i) => {
      const expected = CASES[i]![1];
      const lineNo = i + 1;
      if ('error' in expected) {
        expect(answer.error).toMatchObject({ code: 'INVALID_JOB' });
        expect((answer.error as { message: string }).message).toMatch(new RegExp(`^language: line ${lineNo}\\b`));
        expect(answer).not.toHaveProperty('language');
      } else {
        expect(answer).toEqual({ id: JSON.parse(CASES[i]![0]).id, language: expected.language, confidence: expect.any(Number) });
        const c = answer.confidence as number;
        if (expected.language === 'und') expect(c).toBe(0);
        else expect(c).toBeGreaterThan(0);
        expect(c).toBeLessThanOrEqual(1);
      }
    });
    // an input without a usable id is named by its line number
    expect(out[7]!.id).toBe('8');
  }, 60_000);

  it('uses the priors a line carries when the text alone is not enough', async () => {
    const text = 'Palm Bay d. Rockledge 70-44\nRockledge 14 11 6 15 — 44\nCocoa (1-2): Jordan Munoz 8 saves.';
    const run = await feedsiftLanguage(`${JSON.stringify({ id: 'scores', text, htmlLang: 'en-US' })}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 'scores', language: 'en' });
  }, 60_000);
});
