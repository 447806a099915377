import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/child.js';
import { chooseDatabases } from '../support/global-setup.js';

/**
 * CI must not go green on a narrowed run: both databases always run (.ci/run and the global setup
 * refuse a STOCKHOOK_TEST_DBS without both), and a skipped or todo test fails the run
 * (.ci/summary.mjs), whose closing line says how many were skipped.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stockhook-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of a fresh shell: nothing of this vitest run leaks into the child. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(VITEST|STOCKHOOK_TEST_|TINYPOOL|NODE_OPTIONS$)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 120_000) {
  return runCommand(cmd, args, { cwd: ROOT, env: cleanEnv(env), timeoutMs });
}

const SUMMARY_LINE = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;

async function summary(report: object | null) {
  const file = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  if (report) writeFileSync(file, JSON.stringify(report));
  return run(process.execPath, ['.ci/summary.mjs', file], {});
}

const report = (passed: number, failed: number, pending: number, todo: number) => ({
  numTotalTests: passed + failed + pending + todo,
  numPassedTests: passed,
  numFailedTests: failed,
  numPendingTests: pending,
  numTodoTests: todo,
  numFailedTestSuites: failed > 0 ? 1 : 0,
  success: failed === 0,
  testResults: [],
});

describe('.ci/summary.mjs', () => {
  it('prints the plain closing line and passes a complete run', async () => {
    const r = await summary(report(7, 0, 0, 0));
    expect(r.out).toBe('7 passed, 0 failed, 0 skipped\n');
    expect(r.code).toBe(0);
  });

  it('fails a run with a skipped test, a todo, a failure, or no test at all, and says how many were skipped', async () => {
    const cases: Array<[object | null, string]> = [
      [report(6, 0, 1, 0), '6 passed, 0 failed, 1 skipped'],
      [report(6, 0, 0, 2), '6 passed, 0 failed, 2 skipped'],
      [report(6, 1, 0, 0), '6 passed, 1 failed, 0 skipped'],
      [report(0, 0, 0, 0), '0 passed, 0 failed, 0 skipped'],
      [null, '0 passed, 0 failed, 0 skipped'],
    ];
    for (const [r, line] of cases) {
      const res = await summary(r);
      expect(res.out.trim(), line).toBe(line);
      expect(res.out.trim()).toMatch(SUMMARY_LINE);
      expect(res.code, line).toBe(1);
      expect(res.err).toMatch(/^ci: /);
    }
  });
});

describe('which databases run', () => {
  it('CI (STOCKHOOK_TEST_REQUIRE_PG=1) refuses a STOCKHOOK_TEST_DBS that leaves a database out', () => {
    for (const dbs of ['sqlite', 'postgres', ' sqlite ']) {
      expect(() => chooseDatabases({ STOCKHOOK_TEST_REQUIRE_PG: '1', STOCKHOOK_TEST_DBS: dbs }), dbs).toThrow(/leaves one out/);
    }
    expect(chooseDatabases({ STOCKHOOK_TEST_REQUIRE_PG: '1' }).wanted).toEqual(['sqlite', 'postgres']);
    expect(chooseDatabases({ STOCKHOOK_TEST_REQUIRE_PG: '1', STOCKHOOK_TEST_DBS: 'postgres,sqlite' }).wanted).toEqual(['sqlite', 'postgres']);
  });

  it('outside CI STOCKHOOK_TEST_DBS narrows the run; unknown names are refused', () => {
    expect(chooseDatabases({ STOCKHOOK_TEST_DBS: 'sqlite' })).toMatchObject({ wanted: ['sqlite'], requirePostgres: false });
    expect(() => chooseDatabases({ STOCKHOOK_TEST_DBS: 'sqlite,mysql' })).toThrow(/unknown database mysql/);
  });

  it('.ci/run stops at once when STOCKHOOK_TEST_DBS=sqlite is set', async () => {
    const r = await run('bash', ['.ci/run'], { STOCKHOOK_TEST_DBS: 'sqlite', CI: 'true' }, 30_000);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ci: FAILED: STOCKHOOK_TEST_DBS=sqlite leaves out a database');
    // It failed before installing or testing anything.
    expect(r.out).toBe('');
  });
});

describe('a real vitest run under the CI settings', () => {
  const config = 'test/ci/fixtures/vitest.fixture.config.ts';
  const vitest = join(ROOT, 'node_modules/vitest/vitest.mjs');

  it('fails in the global setup when STOCKHOOK_TEST_DBS=sqlite meets STOCKHOOK_TEST_REQUIRE_PG=1', { timeout: 120_000 }, async () => {
    const r = await run(process.execPath, [vitest, 'run', '--config', config], { STOCKHOOK_TEST_REQUIRE_PG: '1', STOCKHOOK_TEST_DBS: 'sqlite' });
    expect(r.code, r.out + r.err).not.toBe(0);
    expect(r.out + r.err).toContain('leaves one out');
  });

  it('passes vitest with a skipped and a todo test, and the summary fails it, counting both', { timeout: 120_000 }, async () => {
    const json = join(dir, 'fixture.json');
    // SQLite only (allowed outside CI), so this needs no PostgreSQL.
    const r = await run(process.execPath, [vitest, 'run', '--config', config, '--reporter=json', `--outputFile.json=${json}`], {
      STOCKHOOK_TEST_DBS: 'sqlite',
    });
    expect(r.code, r.out + r.err).toBe(0);
    const s = await run(process.execPath, ['.ci/summary.mjs', json], {});
    expect(s.out).toBe('1 passed, 0 failed, 2 skipped\n');
    expect(s.code).toBe(1);
    expect(s.err).toContain('is skipped');
    expect(s.err).toContain('is a todo');
  });
});
