import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The test files Stryker runs (npm run mutate). Stryker runs every mutant in its own process, so a
 * test that checks the code through a child process (test/support/child.ts starts `stockhook` from
 * src/ in a new process) cannot see the mutant at all: it only costs 15 s and more per start. Those
 * files, the browser stories (Chromium), the README tutorial (it runs dist/) and the CI guards
 * (they read the repository's files, which Stryker rewrites in its sandbox) stay out of mutation runs;
 * `npm test` and .ci/run still run them.
 */
export const notForMutation = [
  'test/ui/**',
  'test/tutorial/**',
  'test/ci/**',
  'test/http/startup-line.test.ts',
  'test/http/server-lifecycle.test.ts',
  'test/listen/listen.test.ts',
  'test/applications/delivery-thread.test.ts',
  'test/storage/backup.test.ts',
  'test/storage/database-outage.test.ts',
  'test/storage/pgbouncer.test.ts',
  'test/storage/sequencer-after-migrations.test.ts',
  'test/storage/serve-checkpoints.test.ts',
  'test/webhooks/lease.test.ts',
  'test/webhooks/crash-recovery.test.ts',
  'test/webhooks/two-workers.test.ts',
];

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ['**/node_modules/**', ...notForMutation],
    },
  }),
);
