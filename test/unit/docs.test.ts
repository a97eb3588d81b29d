// What the README and docs promise stays true: every error code documented, the JSON Schema current.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../pipeline/errors.ts';
import { recordJsonSchema } from '../../pipeline/record-schema.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

describe('README › Errors', () => {
  it.each(ERROR_CODES)('documents %s', (code) => {
    expect(readme.split('\n').some((l) => l.startsWith('| ') && l.includes(`\`${code}\``))).toBe(true);
  });
});

describe('docs/record.schema.json', () => {
  it('is what scripts/gen-schema.ts generates from the zod schema', () => {
    const onDisk = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs', 'record.schema.json'), 'utf8')) as unknown;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(recordJsonSchema())));
  });
});
