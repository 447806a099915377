import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Every response of every app is checked against /openapi.json (test/support/contract-setup.ts).
    setupFiles: ['test/support/contract-setup.ts'],
    // Failure bounds only (a passing test ends at its event): wide, so a loaded machine is not a failure.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // 2-core machines: more workers only add contention on SQLite files and PostgreSQL.
    maxWorkers: 2,
  },
});
