import { timeOrderedId } from '../storage/time-ordered-id.js';
import type { Selectable } from 'kysely';
import type { Principal } from '../accounts/tokens.js';
import { claimCommitted, claimIn, limitsOf, type Ctx } from '../context.js';
import { AppError, notFound, toError } from '../errors.js';
import { assertEventsSinceKept } from '../events/history.js';
import { toStoredEvent } from '../events/list.js';
import type { Store } from '../storage/database.js';
import type { ReplayTable } from '../storage/schema.js';
import { authorScope, findSubscription, ownedSubscriptionIds, type SubscriptionOwner } from '../webhooks/subscription-row.js';
import { insertDeliveries, renderDeliveries, type Renderer } from './fan-out.js';

export interface ReplayView {
  id: string;
  webhookId: string;
  status: 'running' | 'done' | 'failed' | 'interrupted';
  since: string;
  eventsTotal: number;
  eventsDone: number;
  deliveries: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** A running job whose process stopped beating this long ago is reported as interrupted. */
const STALE_MS = 60_000;
const PAGE = 500;

export function toReplayView(r: Selectable<ReplayTable>, now = Date.now()): ReplayView {
  const stale = r.status === 'running' && Number(r.heartbeat_ms) < now - STALE_MS;
  return {
    id: r.id,
    webhookId: r.webhook_id,
    status: stale ? 'interrupted' : r.status,
    since: new Date(Number(r.since_ms)).toISOString(),
    eventsTotal: r.events_total,
    eventsDone: r.events_done,
    deliveries: r.deliveries,
    error: r.error,
    startedAt: new Date(Number(r.started_ms)).toISOString(),
    finishedAt: r.finished_ms === null ? null : new Date(Number(r.finished_ms)).toISOString(),
  };
}

/**
 * Re-sync: every event since `since` that the subscription wants, sent again as new deliveries.
 * Starts a background job and returns it at once; GET /api/v1/replays/:id shows its progress.
 * Events are read in sequence order in pages, each page rendered and inserted in its own
 * transaction, so a long range neither holds one huge transaction nor all events in memory.
 */
export async function startReplay(ctx: Ctx, renderer: Renderer, p: Principal, webhookId: string, sinceMs: number): Promise<{ view: ReplayView; done: Promise<void> }> {
  if (p.plan !== 'paid') throw new AppError('PLAN_FORBIDS_WEBHOOKS');
  if (!Number.isFinite(sinceMs)) throw new AppError('VALIDATION_FAILED', 'since must be an ISO date-time', { field: 'since' });
  const sub = await findSubscription(ctx.store.db, p, webhookId);
  if (!sub.enabled) throw new AppError('INVALID_STATE', 'the subscription is disabled: enable it first');
  await assertEventsSinceKept(ctx.store.db, p.accountId, sinceMs);
  // Each replay queues a delivery per event: replays of one subscription at once only multiply them.
  const { replaysPerWebhook } = limitsOf(ctx);
  const running = await ctx.store.db
    .selectFrom('replays')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'running')
    .where('heartbeat_ms', '>=', ctx.now() - STALE_MS)
    .executeTakeFirstOrThrow();
  if (Number(running.n) >= replaysPerWebhook) {
    throw new AppError('CONFLICT', `a subscription runs at most ${replaysPerWebhook} replay(s) at once; wait for the running one`, {
      limit: replaysPerWebhook,
    });
  }
  const total = await ctx.store.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', p.accountId)
    .where('occurred_ms', '>=', sinceMs)
    .where('type', '!=', 'webhook.test')
    .executeTakeFirst();
  const now = ctx.now();
  const row = {
    id: timeOrderedId(),
    account_id: p.accountId,
    webhook_id: webhookId,
    since_ms: sinceMs,
    status: 'running' as const,
    events_total: Number(total?.n ?? 0),
    events_done: 0,
    deliveries: 0,
    error: null,
    started_ms: now,
    heartbeat_ms: now,
    finished_ms: null,
  };
  // With the request's Idempotency-Key, if it has one: a retried start replays this answer.
  await ctx.store.write(async (tx) => {
    await claimIn(tx, now);
    await tx.insertInto('replays').values(row).execute();
  });
  claimCommitted();
  const account = { id: p.accountId, number: p.accountNumber, slug: p.accountSlug };
  const done = run(ctx, renderer, row.id, account, sub, sinceMs);
  return { view: toReplayView(row, now), done };
}

async function run(
  ctx: Ctx,
  renderer: Renderer,
  jobId: string,
  account: { id: string; number: number; slug: string },
  sub: Awaited<ReturnType<typeof findSubscription>>,
  sinceMs: number,
): Promise<void> {
  // Every event committed before the replay began is in the commit order it pages over.
  const events = await ctx.store.eventReader();
  let after = -1;
  let eventsDone = 0;
  let deliveries = 0;
  try {
    for (;;) {
      const rows = await events
        .selectFrom('events')
        .selectAll()
        .where('account_id', '=', account.id)
        .where('occurred_ms', '>=', sinceMs)
        .where('seq', '>', after)
        .where('type', '!=', 'webhook.test')
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      if (rows.length === 0) break;
      after = Number(rows[rows.length - 1].seq);
      const page = rows.map(toStoredEvent);
      eventsDone += page.length;
      const written = await ctx.store.transaction(async (tx) => {
        // Holds the subscription's row while the page is written (an UPDATE locks it on both
        // databases): a delete or an uninstall waits for the page and then cancels what it wrote,
        // and a page after them finds the row gone or being removed and writes nothing.
        const held = await tx.updateTable('webhooks').set((eb) => ({ updated_ms: eb.ref('updated_ms') })).where('id', '=', sub.id).where('removing_ms', 'is', null).executeTakeFirst();
        if (Number(held.numUpdatedRows) === 0) return null;
        const rendered = await renderDeliveries(tx, renderer, account, [sub], page, ctx.now());
        const n = await insertDeliveries(tx, rendered);
        await tx
          .updateTable('replays')
          .set({ events_done: eventsDone, deliveries: deliveries + n, heartbeat_ms: ctx.now() })
          .where('id', '=', jobId)
          .execute();
        return n;
      });
      if (written === null) throw new Error('the subscription was deleted');
      deliveries += written;
      ctx.outbox.nudge();
    }
    await finishReplay(ctx.store, jobId, { status: 'done', events_done: eventsDone, deliveries }, ctx.now());
  } catch (err) {
    await finishReplay(ctx.store, jobId, { status: 'failed', error: toError(err).message }, ctx.now()).catch(() => {});
  }
}

/** Records how a replay job ended: one statement, outside the pages' transactions. */
export async function finishReplay(
  store: Store,
  jobId: string,
  end: { status: 'done'; events_done: number; deliveries: number } | { status: 'failed'; error: string },
  now: number,
): Promise<void> {
  await store.autocommit((db) =>
    db
      .updateTable('replays')
      .set({ ...end, heartbeat_ms: now, finished_ms: now })
      .where('id', '=', jobId)
      .execute(),
  );
}

/** Replays an owner may see: an application token only those of the subscriptions it created. */
function visibleReplays(ctx: Ctx, owner: SubscriptionOwner) {
  const q = ctx.store.db.selectFrom('replays').selectAll().where('replays.account_id', '=', authorScope(owner).accountId);
  const mine = ownedSubscriptionIds(ctx.store.db, owner);
  return mine === null ? q : q.where('replays.webhook_id', 'in', mine);
}

export async function getReplay(ctx: Ctx, owner: SubscriptionOwner, id: string): Promise<ReplayView> {
  const row = await visibleReplays(ctx, owner).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('replay', id);
  return toReplayView(row, ctx.now());
}

/** The latest replays; with webhookId, that subscription's, which answers 404 as the subscription's own routes do when it is not the owner's. */
export async function listReplays(ctx: Ctx, owner: SubscriptionOwner, webhookId?: string): Promise<ReplayView[]> {
  let q = visibleReplays(ctx, owner);
  if (webhookId !== undefined) {
    await findSubscription(ctx.store.db, owner, webhookId);
    q = q.where('webhook_id', '=', webhookId);
  }
  const rows = await q.orderBy('started_ms', 'desc').limit(50).execute();
  return rows.map((r) => toReplayView(r, ctx.now()));
}
