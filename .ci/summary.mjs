// Prints vitest's JSON report as the plain closing line CI readers understand, e.g.
// "212 passed, 0 failed, 0 skipped", and exits 1 unless the run is complete: in CI a skipped or
// todo test is a failure (a suite that skips itself, e.g. when PostgreSQL is missing, must not pass).
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.error(`ci: no test report at ${file}: the test run did not finish`);
  console.log('0 passed, 0 failed, 0 skipped');
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
const problems = [];
if (r.numTotalTests === 0) problems.push('no test ran');
if (r.numFailedTests > 0) problems.push(`${r.numFailedTests} failed`);
if ((r.numFailedTestSuites ?? 0) > 0) problems.push(`${r.numFailedTestSuites} suites failed`);
if (skipped > 0) {
  const names = (r.testResults ?? [])
    .flatMap((f) => (f.assertionResults ?? []).filter((t) => t.status === 'pending' || t.status === 'skipped' || t.status === 'todo').map((t) => `  ${t.fullName}`))
    .slice(0, 20);
  problems.push(`${skipped} skipped or todo (CI runs every test):\n${names.join('\n')}`);
}
if (r.success === false && problems.length === 0) problems.push('vitest reported the run as failed');
if (problems.length > 0) {
  console.error(`ci: FAILED: ${problems.join('; ')}`);
  process.exit(1);
}
