// Writes docs/record.schema.json from the output record's zod schema.
// `npx node scripts/gen-schema.ts`; a test fails when the file is out of date.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordJsonSchema } from '../pipeline/record-schema.ts';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'record.schema.json');
writeFileSync(target, `${JSON.stringify(recordJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
