import { describe, it, expect } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('cli', () => {
  it('prints help and version', () => {
    const h = runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Usage: ms-subtype/);
    const v = runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
  it('refuses an unknown command with a non-zero exit and no stack trace', () => {
    const r = runCli(['no-such-command']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
