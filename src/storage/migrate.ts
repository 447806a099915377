import { Migrator, type Kysely, type Migration } from 'kysely';
import { logEvent, type EventLog } from '../log-events.js';
import type { Db, Store } from './store.js';
import type { StorageDialect } from './dialect.js';
import { postgresDialect } from './postgres/dialect.js';
import { sqliteDialect } from './sqlite/dialect.js';
import * as m001 from './migrations/001-ledger.js';
import * as m003 from './migrations/003-webhooks.js';
import * as m004 from './migrations/004-applications.js';
import * as m005 from './migrations/005-replays.js';
import * as m006 from './migrations/006-delivery-log-index.js';
import * as m007 from './migrations/007-delivery-lease-index.js';
import * as m008 from './migrations/008-application-secrets.js';
import * as m009 from './migrations/009-application-webhooks.js';
import * as m010 from './migrations/010-document-author.js';
import * as m011 from './migrations/011-history-indexes.js';
import * as m012 from './migrations/012-endpoint-pauses.js';
import * as m013 from './migrations/013-idempotency-requests.js';
import * as m014 from './migrations/014-retention.js';
import * as m015 from './migrations/015-event-sequencer.js';
import * as m016 from './migrations/016-append-friendly-indexes.js';
import * as m017 from './migrations/017-subscribers-version.js';
import * as m018 from './migrations/018-previous-secret.js';
import * as m019 from './migrations/019-token-credentials.js';
import * as m020 from './migrations/020-removing-subscriptions.js';
import * as m021 from './migrations/021-sources.js';
import * as m022 from './migrations/022-fewer-insert-indexes.js';
import * as m023 from './migrations/023-source-report-fetches.js';

/** Every migration, in order. Each receives the dialect adapter for the few DDL differences. */
const MIGRATIONS: Record<string, { up(db: Kysely<unknown>, d: StorageDialect): Promise<void> }> = {
  '001-ledger': m001,
  '003-webhooks': m003,
  '004-applications': m004,
  '005-replays': m005,
  '006-delivery-log-index': m006,
  '007-delivery-lease-index': m007,
  '008-application-secrets': m008,
  '009-application-webhooks': m009,
  '010-document-author': m010,
  '011-history-indexes': m011,
  '012-endpoint-pauses': m012,
  '013-idempotency-requests': m013,
  '014-retention': m014,
  '015-event-sequencer': m015,
  '016-append-friendly-indexes': m016,
  '017-subscribers-version': m017,
  '018-previous-secret': m018,
  '019-token-credentials': m019,
  '020-removing-subscriptions': m020,
  '021-sources': m021,
  '022-fewer-insert-indexes': m022,
  '023-source-report-fetches': m023,
};

/**
 * Runs every migration not yet run, with its database's dialect for the few DDL differences.
 * `through` stops after the named migration: a data migration's test writes rows into the schema
 * as it was before that migration, the way an older version left them, then runs the rest.
 * With `events`, a run that has work logs `migration.start` and `migration.end` with counts (an
 * upgrade that alters a big table takes a while, and the operator should see why the start waits).
 */
export async function migrateWith(db: Db, dialect: StorageDialect, through?: string, events?: EventLog): Promise<void> {
  const migrations: Record<string, Migration> = {};
  for (const [name, mod] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (d) => mod.up(d, dialect) };
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'stockhook_migrations',
    migrationLockTableName: 'stockhook_migrations_lock',
    // Migrations touch disjoint tables; a database that ran a later-numbered one first (branches
    // landing out of order) must still accept the earlier one instead of refusing to start.
    allowUnorderedMigrations: true,
  });
  const known = events ? await migrator.getMigrations() : [];
  const applied = known.filter((m) => m.executedAt !== undefined).length;
  const pending = known.length - applied;
  const started = performance.now();
  if (pending > 0) logEvent(events, 'migration.start', { pending, applied }, `migrating the database: ${pending} of ${known.length} migrations to run`);
  const { error, results = [] } = await (through === undefined ? migrator.migrateToLatest() : migrator.migrateTo(through));
  if (error) throw error instanceof Error ? error : new Error(String(error));
  const ran = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const ms = Math.round(performance.now() - started);
  // Another process may have run them between the count and the lock: the results say what this one ran.
  if (pending > 0 || ran.length > 0) {
    logEvent(events, 'migration.end', { ran: ran.length, migrations: ran, total: known.length, ms }, `migrated the database: ${ran.length} migrations in ${ms} ms`);
  } else {
    logEvent(events, 'migration.current', { total: known.length }, `the database schema is current (${known.length} migrations)`);
  }
}

/** Migrates an open store (its builder already did unless opened with `migrate: false`). */
export const migrate = (store: Store, events?: EventLog): Promise<void> =>
  store.autocommit((db) => migrateWith(db, store.name === 'postgres' ? postgresDialect : sqliteDialect, undefined, events));
