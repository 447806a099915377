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
  });
}
