import type { Command } from 'commander';

// Placeholder: the subcommands of this file are being written; see the issues.
export function register(_program: Command): void {}
