import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import type { Db } from '../../../src/storage/db.js';
import type { StorageDialect } from '../../../src/storage/dialect.js';
import { migrateWith } from '../../../src/storage/migrate.js';
import { postgresDialect } from '../../../src/storage/postgres/dialect.js';
import { sqliteDialect } from '../../../src/storage/sqlite/dialect.js';
import { freshDatabase, type DbName } from '../../support/env.js';
import { quietPool } from '../../support/quiet-pool.js';

/*
 * Migrations that rewrite rows a database already holds: the rows are written into the schema as
 * it stood before the migration (the database is migrated up to the one before it), the way an
 * older stockhook left them, then the remaining migrations run and every row is read back exactly.
 * A plain Kysely on the database, no store: nothing numbers events or writes beside the test.
 */

async function olderDatabase(name: DbName, through: string) {
  const fresh = await freshDatabase(name);
  const db: Kysely<any> =
    name === 'sqlite'
      ? new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(fresh.url) }) })
      : new Kysely<any>({ dialect: new PostgresDialect({ pool: quietPool({ connectionString: fresh.url, max: 2 }) }) });
  const dialect: StorageDialect = name === 'sqlite' ? sqliteDialect : postgresDialect;
  await migrateWith(db as Db, dialect, through);
  return {
    db,
    /** The migrations after `through`. */
    migrateRest: () => migrateWith(db as Db, dialect),
    close: async () => {
      await db.destroy();
      await fresh.drop();
    },
  };
}

const ACCOUNT = { id: 'acc', number: 1, slug: 'acc', name: 'Acc', plan: 'paid', event_seq: 0, created_ms: 0 };
/** A webhooks row as migration 003 made the table. */
const webhook = (id: string, tokenKind: string, options: string) => ({
  id, account_id: 'acc', url: 'http://x.test/', format: 'poster', events: null, secret: 's', basic_username: null, basic_password: null,
  bearer_token: null, enabled: 1, disabled_reason: null, retry_schedule: null, coalesce_seconds: null, max_in_flight: 1, options,
  token_kind: tokenKind, failing_since_ms: null, created_ms: 0, updated_ms: 0,
});
const event = (id: string, seq: number, type: string, data: string) => ({
  id, account_id: 'acc', seq, type, object: 'application', object_id: '7', action: 'installed', occurred_ms: 0, data,
});
const delivery = (id: string, eventId: string | null, body: string) => ({
  id, account_id: 'acc', webhook_id: 'w-user', event_id: eventId, event_type: 'application.installed', status: 'succeeded', attempts: 1,
  next_attempt_ms: 0, lease_owner: null, coalesce_key: null, url: 'http://x.test/', headers: '{}', body, last_status_code: 200,
  last_error: null, created_ms: 0, completed_ms: 0,
});
/** The table's rows as [id, ...columns], by id in code-point order; PostgreSQL's int8 text read as a number. */
const rows = async (db: Kysely<any>, table: string, columns: string[]) =>
  (await db.selectFrom(table).select(columns).execute())
    .map((r) => columns.map((c) => (c !== 'id' && typeof r[c] === 'string' && /^\d+$/.test(r[c]) ? Number(r[c]) : r[c])))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

for (const name of inject('databases') as DbName[]) {
  describe(`data migrations [${name}]`, () => {
    it('008: subscriptions get their author from the Kladana option, and application tokens leave events and their delivery bodies', async () => {
      const older = await olderDatabase(name, '007-delivery-lease-index');
      try {
        const { db } = older;
        await db.insertInto('accounts').values(ACCOUNT).execute();
        await db.insertInto('webhooks').values([
          webhook('w-app-7', 'application', '{"authorApplicationId":7,"objects":["product"]}'),
          webhook('w-app-3', 'application', '{"authorApplicationId":3}'),
          webhook('w-app-text', 'application', '{"authorApplicationId":"seven"}'),
          webhook('w-app-none', 'application', '{}'),
          webhook('w-user', 'user', '{"authorApplicationId":9}'),
        ]).execute();
        await db.insertInto('events').values([
          event('e-tok', 1, 'application.installed', '{"application":{"id":7,"name":"App"},"access_token":"tok-A1","account":"acc"}'),
          event('e-tok2', 2, 'application.installed', '{"access_token":"tok-B2"}'),
          event('e-none', 3, 'application.installed', '{"application":{"id":8}}'),
          event('e-num', 4, 'application.installed', '{"access_token":42}'),
          event('e-other', 5, 'application.uninstalled', '{"access_token":"tok-C3"}'),
        ]).execute();
        await db.insertInto('deliveries').values([
          delivery('d-1', 'e-tok', '{"token":"tok-A1","again":"tok-A1"}'),
          delivery('d-2', 'e-tok', '{"no":"token"}'),
          delivery('d-3', 'e-tok2', 'tok-B2 tok-A1'),
          delivery('d-4', 'e-other', 'tok-C3'),
          delivery('d-5', 'e-none', 'tok-A1'),
          delivery('d-6', null, 'tok-A1'),
        ]).execute();

        await older.migrateRest();

        expect(await rows(db, 'webhooks', ['id', 'author_application_id'])).toEqual([
          ['w-app-3', 3],
          ['w-app-7', 7],
          ['w-app-none', null],
          ['w-app-text', null],
          ['w-user', null],
        ]);
        expect(await rows(db, 'events', ['id', 'data'])).toEqual([
          ['e-none', '{"application":{"id":8}}'],
          ['e-num', '{"access_token":42}'],
          ['e-other', '{"access_token":"tok-C3"}'],
          ['e-tok', '{"application":{"id":7,"name":"App"},"account":"acc"}'],
          ['e-tok2', '{}'],
        ]);
        expect(await rows(db, 'deliveries', ['id', 'body'])).toEqual([
          ['d-1', '{"token":"erased","again":"erased"}'],
          ['d-2', '{"no":"token"}'],
          ['d-3', 'erased tok-A1'],
          ['d-4', 'tok-C3'],
          ['d-5', 'tok-A1'],
          ['d-6', 'tok-A1'],
        ]);
        expect(await db.selectFrom('application_secrets').selectAll().execute()).toEqual([]);
      } finally {
        await older.close();
      }
    });

    it('015: events numbered before it keep their numbers; on PostgreSQL they get their insertion order and new ones may wait unnumbered', async () => {
      const older = await olderDatabase(name, '014-retention');
      try {
        const { db } = older;
        await db.insertInto('accounts').values(ACCOUNT).execute();
        await db.insertInto('events').values([event('e-1', 1, 'warehouse.created', '{}'), event('e-2', 2, 'warehouse.created', '{}')]).execute();
        await older.migrateRest();
        const unnumbered = db.insertInto('events').values({ ...event('e-3', 0, 'warehouse.created', '{}'), seq: null }).execute();
        if (name === 'sqlite') {
          // One writer at a time numbers events in its own transaction: seq stays NOT NULL, and there is no pos.
          await expect(unnumbered).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
          expect(await rows(db, 'events', ['id', 'seq'])).toEqual([
            ['e-1', 1],
            ['e-2', 2],
          ]);
        } else {
          await unnumbered;
          expect(await rows(db, 'events', ['id', 'seq', 'pos'])).toEqual([
            ['e-1', 1, 1],
            ['e-2', 2, 2],
            ['e-3', null, 3],
          ]);
        }
      } finally {
        await older.close();
      }
    });

    it('017: existing accounts start at subscribers_version 0; it changes exactly when what a write reads as subscribers could', async () => {
      const older = await olderDatabase(name, '016-append-friendly-indexes');
      try {
        const { db } = older;
        await db.insertInto('accounts').values([ACCOUNT, { ...ACCOUNT, id: 'acc2', number: 2, slug: 'acc2' }]).execute();
        await db.insertInto('webhooks').values(webhook('w-1', 'user', '{}')).execute();
        await older.migrateRest();
        const versions = async () =>
          Object.fromEntries((await db.selectFrom('accounts').select(['id', 'subscribers_version']).execute()).map((r) => [r.id, String(r.subscribers_version)]));
        let last = await versions();
        expect(last).toEqual({ acc: '0', acc2: '0' });
        /** Which accounts' versions changed since the last call, each to a value neither had before. */
        const changed = async () => {
          const now = await versions();
          const out = Object.keys(now).filter((id) => now[id] !== last[id]).sort();
          for (const id of out) expect(Object.values(last)).not.toContain(now[id]);
          last = now;
          return out;
        };
        await db.insertInto('webhooks').values(webhook('w-2', 'user', '{}')).execute();
        expect(await changed()).toEqual(['acc']);
        // The delivery side's bookkeeping and the rotated secret are not read by the fan-out.
        await db.updateTable('webhooks').set({
          failing_since_ms: 1, pause_cooldown_ms: 1, probe_owner: 'worker', probe_until_ms: 1, updated_ms: 5, previous_secret: 'old', previous_secret_until_ms: 9,
        }).where('id', '=', 'w-2').execute();
        expect(await changed()).toEqual([]);
        await db.updateTable('webhooks').set({ url: 'http://y.test/' }).where('id', '=', 'w-2').execute();
        expect(await changed()).toEqual(['acc']);
        await db.updateTable('accounts').set({ name: 'Renamed', created_ms: 3, event_seq: 4 }).where('id', '=', 'acc').execute();
        expect(await changed()).toEqual([]);
        for (const set of [{ plan: 'free' }, { slug: 'acc-renamed' }, { number: 11 }]) {
          await db.updateTable('accounts').set(set).where('id', '=', 'acc').execute();
          expect(await changed()).toEqual(['acc']);
        }
        await db.updateTable('webhooks').set({ account_id: 'acc2' }).where('id', '=', 'w-2').execute();
        expect(await changed()).toEqual(['acc', 'acc2']);
        await db.deleteFrom('webhooks').where('id', '=', 'w-2').execute();
        expect(await changed()).toEqual(['acc2']);
        if (name === 'postgres') {
          await sql`truncate webhooks`.execute(db);
          expect(await changed()).toEqual(['acc', 'acc2']);
        }
      } finally {
        await older.close();
      }
    });
    it('019: every token that existed keeps its power: scope write, named default or application, each with its own tok_ id', async () => {
      const older = await olderDatabase(name, '018-previous-secret');
      try {
        const { db } = older;
        await db.insertInto('accounts').values(ACCOUNT).execute();
        await db.insertInto('tokens').values([
          { token_hash: 'h-user', account_id: 'acc', kind: 'user', application_id: null, created_ms: 1 },
          { token_hash: 'h-app', account_id: 'acc', kind: 'application', application_id: 7, created_ms: 2 },
          { token_hash: 'h-user2', account_id: 'acc', kind: 'user', application_id: null, created_ms: 3 },
        ]).execute();
        await older.migrateRest();
        const tokens = await db.selectFrom('tokens').select(['token_hash', 'id', 'name', 'scope', 'last_used_ms']).orderBy('token_hash').execute();
        expect(tokens.map((t) => ({ ...t, id: typeof t.id === 'string' && /^tok_[A-Za-z0-9_-]{16}$/.test(t.id) ? 'tok_…' : t.id }))).toEqual([
          { token_hash: 'h-app', id: 'tok_…', name: 'application', scope: 'write', last_used_ms: null },
          { token_hash: 'h-user', id: 'tok_…', name: 'default', scope: 'write', last_used_ms: null },
          { token_hash: 'h-user2', id: 'tok_…', name: 'default', scope: 'write', last_used_ms: null },
        ]);
        expect(new Set(tokens.map((t) => t.id)).size).toBe(3);
      } finally {
        await older.close();
      }
    });

    it('022: every delivery row is kept as it was; an open coalesce key still refuses its twin, and rows without one never conflict', async () => {
      const older = await olderDatabase(name, '021-sources');
      try {
        const { db } = older;
        await db.insertInto('accounts').values(ACCOUNT).execute();
        const columns = Object.keys(delivery('x', null, ''));
        await db.insertInto('deliveries').values([
          delivery('d-1', 'e-1', 'one'),
          { ...delivery('d-2', 'e-2', 'two'), status: 'pending', attempts: 0, next_attempt_ms: 5, coalesce_key: 'w-user:stock:1', completed_ms: null, last_status_code: null },
          { ...delivery('d-3', null, 'three'), status: 'pending', lease_owner: 'worker-1', next_attempt_ms: 9, completed_ms: null },
        ]).execute();
        const before = await rows(db, 'deliveries', columns);

        await older.migrateRest();

        expect(await rows(db, 'deliveries', columns)).toEqual(before);
        const twin = { ...delivery('d-4', 'e-4', 'four'), status: 'pending', coalesce_key: 'w-user:stock:1' };
        const folded = await db.insertInto('deliveries').values(twin).onConflict((oc) => oc.column('coalesce_key').where('coalesce_key', 'is not', null).doNothing()).executeTakeFirst();
        expect(Number(folded.numInsertedOrUpdatedRows ?? 0)).toBe(0);
        await expect(db.insertInto('deliveries').values(twin).execute()).rejects.toThrow(/unique|duplicate/i);
        await db.insertInto('deliveries').values([delivery('d-5', 'e-5', 'five'), delivery('d-6', 'e-6', 'six')]).execute();
        expect((await rows(db, 'deliveries', ['id'])).map((r) => r[0])).toEqual(['d-1', 'd-2', 'd-3', 'd-5', 'd-6']);
      } finally {
        await older.close();
      }
    });

    it('023: a Kladana notification left pending before it comes due at once; every other request has nothing to fetch', async () => {
      const older = await olderDatabase(name, '021-sources');
      try {
        const { db } = older;
        const request = (id: string, outcome: string) => ({
          id, account_id: 'acc', source_id: 1, received_ms: 1000 + id.length, delivery_key: null, headers: '{}', body: '{}', body_truncated: 0,
          verified: 1, verify_reason: null, answer_status: 204, answer_body: '', outcome, detail: '{"reportUrl":"https://app.kladana.in/api/remap/1.2/x"}',
        });
        await db.insertInto('source_requests').values([request('r-1', 'pending'), request('r-22', 'booked'), request('r-333', 'failed')]).execute();
        await older.migrateRest();
        expect(await rows(db, 'source_requests', ['id', 'outcome', 'fetch_due_ms', 'fetch_lease', 'fetch_attempts'])).toEqual([
          ['r-1', 'pending', 1003, null, 0],
          ['r-22', 'booked', null, null, 0],
          ['r-333', 'failed', null, null, 0],
        ]);
      } finally {
        await older.close();
      }
    });
  });
}
