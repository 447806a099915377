import { relative } from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
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

/**
 * Stryker runs a mutant's covering test files one after another and stops at the first failure
 * (bail: 1), in the order of this sequencer. Vitest's own runs the longest files first; here the
 * unit tests go first, then every group by its last duration (its size before one is known), so a
 * mutant of a pure module that a unit test kills costs that unit test, not the integration tests that
 * also reach it.
 */
class QuickTestsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const order = (f: TestSpecification): [number, number] => {
      const path = relative(root, f.moduleId);
      const key = `${f.project.name}:${path}`;
      const cost = this.ctx.cache.getFileTestResults(key)?.duration ?? this.ctx.cache.getFileStats(key)?.size ?? Infinity;
      return [path.startsWith('test/unit/') ? 0 : 1, cost];
    };
    return [...files].sort((a, b) => {
      const [ga, ca] = order(a);
      const [gb, cb] = order(b);
      return ga - gb || ca - cb;
    });
  }
}

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ['**/node_modules/**', ...notForMutation],
      sequence: { sequencer: QuickTestsFirst },
    },
  }),
);
