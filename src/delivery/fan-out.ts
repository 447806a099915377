import { timeOrderedId } from '../storage/time-ordered-id.js';
import type { Insertable } from 'kysely';
import type { StoredEvent } from '../events/catalog.js';
import type { HandoffWriter } from './handoff/index.js';
import type { Outbox, Subscriber } from '../events/outbox.js';
import type { Tx } from '../storage/database.js';
import { preparedInsert } from '../storage/prepared.js';
import type { DeliveryTable } from '../storage/schema.js';
import type { AccountInfo, DomainReads, RenderContext, Rendered } from '../webhooks/formats/format.js';
import { FORMATS } from '../webhooks/formats/registry.js';
import { toSubscription, type Subscription } from '../webhooks/subscription-row.js';

/**
 * Whether a subscription wants an event. `webhook.test` goes only to the subscription it names (when its
 * format has a test message), and `webhook.disabled` never to the subscription it is about (that
 * endpoint is the one failing). A subscription being removed wants only the uninstall that marked
 * it, in that uninstall's own transaction (its time): nothing reaches it after. A source's own
 * system does not hear back what the source booked (isEcho).
 */
export function wants(sub: Subscription, event: StoredEvent): boolean {
  if (sub.removingSince !== null && !isItsRemoval(sub, event)) return false;
  const target = event.data.webhookId;
  if (event.type === 'webhook.test') return target === sub.id && FORMATS[sub.format].takes(event, sub);
  if (event.type === 'webhook.disabled' && target === sub.id) return false;
  if (isEcho(sub, event)) return false;
  if (sub.events && !sub.events.includes(event.type)) return false;
  return FORMATS[sub.format].takes(event, sub);
}

/**
 * A change booked from an inbound source is not sent to the subscriptions the account marked as
 * that source's own system (sources/booking.ts puts them in the event's `origin`): the vendor
 * already knows, and hearing its own change back it would book it twice.
 */
function isEcho(sub: Subscription, event: StoredEvent): boolean {
  const origin = event.data.origin as { noEchoTo?: unknown } | undefined;
  return Array.isArray(origin?.noEchoTo) && origin.noEchoTo.includes(sub.id);
}

const isItsRemoval = (sub: Subscription, event: StoredEvent): boolean =>
  event.type === 'application.uninstalled' && event.occurredAt === sub.removingSince && Number(event.objectId) === sub.authorApplicationId;

/** What rendering needs from the composition root: this server's public URL and the domain's reads. */
export interface Renderer {
  readonly publicUrl: string;
  readonly reads: DomainReads;
}

/**
 * Renders the deliveries for some events to some subscriptions, inside the caller's transaction.
 * Used by the fan-out (every write) and by replay.
 */
export async function renderDeliveries(
  tx: Tx,
  renderer: Renderer,
  account: AccountInfo,
  subs: Subscription[],
  events: StoredEvent[],
  now: number,
): Promise<Array<Insertable<DeliveryTable>>> {
  const rows: Array<Insertable<DeliveryTable>> = [];
  // Renderings of formats that depend on the event alone, by format and event id.
  const shared = new Map<string, Rendered | null>();
  for (const sub of subs) {
    const format = FORMATS[sub.format];
    let chosen = events.filter((e) => wants(sub, e));
    if (format.collapseKey) {
      // Keep the last event per key: it renders the state after the whole transaction.
      const last = new Map<string, StoredEvent>();
      for (const e of chosen) last.set(format.collapseKey(e), e);
      chosen = chosen.filter((e) => last.get(format.collapseKey!(e)) === e);
    }
    for (const event of chosen) {
      const id = timeOrderedId();
      const ctx: RenderContext = { tx, reads: renderer.reads, account, now, publicUrl: renderer.publicUrl, deliveryId: id, batch: events };
      const key = format.sameForEverySubscription ? `${sub.format}:${event.id}` : null;
      let r = key === null ? undefined : shared.get(key);
      if (r === undefined) {
        r = await format.render(event, sub, ctx);
        if (key !== null) shared.set(key, r);
      }
      if (!r) continue;
      rows.push({
        id,
        account_id: account.id,
        webhook_id: sub.id,
        event_id: event.id,
        event_type: event.type,
        status: 'pending',
        attempts: 0,
        next_attempt_ms: r.dueAt ?? now,
        lease_owner: null,
        coalesce_key: r.coalesceKey ?? null,
        url: r.url ?? sub.url,
        headers: JSON.stringify(r.headers),
        body: r.body,
        last_status_code: null,
        last_error: null,
        created_ms: now,
        completed_ms: null,
      });
    }
  }
  return rows;
}

// The fan-out's statements, run by every write: compiled once (storage/prepared.ts).
const insertDeliveryRows = preparedInsert('deliveries', [
  'id',
  'account_id',
  'webhook_id',
  'event_id',
  'event_type',
  'status',
  'attempts',
  'next_attempt_ms',
  'lease_owner',
  'coalesce_key',
  'url',
  'headers',
  'body',
  'last_status_code',
  'last_error',
  'created_ms',
  'completed_ms',
]);

/** Inserts deliveries; a coalesced one whose window is already open folds into it (the partial unique index `deliveries_coalesce`). */
export async function insertDeliveries(tx: Tx, rows: Array<Insertable<DeliveryTable>>): Promise<number> {
  const plain = rows.filter((r) => r.coalesce_key === null);
  const coalesced = rows.filter((r) => r.coalesce_key !== null);
  // 500 rows x 17 columns stays under SQLite's and PostgreSQL's bound-parameter limits.
  for (let i = 0; i < plain.length; i += 500) {
    await insertDeliveryRows(tx, plain.slice(i, i + 500));
  }
  let inserted = plain.length;
  for (const r of coalesced) {
    const res = await tx.insertInto('deliveries').values(r).onConflict((oc) => oc.column('coalesce_key').where('coalesce_key', 'is not', null).doNothing()).executeTakeFirst();
    inserted += Number(res.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

/**
 * The transactional fan-out: registered as an outbox hook (by compose.ts, the only place that
 * builds a Ctx), so the deliveries of every matching enabled subscription commit with the events,
 * or roll back with them. No committed event is without its deliveries, and no delivery exists for
 * a rolled-back change. Free-plan accounts are skipped here: they are sent nothing.
 */
export function installFanOut(outbox: Outbox, renderer: Renderer, handoff: HandoffWriter): void {
  // The outbox hands out the same rows while an account's subscriptions are unchanged (outbox.ts),
  // so each is parsed once; nothing mutates a Subscription.
  const parsed = new WeakMap<Subscriber, Subscription>();
  const subscription = (r: Subscriber): Subscription => {
    let s = parsed.get(r);
    if (!s) parsed.set(r, (s = toSubscription(r)));
    return s;
  };
  outbox.onWrite(async (tx, events, rows) => {
    const accountId = events[0].accountId;
    if (rows.length === 0 || rows[0].account_plan !== 'paid') return;
    const account = { id: accountId, number: Number(rows[0].account_number), slug: rows[0].account_slug };
    const subs = rows.map(subscription);
    const now = events[0].occurredAt;
    const deliveries = await renderDeliveries(tx, renderer, account, subs, events, now);
    if (deliveries.length === 0) return;
    handoff.lease(events, deliveries, subs, now);
    await insertDeliveries(tx, deliveries);
  });
}
