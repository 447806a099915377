import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import { compose } from '../../src/compose.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { ADMIN_TOKEN, freshDatabase, TEST_PUBLIC_URL, type DbName } from '../support/env.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/wait.js';

/*
 * A database that cannot be reached is named (host and port, never the password) with what to
 * check: in the one line `serve` exits with, and in /readyz and the 503 answers while running.
 */

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const SOURCE = 'the database URL (--db or STOCKHOOK_DATABASE_URL)';

/** Runs `stockhook <args>` in an empty folder with only PATH and `env`, to its exit. */
function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}

const hasPostgres = (inject('databases') as DbName[]).includes('postgres');

describe('serve with a PostgreSQL it cannot reach exits 1 with one clear line', () => {
  const dirs: string[] = [];
  const emptyDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'stockhook-dberr-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('nothing listening on 127.0.0.1:1: the host and port, what to check, never the password', { timeout: 60_000 }, async () => {
    const cwd = emptyDir();
    const r = await run(['serve', '--db', 'postgres://postgres:hunter2-secret@127.0.0.1:1/stock', '--port', '0'], cwd, { STOCKHOOK_DATABASE_WAIT_SECONDS: '0' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `stockhook: PostgreSQL at 127.0.0.1:1 refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`,
    ]);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('hunter2-secret');
    expect(readdirSync(cwd)).toEqual([]);
  });

  if (hasPostgres) {
    const server = new URL(inject('pgUrl') as string);
    const at = `${server.hostname}:${server.port || 5432}`;

    it('a database that does not exist: create it or fix the name', { timeout: 60_000 }, async () => {
      const url = new URL(server);
      url.pathname = '/stockhook_no_such_database';
      const r = await run(['serve', '--db', url.toString(), '--port', '0'], emptyDir(), { STOCKHOOK_DATABASE_WAIT_SECONDS: '0' });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        `stockhook: PostgreSQL at ${at}: database "stockhook_no_such_database" does not exist; create it (createdb) or fix the database name in ${SOURCE}`,
      ]);
    });

    it('a role that does not exist: create it or fix the user', { timeout: 60_000 }, async () => {
      const url = new URL(server);
      url.username = 'stockhook_no_such_role';
      url.password = 'pw-never-shown';
      const r = await run(['serve', '--db', url.toString(), '--port', '0'], emptyDir(), { STOCKHOOK_DATABASE_WAIT_SECONDS: '0' });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      // Under trust the role is checked first; with passwords PostgreSQL may say the password failed.
      expect(lines[0]).toMatch(
        new RegExp(`^stockhook: PostgreSQL at ${at.replace(/\./g, '\\.')}: (role "stockhook_no_such_role" does not exist; create the role \\(createuser\\) or fix the user|password authentication failed for user "stockhook_no_such_role"; check the user and password) in `),
      );
      expect(r.stderr).not.toContain('pw-never-shown');
    });
  }
});

(hasPostgres ? describe : describe.skip)('a PostgreSQL that goes away while running (PostgreSQL)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  }, 30_000);

  it('/readyz and a write answer 503 naming the host and port and what to check', { timeout: 120_000 }, async () => {
    const fresh = await freshDatabase('postgres');
    cleanup.push(fresh.drop);
    const real = new URL(fresh.url);
    const proxy = await TcpProxy.start({ host: real.hostname, port: Number(real.port || 5432) });
    cleanup.push(() => proxy.close());
    const through = new URL(proxy.url(fresh.url));
    through.password = 'pw-never-shown';
    const store: Store = await openStore(through.toString());
    cleanup.push(() => store.close());
    const { app } = await compose(store, { settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL }, http: { adminTokenHash: hashToken(ADMIN_TOKEN) } });
    if (!app) throw new Error('no app');
    cleanup.push(() => app.close());
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const account = (await app.inject({ method: 'POST', url: '/api/v1/accounts', headers: admin, payload: { name: 'Outage' } })).json() as { token: string };
    const auth = { authorization: `Bearer ${account.token}` };
    const w = (await app.inject({ method: 'POST', url: '/api/v1/warehouses', headers: auth, payload: { name: 'Main' } })).json().id as number;
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

    // Nothing listens there any more: every new connection is refused.
    const where = `PostgreSQL at 127.0.0.1:${proxy.port}`;
    await proxy.close();
    const problem = `${where} refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`;
    // The pool's cut connections fail first with "terminated"; then every try is a refused connection.
    const ready = await eventually(async () => {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      const body = res.json();
      return res.statusCode === 503 && body.error.details?.problem === problem && body;
    }, 60_000, 50, '/readyz names the refused connection');
    expect(ready.error).toEqual({
      code: 'NOT_READY',
      message: `Not ready to serve: the database or the delivery worker is down: ${problem}`,
      details: { database: 'unreachable', delivery: 'none', problem },
    });
    const write = await eventually(async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/documents', headers: auth, payload: { type: 'receipt', warehouseId: w, lines: [{ productId: 1, quantity: 1 }] } });
      return res.statusCode === 503 && res.json().error.details?.problem === problem && res;
    }, 60_000, 50, 'a write names the refused connection');
    expect(write.headers['retry-after']).toBe('2');
    expect(write.json().error).toEqual({
      code: 'DATABASE_UNAVAILABLE',
      message: `The database cannot be reached; retry after the Retry-After seconds. ${problem}`,
      details: { problem },
    });
    expect(write.body + JSON.stringify(ready)).not.toContain('pw-never-shown');
  });
});
