// @ts-check
/**
 * StrykerJS for the modules whose promises the tests must guard . Run it through
 * `npm run mutate` (scripts/mutate.ts): it runs one folder at a time, each with its own incremental
 * file, so a second run only re-tests mutants whose code or covering tests changed.
 * STRYKER_FOLDER (set by the script) picks the folder; see FOLDERS in scripts/mutate.ts.
 */
const folders = {
  delivery: {
    mutate: ['src/delivery/**/*.ts'],
    tests: [
      'test/unit/{send-slots,send-queues,handoff-count,handoff-taker,handoff-writer,breaker,breaker-decisions,decide,sender-deadlines,sender-exchange,sender-pools,sender-classify,result-batcher,idle-waiters,request-headers,connect-time-targets}.test.ts',
      'test/webhooks/{attempt,auto-disable,insert-deliveries,handoff,busy-account-claims,account-limits,retries,endpoint-isolation,shared-breaker,delivery-scope,metrics,native-delivery,socket-isolation,delivery-thread-supervision,dispatcher-paths}.test.ts',
      'test/storage/conformance/*.test.ts',
      'test/unit/{claim-scheduler,claim-loop,fan-out-wants,operator-log}.test.ts',
      'test/webhooks/lease.test.ts',
      'test/listen/replay-command.test.ts',
      // The delivery log, its operator lines and replays are answered through the API: these files check their bodies.
      'test/webhooks/{delivery-log-api,delivery-logs,delivery-stats,subscriptions}.test.ts',
      // The fan-out's rules for one format: the last event per key (MetaKocka) and a coalescing window (Kladana).
      'test/formats/{metakocka,kladana}.test.ts',
      // Each vendor's retry schedule (decide.ts) and an application's uninstall (the dispatcher's removal path).
      'test/webhooks/vendor-schedules.test.ts',
      'test/applications/poster-uninstall.test.ts',
    ],
  },
  storage: {
    mutate: ['src/storage/**/*.ts'],
    tests: [
      'test/storage/**/*.test.ts',
      'test/unit/{write-turn,announcer,sqlite-checkpoints,commit-group,prepared,connection-errors,transaction-retry}.test.ts',
      'test/events/event-order.test.ts',
      'test/webhooks/cross-process-wake.test.ts',
      'test/http/startup-line.test.ts',
      'test/unit/database-label.test.ts',
      // The unit tests of the connection advice (helpful-errors), database-location.ts and threads.ts:
      // without them every mutant of those files counts as survived or uncovered. Not
      // test/unit/config.test.ts (it reads docs/, which the sandbox leaves out): database-location.test.ts
      // checks the same functions on their own.
      'test/unit/{helpful-errors,database-location,thread-share,storage-dialects}.test.ts',
      'test/http/admin-token-file.test.ts',
    ],
  },
  retention: { mutate: ['src/retention/**/*.ts'], tests: ['test/retention/**/*.test.ts', 'test/storage/conformance/retention.test.ts'] },
  targets: { mutate: ['src/webhooks/targets.ts'], tests: ['test/unit/{targets,connect-time-targets,guarded-lookup}.test.ts', 'test/webhooks/embedded-ipv4-targets.test.ts'] },
  idempotency: { mutate: ['src/http/idempotency/**/*.ts'], tests: ['test/http/idempotency.test.ts', 'test/unit/idempotency-parts.test.ts'] },
};
const folder = process.env.STRYKER_FOLDER ?? 'storage';
if (!(folder in folders)) throw new Error(`STRYKER_FOLDER=${folder}: not one of ${Object.keys(folders).join(', ')}`);
/** Results of the two test sets are kept apart: an incremental file assumes the same tests. */
const name = process.env.STRYKER_ALL_TESTS === '1' ? `${folder}.all-tests` : folder;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // related: vitest's import graph finds no test for a mutated file in Stryker's sandbox, so the dry run
  // runs every test file of vitest.mutate.config.ts once and per-test coverage does the narrowing.
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  // Only the tests that reached a mutant in the dry run run for it.
  coverageAnalysis: 'perTest',
  // Module-level code (constants, schema text) is reached by every test: re-running the whole suite
  // for each such mutant would not fit in an hour on two cores.
  ignoreStatic: true,
  mutate: folders[folder].mutate,
  // The folder's own test files (the tests whose job is its promises): a mutant only they would miss
  // is a promise guarded by luck elsewhere. STRYKER_ALL_TESTS=1 (npm run mutate -- --all-tests) lets
  // every test file of vitest.mutate.config.ts try instead; on storage/ that is hours, not one.
  ...(process.env.STRYKER_ALL_TESTS === '1' ? {} : { testFiles: folders[folder].tests }),
  // A shared 2-core machine: two test processes at most, and time for a loaded CPU.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutFactor: 4,
  timeoutMS: 20_000,
  dryRunTimeoutMinutes: 30,
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  // mutant-log (scripts/stryker-mutant-log.mjs): each result as it comes, so a stopped run still counts.
  appendPlugins: ['./scripts/stryker-mutant-log.mjs'],
  reporters: ['progress', 'clear-text', 'json', 'html', 'mutant-log'],
  mutantLog: { fileName: process.env.STRYKER_MUTANT_LOG ?? `reports/mutation/${name}.mutants.jsonl` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Anchored: src/inventory/reports/ is code, /reports/ is Stryker's output.
  ignorePatterns: ['/dist', '/reports', '/bench', '/docs', '/coverage', '/test-output', '/.scratch', '/data', '/stryker.log'],
};
