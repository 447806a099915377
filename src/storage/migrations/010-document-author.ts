import type { Kysely } from 'kysely';

/**
 * Who posted a document: `user` (the account's user token) or `application:<id>` (an installed
 * application's token); null for documents written by stockhook itself (supplier API, outbound
 * orders: see `source`) and for documents posted before this column existed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('documents').addColumn('author', 'text').execute();
}
