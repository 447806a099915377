import { randomBytes, randomInt } from 'node:crypto';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { ClaimedDelivery } from '../../src/delivery/claim.js';
import type { AttemptResult } from '../../src/delivery/finish.js';
import type { Store, Tx } from '../../src/storage/database.js';
import type { AttemptTable, DeliveryStatus, DeliveryTable, WebhookTable } from '../../src/storage/schema.js';
import { timeOrderedId } from '../../src/storage/time-ordered-id.js';
import { eventually } from './wait.js';

/*
 * Rows written straight into a store, the way the storage functions under test find them, so the
 * store conformance suite (test/storage/conformance/) calls those functions and nothing else: no
 * HTTP, no dispatcher, no clock. Each test makes its own account and endpoint; suites whose function
 * reads every account's rows (claims, retention) empty the table before each test.
 */

/** A fresh account row (no token: nothing here goes through HTTP). */
export async function insertAccount(store: Store, createdMs = 0): Promise<string> {
  const id = `acc_${randomBytes(6).toString('hex')}`;
  await store.db
    .insertInto('accounts')
    .values({ id, number: randomInt(1_000_000, 2 ** 31 - 1), slug: id, name: id, plan: 'paid', event_seq: 0, created_ms: createdMs })
    .execute();
  return id;
}

/** An enabled endpoint of the account, with no failing-since mark. */
export async function insertWebhook(store: Store, accountId: string, extra: Partial<Insertable<WebhookTable>> = {}): Promise<string> {
  const id = `wh_${randomBytes(6).toString('hex')}`;
  await store.db
    .insertInto('webhooks')
    .values({
      id,
      account_id: accountId,
      url: 'http://127.0.0.1:9/x',
      format: 'native',
      events: null,
      secret: 'whsec_test',
      basic_username: null,
      basic_password: null,
      bearer_token: null,
      enabled: 1,
      disabled_reason: null,
      retry_schedule: null,
      coalesce_seconds: null,
      max_in_flight: 8,
      options: '{}',
      token_kind: 'user',
      author_application_id: null,
      failing_since_ms: null,
      paused_until_ms: null,
      pause_cooldown_ms: null,
      probe_owner: null,
      probe_until_ms: null,
      previous_secret: null,
      previous_secret_until_ms: null,
      created_ms: 0,
      updated_ms: 0,
      ...extra,
    })
    .execute();
  return id;
}

/** What a test says about a delivery row; everything else takes a plain default. */
export interface DeliverySpec {
  accountId: string;
  webhookId: string;
  status?: DeliveryStatus;
  due: number;
  owner?: string | null;
  attempts?: number;
  createdMs?: number;
  completedMs?: number | null;
  coalesceKey?: string | null;
  eventId?: string | null;
}

/** One delivery row as the fan-out writes it, from what a test says about it; `n` numbers its body and headers. */
export function deliveryRow(s: DeliverySpec, n: number, id: string = timeOrderedId()): Insertable<DeliveryTable> {
  return {
    id,
    account_id: s.accountId,
    webhook_id: s.webhookId,
    event_id: s.eventId ?? null,
    event_type: 'stock.changed',
    status: s.status ?? 'pending',
    attempts: s.attempts ?? 0,
    next_attempt_ms: s.due,
    lease_owner: s.owner ?? null,
    coalesce_key: s.coalesceKey ?? null,
    url: 'http://127.0.0.1:9/x',
    headers: JSON.stringify({ 'x-row': String(n) }),
    body: `{"row":${n}}`,
    last_status_code: null,
    last_error: null,
    created_ms: s.createdMs ?? 0,
    completed_ms: s.completedMs ?? null,
  };
}

/** Inserts the deliveries in the order given (time-ordered ids, but random within a millisecond: sort before comparing); returns their ids. */
export async function insertDeliveries(store: Store, specs: DeliverySpec[]): Promise<string[]> {
  const ids = specs.map(() => timeOrderedId());
  if (specs.length === 0) return ids;
  await store.db
    .insertInto('deliveries')
    .values(specs.map((s, i) => deliveryRow(s, i, ids[i])))
    .execute();
  return ids;
}

/** The delivery rows, in the order of the ids given (a missing row is undefined). */
export async function deliveryRows(store: Store, ids: string[]): Promise<Array<Selectable<DeliveryTable> | undefined>> {
  if (ids.length === 0) return [];
  const found = await store.db.selectFrom('deliveries').selectAll().where('id', 'in', ids).execute();
  return ids.map((id) => found.find((r) => r.id === id));
}

/** The columns a lease touches, as numbers: what claim, heartbeat and release tests compare. */
export async function leases(store: Store, ids: string[]): Promise<Array<{ owner: string | null; due: number; status: string; attempts: number } | null>> {
  return (await deliveryRows(store, ids)).map((r) =>
    r ? { owner: r.lease_owner, due: Number(r.next_attempt_ms), status: r.status, attempts: Number(r.attempts) } : null,
  );
}

/** What an attempt row may say other than a first try's 500 with a stored body. */
export type AttemptOverrides = { durationMs?: number; outcome?: string } & Partial<
  Pick<Insertable<AttemptTable>, 'attempt_no' | 'request_headers' | 'response_status' | 'response_headers' | 'response_body' | 'error_kind' | 'error_message'>
>;

/** One logged attempt of the delivery (a 500, with a stored body, unless `over` says otherwise), started then; returns its id. */
export async function insertAttempt(
  store: Store,
  d: { id: string; accountId: string; webhookId: string },
  startedMs: number,
  { durationMs, outcome, ...columns }: AttemptOverrides = {},
): Promise<number> {
  const row = await store.db
    .insertInto('attempts')
    .values({
      account_id: d.accountId,
      delivery_id: d.id,
      webhook_id: d.webhookId,
      attempt_no: 1,
      started_ms: startedMs,
      duration_ms: durationMs ?? 5,
      request_headers: '{}',
      response_status: 500,
      response_headers: '{}',
      response_body: 'stored response body',
      error_kind: 'bad_status',
      error_message: null,
      outcome: outcome ?? 'retry',
      ...columns,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** A claimed delivery as the dispatcher holds it, for result writes. */
export const claimed = (id: string, accountId: string, webhookId: string, attempts = 0): ClaimedDelivery => ({
  id,
  accountId,
  subscriptionId: webhookId,
  eventId: null,
  eventType: 'stock.changed',
  attempts,
  url: 'http://127.0.0.1:9/x',
  headers: {},
  body: '{}',
  createdMs: 0,
});

/** One HTTP try's result: a 200 (succeeded) or a 500 to retry at `now + 60 s`. */
export const attemptResult = (d: ClaimedDelivery, ok: boolean, now: number): AttemptResult => ({
  delivery: d,
  attemptNo: d.attempts + 1,
  startedMs: now,
  durationMs: 1.5,
  requestHeaders: { 'content-type': 'application/json' },
  responseStatus: ok ? 200 : 500,
  responseHeaders: { server: 'test' },
  responseBody: ok ? 'ok' : 'boom',
  errorKind: ok ? null : 'bad_status',
  errorMessage: ok ? null : 'HTTP 500',
  outcome: ok ? 'succeeded' : 'retry',
  nextAttemptMs: ok ? null : now + 60_000,
});

/**
 * PostgreSQL: whether `work` finishes on its own, or is first seen waiting for a lock held by a
 * transaction the test keeps open: 'finished' or 'waits for a lock'. Decided by events, not time:
 * the work's end, or a session of this database waiting for another transaction's row or key
 * (pg_stat_activity: a `transactionid` or `tuple` lock).
 */
export async function finishesOrWaits(store: Store, work: Promise<unknown>): Promise<'finished' | 'waits for a lock'> {
  let finished = false;
  const done = work.then(
    () => (finished = true),
    () => (finished = true),
  );
  const waiting = async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event in ('transactionid', 'tuple')`.execute(store.db);
    return rows[0].n > 0;
  };
  return Promise.race([
    done.then(() => 'finished' as const),
    eventually(async () => finished || (await waiting()), 20_000, 10, 'finished or waiting for a lock').then(() => (finished ? ('finished' as const) : ('waits for a lock' as const))),
  ]);
}

/**
 * PostgreSQL: runs `fn` in a transaction (given as a Store whose db and autocommit are the transaction, and as the
 * transaction itself) that stays open (its row locks held, its writes uncommitted)
 * until `commit` is called; `commit` resolves once it has committed.
 */
export async function heldTransaction<T>(store: Store, fn: (held: Store, tx: Tx) => Promise<T>): Promise<{ value: T; commit(): Promise<void> }> {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let committed: Promise<void> = Promise.resolve();
  const value = await new Promise<T>((resolve, reject) => {
    committed = store.db.transaction().execute(async (tx) => {
      try {
        resolve(await fn({ ...store, db: tx, autocommit: (write) => write(tx) }, tx));
      } catch (err) {
        reject(err);
        throw err;
      }
      await gate;
    });
    committed.catch(reject);
  });
  return {
    value,
    commit: async () => {
      release();
      await committed;
    },
  };
}
