import { readFileSync, existsSync } from 'node:fs';
import type { ZodType } from 'zod';
import { UserError } from '../common/errors.js';

/** Read a JSON file and validate it; the error names the file and the first offending key path. */
export function readJsonValidated<T>(file: string, schema: ZodType<T>, what = 'file'): T {
  if (!existsSync(file)) throw new UserError(`${what} not found`, { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`not valid JSON: ${(e as Error).message}`, { file });
  }
  return validate(raw, schema, file);
}

export function validate<T>(raw: unknown, schema: ZodType<T>, file: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    throw new UserError(issue.message, { file, field: key });
  }
  return r.data;
}
