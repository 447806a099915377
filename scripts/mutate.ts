/**
 * `npm run mutate [-- [--all-tests] storage delivery ...] [-- --mutate src/delivery/claim.ts]` (folders first,
 * then after a second `--` anything for `stryker run`, e.g. `--mutate` to run a few files of one folder)
 *
 * Each folder's mutants face its own test files (stryker.config.mjs lists them); `--all-tests` lets
 * every test file that can see a mutant try (reports/mutation/<folder>.all-tests.*), which on
 * storage/ takes hours: most of its code runs under every test.
 *
 * Mutation testing (StrykerJS with its vitest runner, stryker.config.mjs) of the modules whose
 * promises the tests must guard, one folder at a time: a folder's run re-tests only what changed
 * since its last run (incremental file under reports/mutation/), and each mutant runs only the tests
 * that reached it in the dry run. Not part of .ci/run: a first full run takes about an hour on a
 * 2-core machine. Prints a score per folder at the end (killed + timed out over all covered and
 * uncovered mutants, as Stryker counts it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

interface Folder {
  name: string;
  /**
   * The databases its tests run on. storage/ has PostgreSQL-only code (storage/postgres/: the
   * store, its notifier, named statements and one-statement writes) and delivery/ has SQL both
   * stores must agree on, so both run on both; the others run on SQLite, their SQL being the same
   * text on both stores and the run four times cheaper.
   */
  dbs: string;
}

const FOLDERS: Folder[] = [
  { name: 'storage', dbs: 'sqlite,postgres' },
  { name: 'delivery', dbs: 'sqlite,postgres' },
  { name: 'retention', dbs: 'sqlite' },
  { name: 'targets', dbs: 'sqlite' },
  { name: 'idempotency', dbs: 'sqlite' },
];

interface MutantResult {
  status: string;
}
interface Report {
  files: Record<string, { mutants: MutantResult[] }>;
}

const args = process.argv.slice(2);
const split = args.indexOf('--');
const allTests = args.slice(0, split === -1 ? args.length : split).includes('--all-tests');
const names = (split === -1 ? args : args.slice(0, split)).filter((a) => a !== '--all-tests');
const strykerArgs = split === -1 ? [] : args.slice(split + 1);
const unknown = names.filter((n) => !FOLDERS.some((f) => f.name === n));
if (unknown.length > 0) {
  console.error(`mutate: unknown folder ${unknown.join(', ')} (${FOLDERS.map((f) => f.name).join(', ')})`);
  process.exit(2);
}
const chosen = names.length === 0 ? FOLDERS : FOLDERS.filter((f) => names.includes(f.name));

const rows: string[][] = [];
let failed = false;
for (const folder of chosen) {
  const started = Date.now();
  // MUTATE_DBS=sqlite narrows a run to SQLite (quicker, but blind to PostgreSQL-only code: say so).
  const dbs = process.env.MUTATE_DBS ?? folder.dbs;
  console.log(`\nmutate: ${folder.name} (${allTests ? 'every test file' : 'its own test files'}, on ${dbs})`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...strykerArgs], {
    stdio: 'inherit',
    env: { ...process.env, STRYKER_FOLDER: folder.name, STRYKER_ALL_TESTS: allTests ? '1' : undefined, STOCKHOOK_TEST_DBS: dbs, STOCKHOOK_TEST_REQUIRE_PG: undefined, STOCKHOOK_TEST_PATIENCE: process.env.STOCKHOOK_TEST_PATIENCE ?? '1' },
  });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  if (run.status !== 0) failed = true;
  rows.push([folder.name, ...score(`reports/mutation/${folder.name}${allTests ? '.all-tests' : ''}.json`), minutes, run.status === 0 ? 'ok' : `exit ${run.status}`]);
}

const header = ['folder', 'mutants', 'killed', 'timeout', 'survived', 'no cover', 'score %', 'minutes', 'run'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]): string => r.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(`\n${line(header)}\n${rows.map(line).join('\n')}`);
process.exit(failed ? 1 : 0);

/** Counts from Stryker's JSON report: score = (killed + timeout) / (killed + timeout + survived + no coverage). */
function score(file: string): string[] {
  if (!existsSync(file)) return ['-', '-', '-', '-', '-', '-'];
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const count: Record<string, number> = {};
  for (const f of Object.values(report.files)) for (const m of f.mutants) count[m.status] = (count[m.status] ?? 0) + 1;
  const killed = count.Killed ?? 0;
  const timeout = count.Timeout ?? 0;
  const survived = count.Survived ?? 0;
  const noCover = count.NoCoverage ?? 0;
  const valid = killed + timeout + survived + noCover;
  const total = Object.values(count).reduce((a, b) => a + b, 0);
  return [total, killed, timeout, survived, noCover].map(String).concat(valid === 0 ? '-' : ((100 * (killed + timeout)) / valid).toFixed(1));
}
