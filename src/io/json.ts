import type { ZodType } from 'zod';
import { UserError } from '../common/errors.js';
import { MAX_JSON_BYTES, readText } from './text.js';

/**
 * Parse a JSON file; errors name the file: not found, a symbolic-link loop, not a regular file,
 * too large (over 256 MiB: no file the tool writes comes near), not UTF-8, not valid JSON.
 */
export function readJsonFile(file: string, what = 'file', hint = ''): unknown {
  const text = readText(file, MAX_JSON_BYTES, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(`not valid JSON${hint}: ${(e as Error).message}`, { file });
  }
}

/** Read a JSON file and validate it; the error names the file and the first offending key path. */
export function readJsonValidated<T>(file: string, schema: ZodType<T>, what = 'file'): T {
  return validate(readJsonFile(file, what), schema, file);
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
