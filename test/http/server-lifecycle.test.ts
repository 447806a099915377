import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminTokenFile } from '../../src/storage/database-location.js';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { eventually } from '../support/wait.js';

for (const db of inject('databases') as DbName[]) {
  describe(`stockhook serve [${db}]`, () => {
    const children: Child[] = [];
    afterAll(async () => {
      await killAll(children);
    });

    it('without a terminal: writes a generated administrator token once to a 0600 file, never to the log, keeps it across restarts, and exits 0 on SIGTERM', { timeout: 600_000 }, async () => {
      const fresh = await freshDatabase(db);
      // PostgreSQL has no data folder: the file goes to the working directory.
      const cwd = mkdtempSync(join(tmpdir(), 'stockhook-lifecycle-'));
      try {
        const first = await startCli(['serve', '--db', fresh.url, '--port', '0'], {}, { cwd });
        children.push(first);
        const file = adminTokenFile(fresh.url, cwd);
        expect(file.startsWith(db === 'sqlite' ? fresh.url : cwd)).toBe(true);
        // Written before the server listens.
        const token = readFileSync(file, 'utf8').trim();
        expect(token).toMatch(/^shk_admin_/);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        const created = await fetch(`${first.url}/api/v1/accounts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Lifecycle' }),
        });
        expect(created.status).toBe(201);
        const account = (await created.json()) as { token: string };
        const wh = await fetch(`${first.url}/api/v1/warehouses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Kept' }),
        });
        expect(wh.status).toBe(201);

        first.proc.kill('SIGTERM');
        expect(await first.closed).toEqual({ code: 0, signal: null });
        const records = first.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(records.filter((r) => r.code === 'admin_token.written')).toMatchObject([{ level: 30, path: file }]);
        expect(records.filter((r) => r.code === 'server.stopping')).toMatchObject([{ level: 30, signal: 'SIGTERM', msg: 'SIGTERM received, shutting down' }]);
        expect(first.stdout() + first.stderr()).not.toContain(token);
        // A clean close checkpoints SQLite's WAL into the main file and removes it.
        if (db === 'sqlite') expect(existsSync(`${fresh.url}-wal`)).toBe(false);

        const second = await startCli(['serve', '--db', fresh.url, '--port', '0']);
        children.push(second);
        const again = await fetch(`${second.url}/api/v1/accounts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Second' }),
        });
        expect(again.status).toBe(201);
        const list = await fetch(`${second.url}/api/v1/warehouses`, { headers: { authorization: `Bearer ${account.token}` } });
        expect(((await list.json()) as { data: Array<{ name: string }> }).data.map((w) => w.name)).toEqual(['Kept']);
        second.proc.kill('SIGTERM');
        // Its whole output, read to the end: the token was not printed again.
        expect(await second.closed).toEqual({ code: 0, signal: null });
        expect(second.stdout()).not.toContain('admin_token.written');
        expect(second.stdout() + second.stderr()).not.toContain(token);
      } finally {
        await fresh.drop();
        rmSync(cwd, { recursive: true, force: true });
      }
    });

    it('STOCKHOOK_ADMIN_TOKEN is used as given and never printed', { timeout: 600_000 }, async () => {
      const fresh = await freshDatabase(db);
      try {
        const c = await startCli(['serve', '--db', fresh.url, '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: 'from-env-0123456789abcdef0123456789' });
        children.push(c);
        const res = await fetch(`${c.url}/api/v1/accounts`, {
          method: 'POST',
          headers: { authorization: 'Bearer from-env-0123456789abcdef0123456789', 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Env' }),
        });
        expect(res.status).toBe(201);
        c.proc.kill('SIGTERM');
        expect(await c.closed).toEqual({ code: 0, signal: null });
        expect(c.stdout()).not.toContain('admin_token.written');
        if (db === 'sqlite') expect(existsSync(adminTokenFile(fresh.url))).toBe(false);
        expect(c.stdout() + c.stderr()).not.toContain('from-env-0123456789abcdef0123456789');
      } finally {
        await fresh.drop();
      }
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${signal} with a request in flight: stops accepting, finishes the request, closes the database, exits 0`, { timeout: 600_000 }, async () => {
        const fresh = await freshDatabase(db);
        try {
          const c = await startCli(['serve', '--db', fresh.url, '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: 'lifecycle-admin-0123456789abcdef0123456789' });
          children.push(c);
          const { token } = await api<{ token: string }>(c.url, 'lifecycle-admin-0123456789abcdef0123456789', 'POST', '/api/v1/accounts', { name: 'Signals' }, 201);
          const w = (await api<{ id: number }>(c.url, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).id;
          const p = (await api<{ id: number }>(c.url, token, 'POST', '/api/v1/products', { title: 'Widget' }, 201)).id;

          // A document whose body is still on its way when the signal comes: the server has read
          // the request's headers (it answered 100 Continue) and waits for the body.
          const body = JSON.stringify({ type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 7 }] });
          const req = request(`${c.url}/api/v1/documents`, {
            method: 'POST',
            agent: false,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
          });
          const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
            req.on('response', (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
            });
            req.on('error', reject);
          });
          // Awaited below; until then a reset must not count as unhandled.
          answer.catch(() => {});
          await new Promise<void>((resolve) => req.on('continue', () => resolve()));

          c.proc.kill(signal);
          await eventually(() => c.stdout().includes(`"msg":"${signal} received, shutting down"`));
          // It stops accepting: a new connection is refused while the request is still open.
          await eventually(async () => {
            const err = await fetch(`${c.url}/healthz`).then(
              () => null,
              (e: { cause?: { code?: string } }) => e.cause?.code,
            );
            return err === 'ECONNREFUSED';
          });
          expect(c.proc.exitCode).toBeNull();

          req.end(body);
          const res = await answer;
          expect(res.status, res.body).toBe(201);
          const doc = JSON.parse(res.body) as { id: number };
          // A 201 is sent after the commit (a restart keeping what was committed is the first test's).
          expect(doc.id).toEqual(expect.any(Number));
          expect(await c.closed).toEqual({ code: 0, signal: null });
          // A clean close checkpoints SQLite's WAL into the main file and removes it.
          if (db === 'sqlite') expect(existsSync(`${fresh.url}-wal`)).toBe(false);
        } finally {
          await fresh.drop();
        }
      });
    }
  });
}
