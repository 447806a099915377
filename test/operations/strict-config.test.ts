import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
// Resolved from the repository: the child runs in an empty folder, where `--import tsx` finds nothing.
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

/** Runs `stockhook <args>` in `cwd` with only PATH and `env`, to its exit. */
function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('a mistyped database URL or setting stops the start before anything is made', () => {
  const dirs: string[] = [];
  const emptyDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'stockhook-config-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each([
    ['mysql://root@127.0.0.1:3306/x', 'stockhook: --db "mysql://…@127.0.0.1:3306/x" is not a database stockhook can open'],
    ['postgress://u@127.0.0.1/x', 'stockhook: --db "postgress://…@127.0.0.1/x" is not a database stockhook can open'],
    ['sqlite:///var/lib/stockhook/x.db', 'stockhook: --db "sqlite:///var/lib/stockhook/x.db" is not a database stockhook can open'],
  ])('serve --db %s exits 1 with one line, and leaves no folder and no ledger', { timeout: 60_000 }, async (url, line) => {
    const cwd = emptyDir();
    const r = await run(['serve', '--db', url, '--port', '0'], cwd);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(line)).toBe(true);
    expect(r.stdout).toBe('');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('every mistake is one line, the token never echoed, nothing opened', { timeout: 60_000 }, async () => {
    const cwd = emptyDir();
    const r = await run(['serve', '--port', '0'], cwd, {
      STOCKHOOK_DATABSE_URL: 'postgres://127.0.0.1/x',
      STOCKHOOK_ADMIN_TOKEN: 'short-secret-token',
      STOCKHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'stockhook: STOCKHOOK_DATABSE_URL is not a setting: did you mean STOCKHOOK_DATABASE_URL?',
      'stockhook: STOCKHOOK_ADMIN_TOKEN is 18 characters; it must be at least 32 (e.g. openssl rand -hex 32), or unset for one made at the first start',
      'stockhook: STOCKHOOK_ALLOW_PRIVATE_TARGETS must be 1 or 0, not "true"',
    ]);
    expect(r.stderr + r.stdout).not.toContain('short-secret-token');
    // Not even the default ./data/stockhook.db was made.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('backup refuses a mistyped URL the same way', { timeout: 60_000 }, async () => {
    const cwd = emptyDir();
    const r = await run(['backup', 'out.db', '--db', 'mysql://h/x'], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^stockhook: --db "mysql:\/\/h\/x" is not a database stockhook can open: give a SQLite file path/);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
