import { sql } from 'kysely';
import type { Db } from '../db.js';
import { prepared } from '../prepared.js';
import type { ResultBatch } from '../result-rows.js';
import { retried } from '../transaction-retry.js';

/**
 * A whole batch in ONE statement, atomic without BEGIN and COMMIT: the attempt rows, the
 * deliveries' new states and the webhooks' failing-since marks, each a data-modifying WITH over
 * arrays (unnest), so the SQL is the same for every batch size and is prepared once per connection.
 * One round trip per batch instead of five (begin, attempts, deliveries, webhooks, commit).
 * `failing` and `healthy` are disjoint: two parts of one statement must not update the same row.
 * A removal (result-rows.ts) deletes its subscription and cancels what else still waits for it,
 * never a delivery of this batch: every part reads the rows as they were before the statement, so
 * the lease it checks is the one the deliveries' update checks.
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
  stateIds: string[];
  stateAttempts: number[];
  stateCodes: Array<number | null>;
  stateErrors: Array<string | null>;
  statuses: string[];
  nextMs: number[];
  completedMs: Array<number | null>;
  owner: string;
  now: number;
  failing: string[];
  healthy: string[];
  removedWebhookIds: string[];
  removedDeliveryIds: string[];
}
const batchStatement = prepared<ResultArrays>()((db, v) => {
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
      from unnest(${v.stateIds}::text[], ${v.statuses}::text[], ${v.stateAttempts}::integer[], ${v.nextMs}::bigint[],
        ${v.stateCodes}::integer[], ${v.stateErrors}::text[], ${v.completedMs}::bigint[]) as r(id, status, attempt_no, next_ms, code, err, done)
      where deliveries.id = r.id and deliveries.lease_owner = ${v.owner}
    ), f as (
      update webhooks set failing_since_ms = ${v.now} where id = any(${v.failing}::text[]) and failing_since_ms is null
    ), h as (
      update webhooks set failing_since_ms = null where id = any(${v.healthy}::text[]) and failing_since_ms is not null
    ), x as (
      delete from webhooks w using unnest(${v.removedWebhookIds}::text[], ${v.removedDeliveryIds}::text[]) as r(webhook_id, delivery_id)
      where w.id = r.webhook_id and w.removing_ms is not null
        and exists (select 1 from deliveries l where l.id = r.delivery_id and l.lease_owner = ${v.owner})
      returning w.id
    ), c as (
      update deliveries set status = 'cancelled', lease_owner = null, completed_ms = ${v.now}
      where webhook_id in (select id from x) and status in ('pending', 'held') and id <> all(${v.stateIds}::text[])
    )
    select 1 as done`;
  return { compile: () => query.compile(db) };
});

/**
 * The batch as one statement. Retried like a transaction: a deadlock with another worker's update
 * of the same webhooks (isRetryable).
 */
export async function writeResultsAtOnce(db: Db, batch: ResultBatch, isRetryable: (err: unknown) => boolean): Promise<void> {
  const { attempts, states } = batch;
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
    stateIds: states.map((d) => d.id),
    stateAttempts: states.map((d) => d.attempts),
    stateCodes: states.map((d) => d.code),
    stateErrors: states.map((d) => d.err),
    statuses: states.map((d) => d.status),
    nextMs: states.map((d) => d.nextMs),
    completedMs: states.map((d) => d.done),
    owner: batch.owner,
    now: batch.now,
    failing: batch.failing,
    healthy: batch.healthy,
    removedWebhookIds: (batch.removals ?? []).map((r) => r.webhookId),
    removedDeliveryIds: (batch.removals ?? []).map((r) => r.deliveryId),
  };
  await retried(() => batchStatement(db, arrays), isRetryable);
}
