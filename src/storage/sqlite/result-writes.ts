import { sql } from 'kysely';
import { preparedInsert, preparedRows } from '../prepared.js';
import type { DeliveryResultRow, ResultBatch, SubscriptionRemoval } from '../result-rows.js';
import type { Tx } from '../db.js';

/**
 * Results are written CHUNK at a time by statements compiled once per row count (prepared.ts):
 * building a 200-row INSERT and its UPDATE anew for every batch would spend JavaScript on SQL text
 * that never changes.
 */
const CHUNK = 100;

const insertAttempts = preparedInsert(
  'attempts',
  [
    'account_id',
    'delivery_id',
    'webhook_id',
    'attempt_no',
    'started_ms',
    'duration_ms',
    'request_headers',
    'response_status',
    'response_headers',
    'response_body',
    'error_kind',
    'error_message',
    'outcome',
  ],
  CHUNK,
);

/** Every delivery's new state in one UPDATE .. FROM a VALUES list. */
const updateDeliveries = preparedRows<DeliveryResultRow>(CHUNK)((db, rows) => {
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(cast(${r.id} as text), cast(${r.status} as text), cast(${r.attempts} as integer), cast(${r.nextMs} as bigint), cast(${r.code} as integer), cast(${r.err} as text), cast(${r.done} as bigint))`,
    ),
  );
  const query = sql`
    with v(id, status, attempts, next_ms, code, err, done) as (values ${values})
    update deliveries set status = v.status, attempts = v.attempts, next_attempt_ms = v.next_ms,
      last_status_code = v.code, last_error = v.err, completed_ms = v.done, lease_owner = null
    from v where deliveries.id = v.id and deliveries.lease_owner = ${rows[0].owner}`;
  return { compile: () => query.compile(db) };
});

/**
 * One transaction per batch: batching is what lets SQLite keep up, as a commit costs far more than
 * a row.
 */
export async function writeResultsInTransaction(transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>, batch: ResultBatch): Promise<void> {
  const { attempts, states, failing, healthy, now, removals = [] } = batch;
  await transaction(async (tx) => {
    // Before the deliveries' states: the lease that guards them guards the removal too.
    for (const r of removals) await removeSubscription(tx, r, batch.owner, now);
    for (let i = 0; i < attempts.length; i += CHUNK) await insertAttempts(tx, attempts.slice(i, i + CHUNK));
    for (let i = 0; i < states.length; i += CHUNK) await updateDeliveries(tx, states.slice(i, i + CHUNK));
    // An endpoint starts failing once (its first failure since it was healthy) and heals once.
    if (failing.length > 0) await setFailingSince(tx, failing, now);
    if (healthy.length > 0) await setFailingSince(tx, healthy, null);
  });
}

/**
 * A subscription being removed whose last delivery this batch ends (result-rows.ts): deleted, with
 * anything else still waiting for it cancelled, while this owner still leases that delivery.
 */
async function removeSubscription(tx: Tx, r: SubscriptionRemoval, owner: string, now: number): Promise<void> {
  const removed = await tx
    .deleteFrom('webhooks')
    .where('id', '=', r.webhookId)
    .where('removing_ms', 'is not', null)
    .where((eb) => eb.exists(eb.selectFrom('deliveries').select('id').where('id', '=', r.deliveryId).where('lease_owner', '=', owner)))
    .executeTakeFirst();
  if (Number(removed.numDeletedRows) === 0) return;
  await tx
    .updateTable('deliveries')
    .set({ status: 'cancelled', lease_owner: null, completed_ms: now })
    .where('webhook_id', '=', r.webhookId)
    .where('status', 'in', ['pending', 'held'])
    .where('id', '!=', r.deliveryId)
    .execute();
}

const setFailingSince = (tx: Tx, ids: string[], since: number | null) =>
  tx
    .updateTable('webhooks')
    .set({ failing_since_ms: since })
    .where('id', 'in', ids)
    .where('failing_since_ms', since === null ? 'is not' : 'is', null)
    .execute();
