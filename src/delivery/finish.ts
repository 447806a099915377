import { sql } from 'kysely';
import { prepared, preparedInsert, preparedRows } from '../storage/prepared.js';
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

/**
 * PostgreSQL: a whole batch in ONE statement, atomic without BEGIN and COMMIT: the attempt rows, the
 * deliveries' new states and the webhooks' failing-since marks, each a data-modifying WITH over
 * arrays (unnest), so the SQL is the same for every batch size and is prepared once per connection.
 * One round trip per batch instead of five (begin, attempts, deliveries, webhooks, commit).
 * `failing` and `healthy` are disjoint: two parts of one statement must not update the same row.
 */
interface ResultArrays {
  accountIds: string[];
  deliveryIds: string[];
  webhookIds: string[];
  attemptNos: number[];
  startedMs: number[];
  durationsMs: number[];
  requestHeaders: string[];
  responseStatuses: Array<number | null>;
  responseHeaders: Array<string | null>;
  responseBodies: Array<string | null>;
  errorKinds: Array<string | null>;
  errorMessages: Array<string | null>;
  outcomes: string[];
  statuses: string[];
  nextMs: number[];
  completedMs: Array<number | null>;
  owner: string;
  now: number;
  failing: string[];
  healthy: string[];
}
const writeResultsAtOnce = prepared<ResultArrays>()((db, v) => {
  const query = sql`
    with a as (
      insert into attempts (account_id, delivery_id, webhook_id, attempt_no, started_ms, duration_ms, request_headers,
        response_status, response_headers, response_body, error_kind, error_message, outcome)
      select * from unnest(${v.accountIds}::text[], ${v.deliveryIds}::text[], ${v.webhookIds}::text[], ${v.attemptNos}::integer[],
        ${v.startedMs}::bigint[], ${v.durationsMs}::double precision[], ${v.requestHeaders}::text[], ${v.responseStatuses}::integer[],
        ${v.responseHeaders}::text[], ${v.responseBodies}::text[], ${v.errorKinds}::text[], ${v.errorMessages}::text[], ${v.outcomes}::text[])
    ), d as (
      update deliveries set status = r.status, attempts = r.attempt_no, next_attempt_ms = r.next_ms, last_status_code = r.code,
        last_error = r.err, completed_ms = r.done, lease_owner = null
      from unnest(${v.deliveryIds}::text[], ${v.statuses}::text[], ${v.attemptNos}::integer[], ${v.nextMs}::bigint[],
        ${v.responseStatuses}::integer[], ${v.errorMessages}::text[], ${v.completedMs}::bigint[]) as r(id, status, attempt_no, next_ms, code, err, done)
      where deliveries.id = r.id and deliveries.lease_owner = ${v.owner}
    ), f as (
      update webhooks set failing_since_ms = ${v.now} where id = any(${v.failing}::text[]) and failing_since_ms is null
    ), h as (
      update webhooks set failing_since_ms = null where id = any(${v.healthy}::text[]) and failing_since_ms is not null
    )
    select 1 as done`;
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
  const { failing, healthy } = endpointMarks(results);
  if (store.dialect.name === 'postgres') {
    const attempts = results.map(attemptRow);
    const states = results.map((r) => deliveryState(r, now, owner));
    const arrays: ResultArrays = {
      accountIds: attempts.map((a) => a.account_id),
      deliveryIds: attempts.map((a) => a.delivery_id),
      webhookIds: attempts.map((a) => a.webhook_id),
      attemptNos: attempts.map((a) => a.attempt_no),
      startedMs: attempts.map((a) => a.started_ms),
      durationsMs: attempts.map((a) => a.duration_ms),
      requestHeaders: attempts.map((a) => a.request_headers),
      responseStatuses: attempts.map((a) => a.response_status),
      responseHeaders: attempts.map((a) => a.response_headers),
      responseBodies: attempts.map((a) => a.response_body),
      errorKinds: attempts.map((a) => a.error_kind),
      errorMessages: attempts.map((a) => a.error_message),
      outcomes: attempts.map((a) => a.outcome),
      statuses: states.map((d) => d.status),
      nextMs: states.map((d) => d.nextMs),
      completedMs: states.map((d) => d.done),
      owner,
      now,
      failing,
      healthy,
    };
    // Retried like a transaction (a deadlock with another worker's update of the same webhooks).
    for (let attempt = 1; ; attempt++) {
      try {
        await writeResultsAtOnce(store.db, arrays);
        return;
      } catch (err) {
        if (attempt >= 5 || !store.dialect.isRetryable(err)) throw err;
      }
    }
  }
  await store.transaction(async (tx) => {
    for (let i = 0; i < results.length; i += CHUNK) {
      const chunk = results.slice(i, i + CHUNK);
      await insertAttempts(tx, chunk.map(attemptRow));
      await updateDeliveries(
        tx,
        chunk.map((r) => deliveryState(r, now, owner)),
      );
    }
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

/** A result's row in the attempt log. */
function attemptRow(r: AttemptResult) {
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
