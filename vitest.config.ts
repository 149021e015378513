import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'plugins/*', 'examples/plugin-*', 'test-e2e'],
    // Two test files at a time even on a 2-core machine (the default leaves one core to vitest):
    // the end-to-end files spend most of their time waiting on the tvc, DVC and server processes.
    maxWorkers: 2,
    // In CI, also a JSON report from which .ci/run prints its closing 'N passed, N failed' line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
