import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A private temp folder per run, checked for leftovers (global-tmp.ts); each file's folders removed after it.
    globalSetup: ['test/global-tmp.ts'],
    setupFiles: ['test/helpers/cleanup.ts'],
    // Fits and browser tests are CPU-heavy on a 2-core machine: keep the pool small.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run counts from.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
