import { sql } from 'kysely';
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
    for (let i = 0; i < results.length; i += 200) {
      const chunk = results.slice(i, i + 200);
      await tx
        .insertInto('attempts')
        .values(
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
        )
        .execute();
      const values = sql.join(
        chunk.map(
          (r) =>
            sql`(cast(${r.delivery.id} as text), cast(${finalStatus(r.outcome)} as text), cast(${r.attemptNo} as integer), cast(${r.nextAttemptMs ?? now} as bigint), cast(${r.responseStatus} as integer), cast(${r.errorMessage} as text), cast(${r.outcome === 'retry' ? null : now} as bigint))`,
        ),
      );
      await sql`
        with v(id, status, attempts, next_ms, code, err, done) as (values ${values})
        update deliveries set status = v.status, attempts = v.attempts, next_attempt_ms = v.next_ms,
          last_status_code = v.code, last_error = v.err, completed_ms = v.done, lease_owner = null
        from v where deliveries.id = v.id and deliveries.lease_owner = ${owner}`.execute(tx);
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
