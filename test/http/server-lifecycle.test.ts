import { existsSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startCli, type Child } from '../support/child.js';
import { freshDatabase, type DbName } from '../support/env.js';

for (const db of inject('databases') as DbName[]) {
  describe(`stockhook serve [${db}]`, () => {
    const children: Child[] = [];
    afterAll(() => {
      for (const c of children) c.proc.kill('SIGKILL');
    });

    it('prints a generated administrator token once, keeps it across restarts, and exits 0 on SIGTERM', async () => {
      const fresh = await freshDatabase(db);
      try {
        const first = await startCli(['serve', '--db', fresh.url, '--port', '0']);
        children.push(first);
        const token = /administrator token \(shown once, keep it\): (\S+)/.exec(first.stdout())?.[1];
        expect(token).toMatch(/^shk_admin_/);
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
        expect(await first.exited).toBe(0);
        expect(first.stderr()).toContain('SIGTERM received, shutting down');
        // A clean close checkpoints SQLite's WAL into the main file and removes it.
        if (db === 'sqlite') expect(existsSync(`${fresh.url}-wal`)).toBe(false);

        const second = await startCli(['serve', '--db', fresh.url, '--port', '0']);
        children.push(second);
        expect(second.stdout()).not.toContain('administrator token');
        const again = await fetch(`${second.url}/api/v1/accounts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Second' }),
        });
        expect(again.status).toBe(201);
        const list = await fetch(`${second.url}/api/v1/warehouses`, { headers: { authorization: `Bearer ${account.token}` } });
        expect(((await list.json()) as { data: Array<{ name: string }> }).data.map((w) => w.name)).toEqual(['Kept']);
        second.proc.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      } finally {
        await fresh.drop();
      }
    });

    it('STOCKHOOK_ADMIN_TOKEN is used as given and never printed', async () => {
      const fresh = await freshDatabase(db);
      try {
        const c = await startCli(['serve', '--db', fresh.url, '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: 'from-env' });
        children.push(c);
        expect(c.stdout()).not.toContain('administrator token');
        const res = await fetch(`${c.url}/api/v1/accounts`, {
          method: 'POST',
          headers: { authorization: 'Bearer from-env', 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Env' }),
        });
        expect(res.status).toBe(201);
        c.proc.kill('SIGTERM');
        expect(await c.exited).toBe(0);
      } finally {
        await fresh.drop();
      }
    });
  });
}
