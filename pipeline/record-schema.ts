// The JSON Schema of the output record, generated from its zod schema (docs/record.schema.json).
import { z } from 'zod';
import { outputRecordSchema, SCHEMA_VERSION } from './records.ts';

export function recordJsonSchema(): Record<string, unknown> {
  return {
    $id: `https://feedsift.dev/schema/record-v${SCHEMA_VERSION}.json`,
    title: `feedsift output record (schemaVersion ${SCHEMA_VERSION})`,
    description: 'One job in the `stories` queue (kind "story") or the `duplicates` queue (kind "duplicate").',
    ...z.toJSONSchema(outputRecordSchema, { target: 'draft-2020-12' }),
  };
}
