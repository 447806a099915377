import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import type { App } from '../../src/app.js';
import { compose } from '../../src/compose.js';
import { migrate, openStore, type Store } from '../../src/storage/database.js';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { ADMIN_TOKEN, createEnv, freshDatabase, TEST_PUBLIC_URL, type DbName } from '../support/env.js';
import { eventually } from '../support/wait.js';

/*
 * Authentication reads the tokens table on every request and caches nothing, so a token rotated
 * or revoked through one process is refused by every other process on the same database at once:
 * the next request after the revoking request answered is refused, with nothing waited for.
 */

/** A second, separately composed server on the same database, as another process would be. */
async function secondServer(url: string): Promise<{ store: Store; app: App; base: string }> {
  const store = await openStore(url);
  const stack = await compose(store, {
    settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL },
    dispatcher: false,
    http: { adminTokenHash: hashToken(ADMIN_TOKEN) },
  });
  const app = stack.app as App;
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { store, app, base };
}

for (const db of inject('databases') as DbName[]) {
  describe(`token revocation across servers [${db}]`, () => {
    it('a token revoked or rotated through one server is refused by another at once', async () => {
      const env = await createEnv(db);
      const other = await secondServer(env.url);
      try {
        const one = await env.app.listen({ port: 0, host: '127.0.0.1' });
        const two = other.base;
        const a = await api(one, ADMIN_TOKEN, 'POST', '/api/v1/accounts', { name: 'Two servers' }, 201);
        const erp = await api(one, a.token, 'POST', '/api/v1/tokens', { name: 'ERP', scope: 'write' }, 201);
        await api(two, erp.token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201);
        // The use recorded by the second server is what the first one lists.
        const listed = await api(one, a.token, 'GET', '/api/v1/tokens');
        expect(listed.data.find((t: any) => t.id === erp.id).lastUsedAt).toEqual(expect.any(String));

        await api(one, a.token, 'DELETE', `/api/v1/tokens/${erp.id}`, undefined, 204);
        const refused = await api(two, erp.token, 'GET', '/api/v1/warehouses', undefined, 401);
        expect(refused.error).toEqual({ code: 'UNAUTHORIZED', message: 'unknown token' });

        const reports = await api(one, ADMIN_TOKEN, 'POST', `/api/v1/accounts/${a.id}/tokens`, { name: 'reports', scope: 'read' }, 201);
        await api(one, reports.token, 'GET', '/api/v1/warehouses');
        const rotated = await api(two, ADMIN_TOKEN, 'POST', `/api/v1/accounts/${a.id}/tokens/${reports.id}/rotate`, undefined, 200);
        await api(one, reports.token, 'GET', '/api/v1/warehouses', undefined, 401);
        await api(one, rotated.token, 'GET', '/api/v1/warehouses', undefined, 200);
        expect((await api(one, rotated.token, 'POST', '/api/v1/warehouses', { name: 'No' }, 403)).error.code).toBe('INSUFFICIENT_SCOPE');
      } finally {
        await other.app.close();
        await other.store.close();
        await env.close();
      }
    });

    it('migration 019 gives every existing token an id, a name and the write scope', async () => {
      const fresh = await freshDatabase(db);
      const store = await openStore(fresh.url);
      try {
        // Back to the tokens table before 019, holding what an older version wrote.
        await sql`delete from stockhook_migrations where name = '019-token-credentials'`.execute(store.db);
        await sql`drop index tokens_id`.execute(store.db);
        for (const column of ['id', 'name', 'scope', 'last_used_ms']) await sql`alter table tokens drop column ${sql.ref(column)}`.execute(store.db);
        const acc = '00000000-0000-4000-8000-000000000001';
        await sql`insert into accounts (id, number, name, slug, plan, event_seq, created_ms) values (${acc}, 1, 'Old', 'old', 'paid', 0, 5)`.execute(store.db);
        await sql`insert into tokens (token_hash, account_id, kind, application_id, created_ms) values (${hashToken('shk_old_user')}, ${acc}, 'user', null, 5)`.execute(store.db);
        await sql`insert into tokens (token_hash, account_id, kind, application_id, created_ms) values (${hashToken('shk_old_app')}, ${acc}, 'application', 3, 6)`.execute(store.db);

        await migrate(store);

        const rows = await store.db.selectFrom('tokens').select(['token_hash', 'id', 'name', 'kind', 'scope', 'last_used_ms']).orderBy('created_ms').execute();
        expect(rows).toEqual([
          { token_hash: hashToken('shk_old_user'), id: expect.stringMatching(/^tok_[A-Za-z0-9_-]{16}$/), name: 'default', kind: 'user', scope: 'write', last_used_ms: null },
          { token_hash: hashToken('shk_old_app'), id: expect.stringMatching(/^tok_[A-Za-z0-9_-]{16}$/), name: 'application', kind: 'application', scope: 'write', last_used_ms: null },
        ]);
        expect(rows[0].id).not.toBe(rows[1].id);
        // The ids are unique by index: a copy is refused.
        await expect(
          sql`update tokens set id = ${rows[0].id} where token_hash = ${hashToken('shk_old_app')}`.execute(store.db),
        ).rejects.toSatisfy((err: unknown) => store.isUniqueViolation(err));
      } finally {
        await store.close();
        await fresh.drop();
      }
    });
  });
}

if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('revoking the last write tokens at once [postgres]', () => {
    it('two revocations racing for the last two write tokens wait on the account row, and one is refused', async () => {
      const env = await createEnv('postgres');
      const blocker = new pg.Client({ connectionString: env.url });
      await blocker.connect();
      // Watches from outside the blocker's transaction (a transaction sees one snapshot of the activity).
      const watcher = new pg.Client({ connectionString: env.url });
      await watcher.connect();
      try {
        const one = await api(await env.app.listen({ port: 0, host: '127.0.0.1' }), ADMIN_TOKEN, 'POST', '/api/v1/accounts', { name: 'Race' }, 201);
        const base = `http://127.0.0.1:${(env.app.server.address() as { port: number }).port}`;
        const [first] = (await api(base, one.token, 'GET', '/api/v1/tokens')).data;
        const second = await api(base, one.token, 'POST', '/api/v1/tokens', { name: 'second', scope: 'write' }, 201);
        // Hold the account row, so both revocations are inside their transactions before either checks.
        await blocker.query('begin');
        await blocker.query('update accounts set event_seq = event_seq where id = $1', [one.id]);
        const revoke = (token: string, id: string) =>
          fetch(`${base}/api/v1/tokens/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
            status: r.status,
            code: r.status === 204 ? null : ((await r.json()) as { error: { code: string } }).error.code,
          }));
        const racing = Promise.all([revoke(one.token, second.id), revoke(second.token, first.id)]);
        const waiting = async () =>
          Number((await watcher.query(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n);
        await eventually(async () => (await waiting()) === 2, 20_000, 25, 'both revocations waiting on the account row');
        await blocker.query('commit');
        const answers = await racing;
        expect(answers.map((x) => x.status).sort()).toEqual([204, 409]);
        expect(answers.find((x) => x.status === 409)?.code).toBe('LAST_WRITE_TOKEN');
        expect((await api(base, ADMIN_TOKEN, 'GET', `/api/v1/accounts/${one.id}/tokens`)).data.map((t: any) => t.scope)).toEqual(['write']);
      } finally {
        await blocker.end();
        await watcher.end();
        await env.close();
      }
    });
  });

  describe('token revocation across stockhook serve processes [postgres]', () => {
    const children: Child[] = [];
    afterAll(async () => killAll(children));

    it('two serve processes on one database: a token revoked through one is refused by the other at once', { timeout: 600_000 }, async () => {
      const fresh = await freshDatabase('postgres');
      try {
        const env = { STOCKHOOK_ADMIN_TOKEN: 'revocation-admin-token-of-32-characters' };
        const one = await startCli(['serve', '--db', fresh.url, '--port', '0'], env);
        children.push(one);
        const two = await startCli(['serve', '--db', fresh.url, '--port', '0'], env);
        children.push(two);
        const a = await api(one.url, env.STOCKHOOK_ADMIN_TOKEN, 'POST', '/api/v1/accounts', { name: 'Processes' }, 201);
        const [first] = (await api(two.url, a.token, 'GET', '/api/v1/tokens')).data;
        const spare = await api(two.url, a.token, 'POST', '/api/v1/tokens', { name: 'spare', scope: 'write' }, 201);
        await api(one.url, spare.token, 'GET', '/api/v1/warehouses');
        await api(one.url, spare.token, 'DELETE', `/api/v1/tokens/${first.id}`, undefined, 204);
        await api(two.url, a.token, 'GET', '/api/v1/warehouses', undefined, 401);
        await api(two.url, spare.token, 'GET', '/api/v1/warehouses', undefined, 200);
        for (const c of [one, two]) c.proc.kill('SIGTERM');
        for (const c of [one, two]) expect(await c.closed).toEqual({ code: 0, signal: null });
      } finally {
        await fresh.drop();
      }
    });
  });
}
