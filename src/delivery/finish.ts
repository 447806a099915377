import type { AttemptRow, DeliveryResultRow } from '../storage/result-rows.js';
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
  /**
   * This was the last hook of a subscription being removed (an uninstalled application's) and it
   * has ended: the subscription is deleted in the same write as this result.
   */
  endsSubscription?: boolean;
  /**
   * The tries made before this one under the same lease (a zero-delay retry, dispatcher.ts): only
   * their attempt rows are written, the delivery's state is this result's.
   */
  earlier?: readonly AttemptResult[];
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
 * Writes a batch of attempt results atomically (Store.writeResults): the attempt rows, every
 * delivery's new state, each subscription's failing-since mark, and the removal of a subscription
 * whose last hook it ends (an uninstalled application's, AttemptResult.endsSubscription). Batching is what lets SQLite
 * keep up. The update only touches rows this worker still leases: if its lease ran out and another
 * worker took a delivery over, that worker's result wins (the attempt is logged either way).
 */
export async function writeResults(store: Store, owner: string, results: AttemptResult[], now: number): Promise<void> {
  if (results.length === 0) return;
  const removals = results.filter((r) => r.endsSubscription === true).map((r) => ({ webhookId: r.delivery.subscriptionId, deliveryId: r.delivery.id }));
  // A subscription the batch deletes gets no mark: one PostgreSQL statement must not touch a row twice.
  const gone = new Set(removals.map((r) => r.webhookId));
  const { failing, healthy } = endpointMarks(results.filter((r) => !gone.has(r.delivery.subscriptionId)));
  await store.writeResults({
    owner,
    now,
    attempts: results.flatMap((r) => [...(r.earlier ?? []), r]).map(attemptRow),
    states: results.map((r) => deliveryState(r, now, owner)),
    failing,
    healthy,
    removals,
  });
}

/** A result's row in the attempt log. */
function attemptRow(r: AttemptResult): AttemptRow {
  return {
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
  };
}

/** The delivery's state after a result. */
function deliveryState(r: AttemptResult, now: number, owner: string): DeliveryResultRow {
  return {
    id: r.delivery.id,
    status: finalStatus(r.outcome),
    attempts: r.attemptNo,
    nextMs: r.nextAttemptMs ?? now,
    code: r.responseStatus,
    err: r.errorMessage,
    done: r.outcome === 'retry' ? null : now,
    owner,
  };
}

/**
 * Which endpoints a batch marks failing (since now, if not already) and healthy. An endpoint with
 * a success in the batch is healthy, whatever else it had: disjoint sets, as one PostgreSQL
 * statement must not update a row twice.
 */
function endpointMarks(results: AttemptResult[]): { failing: string[]; healthy: string[] } {
  const healthy = new Set(results.filter((r) => r.outcome === 'succeeded').map((r) => r.delivery.subscriptionId));
  const failing = new Set(results.filter((r) => !healthy.has(r.delivery.subscriptionId)).map((r) => r.delivery.subscriptionId));
  return { failing: [...failing], healthy: [...healthy] };
}
