/** subjects.csv's longitudinal columns (strings, one per visit row), beside the usual ones. */
import type { Assignment } from '../types.js';
import type { LongitudinalAssignment } from './assign.js';
import type { GroupedTable } from './visits.js';

/**
 * subjects.csv's longitudinal columns beside the usual ones: time, expected stage, rate, each
 * visit's cross-sectional subtype and stage under the same model (`cross`, for comparison), stage
 * probabilities.
 */
export function longitudinalColumns(a: LongitudinalAssignment, g: GroupedTable, timeColumn: string, cross: Assignment): Record<string, string[]> {
  const M = a.subjects.length;
  const S = a.probStage!.length / M;
  const out: Record<string, string[]> = {
    [timeColumn]: g.table.carried![timeColumn]!,
    expected_stage: Array.from(a.expectedStage, (v) => (Number.isNaN(v) ? '' : String(v))),
    progression_rate: Array.from(a.rate, (v) => (Number.isNaN(v) ? '' : String(v))),
    cross_sectional_subtype: Array.from(cross.mlSubtype, String),
    cross_sectional_stage: Array.from(cross.mlStage, String),
  };
  for (let k = 0; k < S; k++) out[`prob_stage_${k}`] = Array.from({ length: M }, (_, r) => String(a.probStage![r * S + k]!));
  return out;
}
