// @ts-check
/**
 * StrykerJS for the modules whose promises the tests must guard (issue 27). Run it through
 * `npm run mutate` (scripts/mutate.ts): it runs one folder at a time, each with its own incremental
 * file, so a second run only re-tests mutants whose code or covering tests changed.
 * STRYKER_FOLDER (set by the script) picks the folder; see FOLDERS in scripts/mutate.ts.
 */
const folders = {
  delivery: ['src/delivery/**/*.ts'],
  storage: ['src/storage/**/*.ts'],
  retention: ['src/retention/**/*.ts'],
  targets: ['src/webhooks/targets.ts'],
  idempotency: ['src/http/idempotency/**/*.ts'],
};
const folder = process.env.STRYKER_FOLDER ?? 'storage';
if (!(folder in folders)) throw new Error(`STRYKER_FOLDER=${folder}: not one of ${Object.keys(folders).join(', ')}`);

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
  mutate: folders[folder],
  // A shared 2-core machine: two test processes at most, and time for a loaded CPU.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutFactor: 4,
  timeoutMS: 20_000,
  dryRunTimeoutMinutes: 30,
  incremental: true,
  incrementalFile: `reports/mutation/${folder}.incremental.json`,
  reporters: ['progress', 'clear-text', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${folder}.json` },
  htmlReporter: { fileName: `reports/mutation/${folder}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Anchored: src/inventory/reports/ is code, /reports/ is Stryker's output.
  ignorePatterns: ['/dist', '/reports', '/bench', '/docs', '/coverage', '/test-output', '/.scratch', '/data', '/stryker.log'],
};
