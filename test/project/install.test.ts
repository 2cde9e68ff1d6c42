import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../helpers/cli.js';

/** Every installed package that has an install script, by name (scoped packages included). */
function packagesWithInstallScripts(): string[] {
  const nm = join(projectRoot, 'node_modules');
  const out: string[] = [];
  const visit = (dir: string, name: string) => {
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) return;
    const scripts = (JSON.parse(readFileSync(pj, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
    if (['preinstall', 'install', 'postinstall'].some((s) => s in scripts)) out.push(name);
  };
  for (const e of readdirSync(nm)) {
    if (e.startsWith('.')) continue;
    if (e.startsWith('@')) for (const s of readdirSync(join(nm, e))) visit(join(nm, e, s), `${e}/${s}`);
    else visit(join(nm, e), e);
  }
  return out.sort();
}

describe('npm ci is quiet', () => {
  it('every dependency with an install script is named in allowScripts (npm 11 warns otherwise)', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const withScripts = packagesWithInstallScripts();
    expect(withScripts).toContain('esbuild');
    for (const name of withScripts) expect(pkg.allowScripts?.[name], name).toBeTypeOf('boolean');
  });
});
