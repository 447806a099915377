import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { migrate, openStore } from '../../src/storage/database.js';
import { freshDatabase, type DbName } from '../support/env.js';

/*
 * A database from before migration 008 holds application tokens in clear inside
 * application.installed events and their delivery bodies, and Kladana webhooks recorded their
 * author only in their options. Migration 008 erases the tokens and records the authors.
 */
for (const db of inject('databases') as DbName[]) {
  describe(`migration 008-application-secrets [${db}]`, () => {
    it('erases tokens already written into events and delivery bodies, and takes the author from Kladana options', async () => {
      const fresh = await freshDatabase(db);
      const store = await openStore(fresh.url);
      try {
        // Back to the state before 008, with the data an older version wrote.
        await sql`delete from stockhook_migrations where name = '008-application-secrets'`.execute(store.db);
        await sql`drop table application_secrets`.execute(store.db);
        // Migration 017's trigger watches that column (PostgreSQL refuses to drop a column a trigger names).
        await sql.raw(db === 'postgres' ? 'drop trigger webhooks_subscribers_version on webhooks' : 'drop trigger webhooks_update_version').execute(store.db);
        await sql`alter table webhooks drop column author_application_id`.execute(store.db);
        const token = 'shk_legacyLEGACYlegacy0123456789abcdefgh';
        const acc = '00000000-0000-4000-8000-000000000001';
        await sql`insert into accounts (id, number, name, slug, plan, event_seq, created_ms) values (${acc}, 1, 'Old', 'old', 'paid', 2, 0)`.execute(store.db);
        const data = JSON.stringify({ applicationId: 3, user_id: 1, access_token: token });
        await sql`insert into events (id, account_id, seq, type, object, object_id, action, occurred_ms, data)
          values ('00000000-0000-4000-8000-00000000000e', ${acc}, 1, 'application.installed', 'application', '3', 'added', 0, ${data})`.execute(store.db);
        for (const [id, options, kind] of [
          ['00000000-0000-4000-8000-0000000000a1', JSON.stringify({ stockType: 'stock', reportType: 'all', authorApplicationId: 3 }), 'application'],
          ['00000000-0000-4000-8000-0000000000a2', JSON.stringify({}), 'user'],
        ]) {
          await sql`insert into webhooks (id, account_id, url, format, events, secret, basic_username, basic_password, bearer_token, enabled,
              disabled_reason, retry_schedule, coalesce_seconds, max_in_flight, options, token_kind, failing_since_ms, created_ms, updated_ms)
            values (${id}, ${acc}, 'https://example.com/h', 'kladana', null, 's', null, null, null, 1, null, null, null, 16, ${options}, ${kind}, null, 0, 0)`.execute(store.db);
        }
        const body = JSON.stringify({ id: 'e', type: 'application.installed', data: JSON.parse(data) });
        await sql`insert into deliveries (id, account_id, webhook_id, event_id, event_type, status, attempts, next_attempt_ms, lease_owner,
            coalesce_key, url, headers, body, last_status_code, last_error, created_ms, completed_ms)
          values ('00000000-0000-4000-8000-0000000000d1', ${acc}, '00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-00000000000e',
            'application.installed', 'succeeded', 1, 0, null, null, 'https://example.com/h', '{}', ${body}, 200, null, 0, 0)`.execute(store.db);

        await migrate(store);

        const ev = await store.db.selectFrom('events').select('data').execute();
        expect(ev.map((e) => JSON.parse(e.data))).toEqual([{ applicationId: 3, user_id: 1 }]);
        const d = await store.db.selectFrom('deliveries').select('body').execute();
        expect(d[0].body).not.toContain(token);
        expect(JSON.parse(d[0].body).data).toEqual({ applicationId: 3, user_id: 1, access_token: 'erased' });
        const w = await store.db.selectFrom('webhooks').select(['id', 'author_application_id']).orderBy('id').execute();
        expect(w.map((r) => r.author_application_id)).toEqual([3, null]);
        expect(await store.db.selectFrom('application_secrets').selectAll().execute()).toEqual([]);
      } finally {
        await store.close();
        await fresh.drop();
      }
    });
  });
}
