import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { migrate, openStore } from '../../../src/storage/database.js';
import { freshDatabase, type DbName } from '../../support/env.js';
import { describePostgres, describeSqlite } from './describe-schema.js';
import { EXPECTED_POSTGRES } from './expected-postgres.js';
import { EXPECTED_SQLITE } from './expected-sqlite.js';

/*
 * The schema the migrations build, exactly: a fresh database of each kind is migrated by opening
 * it (as `stockhook serve` does) and read back from its catalog, then compared whole with the
 * description written out in expected-*.ts. A migration that loses a NOT NULL, a default, an index
 * column, a partial index's WHERE or a trigger's column fails here even if no query notices.
 * Each database is made and migrated inside its test, not in a hook.
 */

const MIGRATIONS = [
  '001-ledger', '003-webhooks', '004-applications', '005-replays', '006-delivery-log-index', '007-delivery-lease-index',
  '008-application-secrets', '009-application-webhooks', '010-document-author', '011-history-indexes', '012-endpoint-pauses',
  '013-idempotency-requests', '014-retention', '015-event-sequencer', '016-append-friendly-indexes', '017-subscribers-version',
  '018-previous-secret',
  '019-token-credentials',
  '020-removing-subscriptions',
  '021-sources',
  '022-fewer-insert-indexes',
  '023-source-report-fetches',
];

for (const db of inject('databases') as DbName[]) {
  describe(`the migrated schema [${db}]`, () => {
    it('is exactly the expected one, every migration recorded once, and migrating again changes nothing', async () => {
      const fresh = await freshDatabase(db);
      const store = await openStore(fresh.url);
      try {
        const read = () => (db === 'sqlite' ? describeSqlite(store.db) : describePostgres(store.db));
        const first = await read();
        expect(first).toEqual(db === 'sqlite' ? EXPECTED_SQLITE : EXPECTED_POSTGRES);
        const ran = async () => (await sql<{ name: string }>`select name from stockhook_migrations order by name`.execute(store.db)).rows.map((r) => r.name);
        expect(await ran()).toEqual(MIGRATIONS);
        await migrate(store);
        expect(await read()).toEqual(first);
        expect(await ran()).toEqual(MIGRATIONS);
      } finally {
        await store.close();
        await fresh.drop();
      }
    });

    it('a store opened without migrating is migrated by migrate() to the same schema, with its own database’s migrations', async () => {
      const fresh = await freshDatabase(db);
      const store = await openStore(fresh.url, { migrate: false });
      try {
        expect((await (db === 'sqlite' ? describeSqlite(store.db) : describePostgres(store.db))).tableNames).toEqual([]);
        await migrate(store);
        expect(await (db === 'sqlite' ? describeSqlite(store.db) : describePostgres(store.db))).toEqual(db === 'sqlite' ? EXPECTED_SQLITE : EXPECTED_POSTGRES);
      } finally {
        await store.close();
        await fresh.drop();
      }
    });

    it('an earlier migration a database has not run (a branch that landed later) runs on the next start; one that fails fails it', async () => {
      const fresh = await freshDatabase(db);
      const store = await openStore(fresh.url);
      try {
        const indexes = async () => (db === 'sqlite' ? describeSqlite(store.db) : describePostgres(store.db)).then((d) => d.indexes.filter((i) => i.includes('deliveries_account_time')));
        const made = await indexes();
        expect(made).toHaveLength(1);
        await sql`delete from stockhook_migrations where name = '006-delivery-log-index'`.execute(store.db);
        await sql`drop index deliveries_account_time`.execute(store.db);
        await migrate(store);
        expect(await indexes()).toEqual(made);
        // Recorded as not run while its index is there: running it again fails, and the start with it.
        await sql`delete from stockhook_migrations where name = '006-delivery-log-index'`.execute(store.db);
        await expect(migrate(store)).rejects.toThrow(/deliveries_account_time/);
      } finally {
        await store.close();
        await fresh.drop();
      }
    });
  });
}
