/**
 * Reading longitudinal z tables (one row per visit: subject_id, session, a time column, biomarkers):
 * the table read as any z table with the time column kept out of the biomarkers, then grouped by
 * subject in time order (errors name the file, line and subject).
 */
import { UserError } from '../common/errors.js';
import { groupTable, type GroupedTable } from '../sustain/longitudinal/visits.js';
import { readZTable, type ReadZTableOptions, type ZTableRead } from './ztable.js';

export interface LongitudinalRead extends GroupedTable {
  read: ZTableRead;
  timeColumn: string;
}

/** Read a z table of visits (session and time columns) and group it by subject in time order. */
export function readLongitudinal(file: string, timeColumn: string, opts: ReadZTableOptions = {}): LongitudinalRead {
  return groupRead(readZTable(file, { ...opts, exclude: [...(opts.exclude ?? []), timeColumn] }), timeColumn);
}

/** Group a table already read (with the time column excluded from the biomarkers). */
export function groupRead(read: ZTableRead, timeColumn: string): LongitudinalRead {
  const file = read.file;
  if (read.table.biomarkers.includes(timeColumn)) throw new UserError(`the time column "${timeColumn}" cannot also be a biomarker`, { file, field: timeColumn });
  return { ...groupTable(read.table, timeColumn, { file, lines: read.lines }), read, timeColumn };
}
