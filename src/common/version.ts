import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** The package version, read once from package.json (two levels up from src/ or dist/). */
export function toolVersion(): string {
  if (cached === undefined) {
    const here = dirname(fileURLToPath(import.meta.url));
    const pkg = JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}

export const TOOL_NAME = 'ms-subtype';
