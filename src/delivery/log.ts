import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Principal } from '../accounts/tokens.js';
import { claimCommitted, claimIn, writeTx, type Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { FORMATS } from '../webhooks/formats/registry.js';
import type { Db, Tx } from '../storage/database.js';
import type { AttemptTable, Database, DeliveryStatus, DeliveryTable } from '../storage/schema.js';
import { authorScope, findSubscription, ownedSubscriptionIds, type SubscriptionOwner } from '../webhooks/subscription-row.js';

export interface DeliveryView {
  id: string;
  webhookId: string;
  eventId: string | null;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  completedAt: string | null;
  url: string;
}

export interface AttemptView {
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: string;
  request: { url: string; headers: Record<string, string>; body: string };
  response: { status: number; headers: Record<string, unknown>; body: string } | null;
  error: { kind: string; message: string } | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export const toDeliveryView = (r: Selectable<DeliveryTable>): DeliveryView => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_ms) : null,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: iso(r.created_ms) as string,
  completedAt: iso(r.completed_ms),
  url: r.url,
});

function toAttemptView(a: Selectable<AttemptTable>, d: Selectable<DeliveryTable>): AttemptView {
  return {
    attempt: a.attempt_no,
    startedAt: iso(a.started_ms) as string,
    durationMs: Math.round(Number(a.duration_ms) * 100) / 100,
    outcome: a.outcome,
    request: { url: d.url, headers: JSON.parse(a.request_headers) as Record<string, string>, body: d.body },
    response:
      a.response_status === null
        ? null
        : { status: a.response_status, headers: JSON.parse(a.response_headers ?? '{}') as Record<string, unknown>, body: a.response_body ?? '' },
    error: a.error_kind ? { kind: a.error_kind, message: a.error_message ?? '' } : null,
  };
}

/** Cursor = created time and id of the last row seen, newest first. */
const encodeCursor = (ms: number, id: string) => Buffer.from(`${ms}:${id}`).toString('base64url');
function decodeCursor(c: string): { ms: number; id: string } {
  const [ms, id] = Buffer.from(c, 'base64url').toString().split(':');
  // Only what encodeCursor makes: a forged time past bigint, or an id with NUL, is a 400 on both
  // databases instead of a PostgreSQL error.
  if (!ms || !id || !/^\d{1,15}$/.test(ms) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not valid', { field: 'cursor' });
  }
  return { ms: Number(ms), id };
}

/** One subscription's log, or (webhookId undefined) the account's log across subscriptions. */
/**
 * Deliveries an owner may see: an application token only those of the subscriptions it created
 * (their bodies and logs are the application's business, the others' are not).
 */
function visibleTo<Q extends SelectQueryBuilder<Database, 'deliveries', object>>(db: Db | Tx, q: Q, owner: SubscriptionOwner): Q {
  const scoped = q.where('deliveries.account_id', '=', authorScope(owner).accountId);
  const mine = ownedSubscriptionIds(db, owner);
  return (mine === null ? scoped : scoped.where('deliveries.webhook_id', 'in', mine)) as Q;
}

export async function listDeliveries(
  db: Db,
  owner: SubscriptionOwner,
  webhookId: string | undefined,
  f: { status?: string; eventType?: string; eventId?: string; since?: string; until?: string; limit: number; cursor?: string },
): Promise<{ data: DeliveryView[]; nextCursor: string | null }> {
  let q = visibleTo(db, db.selectFrom('deliveries').selectAll(), owner);
  if (webhookId !== undefined) {
    await findSubscription(db, owner, webhookId);
    q = q.where('webhook_id', '=', webhookId);
  }
  if (f.status) q = q.where('status', '=', f.status as DeliveryStatus);
  if (f.eventType) q = q.where('event_type', '=', f.eventType);
  if (f.eventId) q = q.where('event_id', '=', f.eventId);
  if (f.since) q = q.where('created_ms', '>=', Date.parse(f.since));
  if (f.until) q = q.where('created_ms', '<', Date.parse(f.until));
  if (f.cursor) {
    const c = decodeCursor(f.cursor);
    q = q.where((eb) => eb.or([eb('created_ms', '<', c.ms), eb.and([eb('created_ms', '=', c.ms), eb('id', '<', c.id)])]));
  }
  const rows = await q.orderBy('created_ms', 'desc').orderBy('id', 'desc').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    data: page.map(toDeliveryView),
    nextCursor: rows.length > f.limit && last ? encodeCursor(Number(last.created_ms), last.id) : null,
  };
}

async function findDelivery(db: Db | Tx, owner: SubscriptionOwner, id: string): Promise<Selectable<DeliveryTable>> {
  const row = await visibleTo(db, db.selectFrom('deliveries').selectAll(), owner).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('delivery', id);
  return row;
}

export async function getDelivery(db: Db, owner: SubscriptionOwner, id: string): Promise<DeliveryView & { body: string; attemptLog: AttemptView[] }> {
  const d = await findDelivery(db, owner, id);
  const attempts = await db.selectFrom('attempts').selectAll().where('delivery_id', '=', id).orderBy('attempt_no').orderBy('id').execute();
  return { ...toDeliveryView(d), body: d.body, attemptLog: attempts.map((a) => toAttemptView(a, d)) };
}

/**
 * Sends a finished delivery once more, with the same id and the same bytes. Its attempt count goes
 * on, so a delivery whose schedule ran out gets exactly one more try.
 */
export async function retryDelivery(ctx: Ctx, p: Principal, id: string): Promise<DeliveryView> {
  if (p.plan !== 'paid') throw new AppError('PLAN_FORBIDS_WEBHOOKS');
  const row = await ctx.store.transaction(async (tx) => {
    await claimIn(tx, ctx.now());
    const d = await findDelivery(tx, p, id);
    if (d.status === 'pending') throw new AppError('CONFLICT', 'the delivery is already waiting to be sent');
    if (d.status === 'held') throw new AppError('INVALID_STATE', 'the subscription is disabled: enable it to send its held deliveries');
    const sub = await tx.selectFrom('webhooks').select(['enabled', 'removing_ms']).where('id', '=', d.webhook_id).executeTakeFirst();
    // One being removed (an uninstalled application's) is sent nothing but its last hook.
    if (!sub || sub.removing_ms !== null) throw new AppError('INVALID_STATE', 'the subscription was deleted');
    if (sub.enabled !== 1) throw new AppError('INVALID_STATE', 'the subscription is disabled: enable it first');
    const updated = await tx
      .updateTable('deliveries')
      .set({ status: 'pending', next_attempt_ms: ctx.now(), completed_ms: null, lease_owner: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return updated;
  });
  claimCommitted();
  ctx.outbox.nudge();
  return toDeliveryView(row);
}

/** Sends a `webhook.test` event to one subscription only. */
export async function testWebhook(ctx: Ctx, p: Principal, webhookId: string): Promise<{ eventId: string; deliveryId: string | null }> {
  if (p.plan !== 'paid') throw new AppError('PLAN_FORBIDS_WEBHOOKS');
  const { events } = await writeTx(ctx, p.accountId, async ({ tx, emit }) => {
    const sub = await findSubscription(tx, p, webhookId);
    if (!sub.enabled) throw new AppError('INVALID_STATE', 'the subscription is disabled: enable it first');
    const test = { type: 'webhook.test', object: 'webhook', objectId: webhookId, action: 'changed', data: { webhookId, message: 'stockhook test event' } } as const;
    // MetaKocka and CycleSoftware define no test message: whatever we sent would be a stock update or
    // an order that never happened, so the route says so instead of answering 202 and sending nothing.
    if (!FORMATS[sub.format].takes({ ...test, id: '', accountId: p.accountId, seq: null, occurredAt: 0 }, sub)) {
      throw new AppError('INVALID_STATE', `the ${sub.format} format defines no test message: post a document, or replay, to send a real one`);
    }
    emit(test);
  });
  const d = await ctx.store.db.selectFrom('deliveries').select('id').where('event_id', '=', events[0].id).executeTakeFirst();
  return { eventId: events[0].id, deliveryId: d?.id ?? null };
}
