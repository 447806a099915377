import type { Db, Store, Tx } from '../../storage/database.js';

/** One key: an account ('' for the administrator), the credential that sent it, the client's string. */
export interface KeyRef {
  accountId: string;
  principal: string;
  key: string;
}

export interface KeyRow {
  request_hash: string;
  created_ms: number;
  status_code: number | null;
  response: string | null;
}


export async function findKey(db: Db, ref: KeyRef): Promise<KeyRow | undefined> {
  const row = await db
    .selectFrom('idempotency_requests')
    .select(['request_hash', 'created_ms', 'status_code', 'response'])
    .where('account_id', '=', ref.accountId)
    .where('principal', '=', ref.principal)
    .where('key', '=', ref.key)
    .executeTakeFirst();
  return row && { ...row, created_ms: Number(row.created_ms), status_code: row.status_code === null ? null : Number(row.status_code) };
}

/**
 * Claims the key inside a write's transaction; false when another request holds it. On
 * PostgreSQL a twin's INSERT waits for the holder's commit and then does nothing; on SQLite the
 * twin's savepoint sees the holder's row in the same group transaction.
 */
export async function insertClaim(tx: Tx, ref: KeyRef, hash: string, now: number, answer?: { status: number; response: string }): Promise<boolean> {
  const res = await tx
    .insertInto('idempotency_requests')
    .values({
      account_id: ref.accountId,
      principal: ref.principal,
      key: ref.key,
      request_hash: hash,
      created_ms: now,
      status_code: answer?.status ?? null,
      response: answer?.response ?? null,
    })
    .onConflict((oc) => oc.columns(['account_id', 'principal', 'key']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function saveAnswer(store: Store, ref: KeyRef, status: number, response: string): Promise<void> {
  await store.write((tx) =>
    tx
      .updateTable('idempotency_requests')
      .set({ status_code: status, response })
      .where('account_id', '=', ref.accountId)
      .where('principal', '=', ref.principal)
      .where('key', '=', ref.key)
      .execute(),
  );
}

/** Frees a key: its request failed after claiming it, or it expired (createdBefore). */
export async function releaseKey(store: Store, ref: KeyRef, createdBefore?: number): Promise<void> {
  await store.write((tx) => {
    let q = tx
      .deleteFrom('idempotency_requests')
      .where('account_id', '=', ref.accountId)
      .where('principal', '=', ref.principal)
      .where('key', '=', ref.key);
    if (createdBefore !== undefined) q = q.where('created_ms', '<', createdBefore);
    return q.execute();
  });
}

/**
 * Deletes keys created before the cutoff, at most `batch` per transaction, so a backlog of
 * expired keys never holds the write lock (SQLite's only one) for long. Returns how many went.
 */
export async function pruneKeys(store: Store, cutoff: number, batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await store.write((tx) =>
      tx
        .deleteFrom('idempotency_requests')
        .where((eb) =>
          eb(
            eb.refTuple('account_id', 'principal', 'key'),
            'in',
            eb
              .selectFrom('idempotency_requests')
              .select(['account_id', 'principal', 'key'])
              .where('created_ms', '<', cutoff)
              .limit(batch)
              .$asTuple('account_id', 'principal', 'key'),
          ),
        )
        .executeTakeFirst(),
    );
    const n = Number(res.numDeletedRows);
    total += n;
    if (n < batch) return total;
  }
}
