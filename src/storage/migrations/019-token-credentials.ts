import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * Tokens become credentials an account manages: a public id (so listing, rotating and revoking
 * never need the secret), a name, a scope (`read`: GET and HEAD only; `write`: everything the
 * token's kind allows) and the time it was last used (recorded at most once a minute per token:
 * accounts/token-use.ts). Every token that existed keeps the power it had: scope `write`, named
 * `default` (an account's first token) or `application` (an installed application's).
 *
 * The ids are made here in JavaScript rather than in SQL so both databases get the same form
 * (`tok_` and 16 random base64url characters); accounts are few, so one UPDATE per token is cheap.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('id', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('name', 'text', (c) => c.notNull().defaultTo('default')).execute();
  await db.schema.alterTable('tokens').addColumn('scope', 'text', (c) => c.notNull().defaultTo('write')).execute();
  await db.schema.alterTable('tokens').addColumn('last_used_ms', 'bigint').execute();
  await sql`update tokens set name = 'application' where kind = 'application'`.execute(db);
  const rows = await sql<{ token_hash: string }>`select token_hash from tokens`.execute(db);
  for (const { token_hash } of rows.rows) {
    await sql`update tokens set id = ${`tok_${randomBytes(12).toString('base64url')}`} where token_hash = ${token_hash}`.execute(db);
  }
  await db.schema.createIndex('tokens_id').on('tokens').column('id').unique().execute();
}
