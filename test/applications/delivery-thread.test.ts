import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, startCli, type Child } from '../support/child.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * `stockhook serve` (role all) delivers on its own thread. That thread's dispatcher must have what
 * formats read per attempt: a Poster application's `application`/`added` carries the access token,
 * read from the token store when it is sent (without it the hook would be cancelled).
 */
for (const db of inject('databases') as DbName[]) {
  describe(`role all, delivery thread [${db}]`, () => {
    const children: Child[] = [];
    afterAll(() => {
      for (const c of children) c.proc.kill('SIGKILL');
    });

    it("a Poster application's own webhook receives application/added with the account's token", { timeout: 600_000 }, async () => {
      const fresh = await freshDatabase(db);
      const rx = await Receiver.start(() => ({ status: 200, body: '{"status":"accept"}' }));
      try {
        const admin = 'thread-test-admin-0123456789abcdef0123456789';
        const c = await startCli(['serve', '--db', fresh.url, '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: admin, STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1' });
        children.push(c);
        const app = await api(c.url, admin, 'POST', '/api/v1/applications', { name: 'Sync', webhook: { url: rx.url('/app'), objects: ['application'] } }, 201);
        const account = await api(c.url, admin, 'POST', '/api/v1/accounts', { name: 'Shop', plan: 'paid' }, 201);
        const install = await api(c.url, account.token, 'POST', `/api/v1/applications/${app.id}/install`, {}, 201);
        await eventually(() => rx.requests.some((r) => r.url === '/app'), 30_000);
        const hook = JSON.parse(rx.requests.find((r) => r.url === '/app')!.body);
        expect(hook).toMatchObject({ object: 'application', action: 'added', object_id: app.id });
        expect(JSON.parse(hook.data)).toEqual({ user_id: account.number, access_token: install.accessToken });
        c.proc.kill('SIGTERM');
        expect(await c.exited).toBe(0);
      } finally {
        await rx.close();
        await fresh.drop();
      }
    });
  });
}
