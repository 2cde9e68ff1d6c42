import { expect } from 'vitest';
import { UserError } from '../../src/common/errors.js';

/** Run `f`, which must throw a UserError, and return it so a test can check its message and place. */
export function errorOf(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

/** The one-line message of the UserError `f` throws. */
export function messageOf(f: () => unknown): string {
  const m = errorOf(f).message;
  expect(m).not.toContain('\n');
  return m;
}

/** A command line refused: non-zero exit, `pattern` on stderr, no stack trace. */
export function expectRefused(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}
