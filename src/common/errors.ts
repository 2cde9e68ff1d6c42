/**
 * Errors a user can act on. The CLI prints `message` on one line and exits non-zero; no stack trace.
 * The message names the file, the subject and the field where they are known, so the analyst can
 * find the cell at fault.
 */
export interface ErrorPlace {
  file?: string;
  subject?: string;
  field?: string;
  /** 1-based line or row number in the file, where that helps. */
  line?: number;
}

export class UserError extends Error {
  readonly place: ErrorPlace;
  readonly exitCode: number;

  constructor(reason: string, place: ErrorPlace = {}, exitCode = 2) {
    super(formatMessage(reason, place));
    this.name = 'UserError';
    this.place = place;
    this.exitCode = exitCode;
  }
}

/** "file.csv, line 12, subject s001, field age: not a number" */
export function formatMessage(reason: string, place: ErrorPlace): string {
  const parts: string[] = [];
  if (place.file !== undefined) parts.push(place.file);
  if (place.line !== undefined) parts.push(`line ${place.line}`);
  if (place.subject !== undefined) parts.push(`subject ${place.subject}`);
  if (place.field !== undefined) parts.push(`field ${place.field}`);
  return parts.length > 0 ? `${parts.join(', ')}: ${reason}` : reason;
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
