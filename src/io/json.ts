import { readFileSync, existsSync } from 'node:fs';
import type { ZodType } from 'zod';
import { UserError } from '../common/errors.js';

/**
 * The one JSON file reader: parsed but not yet validated (each format validates with its own zod
 * schema). A missing file or bad JSON is a one-line error naming the file.
 */
export function readJson(file: string, what = 'file', hint = ''): unknown {
  if (!existsSync(file)) throw new UserError(`${what} not found`, { file });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new UserError(`not valid JSON${hint}: ${(e as Error).message}`, { file });
  }
}

/** Read a JSON file and validate it; the error names the file and the first offending key path. */
export function readJsonValidated<T>(file: string, schema: ZodType<T>, what = 'file'): T {
  return validate(readJson(file, what), schema, file);
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
