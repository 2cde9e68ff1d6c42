import { UserError } from '../common/errors.js';
import type { FeatureSet } from './features.js';

/** Fixed columns of the output, before carried columns and features. */
export const ID_COLUMNS = ['subject_id', 'session'] as const;

/** Feature names must not collide with the id columns or carried covariates. */
export function checkColumnClash(carried: readonly string[], fs: FeatureSet): void {
  const taken = new Set<string>([...ID_COLUMNS, ...carried]);
  for (const f of fs.features) {
    if (taken.has(f.name)) {
      throw new UserError(`feature "${f.name}" has the same name as an input column; rename one of them`, { file: fs.file, field: `features.${f.name}` });
    }
  }
}
