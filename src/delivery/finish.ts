import { sql } from 'kysely';
import { preparedInsert, preparedRows } from '../storage/prepared.js';
import type { Store } from '../storage/database.js';
import type { ClaimedDelivery } from './claim.js';
import type { AttemptOutcome } from './decide.js';
import type { ErrorKind } from './sender.js';


/** What one HTTP try produced, and what happens to the delivery next. */
export interface AttemptResult {
  delivery: ClaimedDelivery;
  attemptNo: number;
  startedMs: number;
  durationMs: number;
  requestHeaders: Record<string, string>;
  responseStatus: number | null;
  responseHeaders: Record<string, unknown> | null;
  responseBody: string | null;
  errorKind: ErrorKind | null;
  errorMessage: string | null;
  /** succeeded / failed / dropped are final; retry sets nextAttemptMs; gone disables the subscription. */
  outcome: AttemptOutcome;
  nextAttemptMs: number | null;
}

/** The attempt log keeps the first 8 KiB of a response body. */
export const LOGGED_BODY_BYTES = 8 * 1024;

/** A response body as the attempt log keeps it: its first LOGGED_BODY_BYTES bytes. */
export function loggedBody(s: string): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= LOGGED_BODY_BYTES ? s : b.subarray(0, LOGGED_BODY_BYTES).toString('utf8');
}

/**
 * Results are written CHUNK at a time by statements compiled once per row count
 * (storage/prepared.ts): building a 200-row INSERT and its UPDATE anew for every batch cost ~5 % of
 * the drain's CPU.
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

interface DeliveryResultRow {
  id: string;
  status: string;
  attempts: number;
  nextMs: number;
  code: number | null;
  err: string | null;
  done: number | null;
  owner: string;
}

/** Every delivery's new state in one UPDATE .. FROM a VALUES list (the same SQL on both databases). */
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

const finalStatus = (o: AttemptResult['outcome']) => (o === 'retry' ? 'pending' : o === 'gone' ? 'failed' : o);

/**
 * Writes a batch of attempt results in ONE transaction: the attempt rows (one multi-row INSERT),
 * every delivery's new state (one UPDATE .. FROM a VALUES list, the same SQL on both databases),
 * and each subscription's failing-since mark. Batching is what lets SQLite keep up: it commits
 * ~20,000 one-row transactions/s but ~60,000 rows/s in 100-row ones.
 * The UPDATE only touches rows this worker still leases: if its lease ran out and another worker
 * took a delivery over, that worker's result wins (the attempt is logged either way).
 */
export async function writeResults(store: Store, owner: string, results: AttemptResult[], now: number): Promise<void> {
  if (results.length === 0) return;
  await store.transaction(async (tx) => {
    for (let i = 0; i < results.length; i += CHUNK) {
      const chunk = results.slice(i, i + CHUNK);
      await insertAttempts(
        tx,
        chunk.map((r) => ({
          account_id: r.delivery.accountId,
          delivery_id: r.delivery.id,
          webhook_id: r.delivery.subscriptionId,
          attempt_no: r.attemptNo,
          started_ms: r.startedMs,
          duration_ms: r.durationMs,
          request_headers: JSON.stringify(r.requestHeaders),
          response_status: r.responseStatus,
          response_headers: r.responseHeaders ? JSON.stringify(r.responseHeaders) : null,
          response_body: r.responseBody,
          error_kind: r.errorKind,
          error_message: r.errorMessage,
          outcome: r.outcome,
        })),
      );
      await updateDeliveries(
        tx,
        chunk.map((r) => ({
          id: r.delivery.id,
          status: finalStatus(r.outcome),
          attempts: r.attemptNo,
          nextMs: r.nextAttemptMs ?? now,
          code: r.responseStatus,
          err: r.errorMessage,
          done: r.outcome === 'retry' ? null : now,
          owner,
        })),
      );
    }
    const failing = [...new Set(results.filter((r) => r.outcome !== 'succeeded').map((r) => r.delivery.subscriptionId))];
    const healthy = [...new Set(results.filter((r) => r.outcome === 'succeeded').map((r) => r.delivery.subscriptionId))];
    if (failing.length > 0) {
      await tx
        .updateTable('webhooks')
        .set({ failing_since_ms: now })
        .where('id', 'in', failing)
        .where('failing_since_ms', 'is', null)
        .execute();
    }
    if (healthy.length > 0) {
      await tx
        .updateTable('webhooks')
        .set({ failing_since_ms: null })
        .where('id', 'in', healthy)
        .where('failing_since_ms', 'is not', null)
        .execute();
    }
  });
}
