import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { projectRoot } from '../helpers/cli.js';

// The linter runs with the tests (so `npm test` and a full `npx vitest run` both catch a lint error);
// `npm run lint` runs it alone. Rules and their reasons: eslint.config.js.
describe('lint', () => {
  it('typescript-eslint finds nothing in the tree', async () => {
    const eslint = new ESLint({ cwd: projectRoot });
    const results = await eslint.lintFiles(['.']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(projectRoot.length + 1)}:${m.line}:${m.column} ${m.ruleId ?? ''} ${m.message}`));
    expect(problems).toEqual([]);
  });
});
