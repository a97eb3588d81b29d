// The large evaluation sets live in ../shared/eval (beside the repository), never in it.
// Tests that need them skip visibly where they are absent (a user's clone); CI always has them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EVAL_DIR = process.env.FEEDSIFT_EVAL_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'eval');
export const hasEval = existsSync(EVAL_DIR);

if (!hasEval) {
  console.warn(`[feedsift tests] ${EVAL_DIR} is absent: tests on the shared evaluation sets are SKIPPED`);
}
