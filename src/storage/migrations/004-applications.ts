import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';

/** Integrator applications (registered once by the administrator) and their installations into accounts. */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await dialect
    .addIdColumn(db.schema.createTable('applications'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();

  // The primary key makes a second, concurrent install of the same application fail at the
  // database, not only in the check before it.
  await db.schema
    .createTable('installations')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'integer', (c) => c.notNull())
    .addColumn('installed_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('installations_pk', ['account_id', 'application_id'])
    .execute();
}
