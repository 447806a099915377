import type { Kysely } from 'kysely';

/**
 * Idempotency keys for every creating POST (http/idempotency/). Keys are scoped per account AND
 * per credential (`principal`, the token's SHA-256), so another token of the same account can
 * never replay a response that carried a secret. The row is claimed inside the write's own
 * transaction and its response (sealed with the caller's token) filled in once the answer is known.
 * The supplier API's earlier table held unscoped, clear-text responses: it is dropped (its keys
 * lived 24 h at most).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').ifExists().execute();
  await db.schema
    .createTable('idempotency_requests')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('response', 'text')
    .addPrimaryKeyConstraint('idempotency_requests_pk', ['account_id', 'principal', 'key'])
    .execute();
  // The pruner deletes by age.
  await db.schema.createIndex('idempotency_requests_created').on('idempotency_requests').column('created_ms').execute();
}
