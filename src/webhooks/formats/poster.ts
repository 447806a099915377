import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors.js';
import type { StoredEvent } from '../../events/catalog.js';
import { round } from '../../quantity.js';
import { posterVerify } from '../../receiver/signatures.js';
import type { Tx } from '../../storage/database.js';
import type { Subscription } from '../subscription-row.js';
import type { WebhookFormat } from './format.js';

/** Every entity Poster's webhook settings offer (docs/formats/poster.md), spelled as the document spells them. */
export const POSTER_OBJECTS = [
  'transaction', 'incoming_order',
  'product', 'dish', 'category', 'prepack', 'ingredient', 'workshop', 'ingredients_category',
  'client', 'client_payed_sum', 'clients_group', 'promotion', 'promotion_prize', 'client_ewallet', 'loyalty rule',
  'storage', 'stock', 'supply',
  'book_transaction', 'cash_shift_transaction',
  'spot', 'register', 'waiter',
  'configs', 'application',
] as const;

/**
 * "15 more tries within two days": growing delays summing to 141,510 s (39.3 h), so even with +10%
 * jitter on every one the last try starts before 48 h (155,661 s < 172,800 s).
 */
export const POSTER_SCHEDULE = [30, 60, 120, 300, 600, 900, 1800, 2700, 3600, 5400, 7200, 10800, 18000, 36000, 54000] as const;

/** Poster's element type for a product in `stock` data (1 ingredient, 2 product, 3 modifier, ...). */
const POSTER_TYPE_PRODUCT = 2;

interface Route {
  object: string;
  action: string;
}

/** The Poster object and action a canonical event becomes, or null when Poster has no such hook. */
function route(e: StoredEvent): Route | null {
  switch (e.type) {
    case 'stock.changed':
      return { object: 'stock', action: 'changed' };
    case 'product.created':
    case 'product.updated':
    case 'product.deleted':
      return { object: 'product', action: e.action };
    case 'warehouse.created':
    case 'warehouse.updated':
    case 'warehouse.deleted':
      return { object: 'storage', action: e.action };
    case 'document.posted':
      return documentType(e) === 'receipt' ? { object: 'supply', action: 'added' } : null;
    case 'document.cancelled':
      // Cancelling a receipt takes the supply back: Poster's removal of a supply.
      return documentType(e) === 'receipt' ? { object: 'supply', action: 'removed' } : null;
    case 'application.installed':
      return { object: 'application', action: 'added' };
    case 'application.uninstalled':
      return { object: 'application', action: 'removed' };
    case 'webhook.test':
      // Poster defines no test hook: a settings change (`configs`/`changed`, object 0) is the
      // harmless one of the document's entities and actions a receiver already handles.
      return { object: 'configs', action: 'changed' };
    default:
      return null;
  }
}

const documentType = (e: StoredEvent): unknown => (e.data.document as { type?: unknown } | undefined)?.type;

const objectsOf = (sub: Subscription): string[] => (sub.options.objects as string[] | undefined) ?? [];

/**
 * Poster's element is (product, storage), without sizes or lots: value_relative is what the
 * document moved for the product at that warehouse, summed over every stock key, and
 * value_absolute the product's total amount there afterwards. For a product with one stock key these
 * are the event's amountDelta and amount. Null when the quantity did not move (a reservation).
 */
async function stockData(e: StoredEvent, tx: Tx): Promise<Record<string, number> | null> {
  const d = e.data as { productId: number; warehouseId: number; amountDelta: number; documentId: number | null };
  let delta = d.amountDelta;
  if (d.documentId !== null) {
    const moved = await tx
      .selectFrom('movements')
      .innerJoin('stock_levels', 'stock_levels.id', 'movements.stock_level_id')
      .select((eb) => eb.fn.sum<number>('movements.amount_delta').as('delta'))
      .where('movements.account_id', '=', e.accountId)
      .where('movements.document_id', '=', d.documentId)
      .where('stock_levels.product_id', '=', d.productId)
      .where('stock_levels.warehouse_id', '=', d.warehouseId)
      .executeTakeFirst();
    if (moved?.delta != null) delta = Number(moved.delta);
  }
  if (round(delta) === 0) return null;
  const total = await tx
    .selectFrom('stock_levels')
    .select((eb) => eb.fn.sum<number>('amount').as('amount'))
    .where('account_id', '=', e.accountId)
    .where('product_id', '=', d.productId)
    .where('warehouse_id', '=', d.warehouseId)
    .executeTakeFirst();
  return {
    type: POSTER_TYPE_PRODUCT,
    element_id: d.productId,
    storage_id: d.warehouseId,
    value_relative: round(delta),
    value_absolute: round(Number(total?.amount ?? 0)),
  };
}

/**
 * Stands for the access token in the stored body of `application`/`added`: the token is read from
 * the applications' secret store and put in its place when each attempt is sent (finalizeBody).
 */
export const ACCESS_TOKEN_PLACEHOLDER = '(filled in when sent)';

async function dataFor(e: StoredEvent, tx: Tx): Promise<Record<string, unknown> | null | undefined> {
  if (e.type === 'stock.changed') return stockData(e, tx);
  if (e.type === 'application.installed') return { user_id: e.data.user_id, access_token: ACCESS_TOKEN_PLACEHOLDER };
  if (e.type === 'application.uninstalled') return { user_id: e.data.user_id };
  return undefined;
}

interface Hook {
  account: string;
  account_number: string;
  object: string;
  object_id: number;
  action: string;
  time: string;
  verify: string;
  data?: string;
}

/** The hook's JSON in the document's field order, `verify` computed over it. */
function hookBody(h: Omit<Hook, 'time' | 'verify'>, time: string, secret: string): string {
  const verify = posterVerify({ account: h.account, object: h.object, objectId: h.object_id, action: h.action, data: h.data, time }, secret);
  return JSON.stringify({
    account: h.account,
    account_number: h.account_number,
    object: h.object,
    object_id: h.object_id,
    action: h.action,
    time,
    verify,
    ...(h.data !== undefined && { data: h.data }),
  });
}

/**
 * Poster (docs/formats/poster.md): `{account, account_number, object, object_id, action, time, verify, data?}`,
 * `data` a JSON-encoded string, signed by `verify`; only HTTP 200 counts as delivered.
 */
export const posterFormat: WebhookFormat = {
  name: 'poster',
  retrySchedule: POSTER_SCHEDULE,
  jitter: true,
  timeoutMs: 15_000,
  whenExhausted: 'failed',
  protections: false,
  // "15 more times within two days": no retry, Retry-After or override goes past 48 h.
  retryWindowMs: 48 * 3600 * 1000,
  // `application` is the "installation or removal of the application": the removal is told too.
  toldOfItsRemoval: true,
  honoursRetryAfter: true,
  healthyAnswer: { status: 200, body: '{"status":"accept"}' },
  takes(event, sub) {
    const r = route(event);
    if (!r) return false;
    // A test is asked for by the subscription's owner, whatever objects it lists.
    if (event.type === 'webhook.test') return true;
    if (!objectsOf(sub).includes(r.object)) return false;
    // An application hears of its own installation only, at the subscription its own token made:
    // `added` carries its access token, which no other application nor the user may receive.
    return r.object !== 'application' || sub.authorApplicationId === Number(event.objectId);
  },
  // Several stock keys of one product at one warehouse in one document are one Poster element.
  collapseKey: (e) =>
    e.type === 'stock.changed' ? `stock:${String(e.data.documentId)}:${String(e.data.productId)}:${String(e.data.warehouseId)}` : e.id,
  async render(event, sub, ctx) {
    const r = route(event);
    if (!r) return null;
    const payload = await dataFor(event, ctx.tx);
    if (payload === null) return null;
    const objectId = event.type === 'stock.changed' ? Number(event.data.productId) : Number(event.objectId) || 0;
    const data = payload === undefined ? undefined : JSON.stringify(payload);
    // Stored with the event's time; each attempt sets its own (finalizeBody).
    const body = hookBody(
      { account: ctx.account.slug, account_number: String(ctx.account.number), object: r.object, object_id: objectId, action: r.action, data },
      String(Math.floor(event.occurredAt / 1000)),
      sub.secret,
    );
    return { body, headers: { 'content-type': 'application/json' } };
  },
  async finalizeBody(delivery, sub, reads, nowMs) {
    const h = JSON.parse(delivery.body) as Omit<Hook, 'time' | 'verify'>;
    if (h.object === 'application' && h.action === 'added' && h.data !== undefined) {
      const data = JSON.parse(h.data) as Record<string, unknown>;
      // Checked again at send time: only the application's own subscription gets its token.
      const token = sub.authorApplicationId === h.object_id ? await reads.applicationToken(sub.accountId, h.object_id) : null;
      if (token === null) return { cancel: `application ${h.object_id} is not installed any more: its access token is gone` };
      h.data = JSON.stringify({ ...data, access_token: token });
    }
    // Poster's `time` is when the hook is sent, and `verify` signs it with the secret in force now.
    return { body: hookBody(h, String(Math.floor(nowMs / 1000)), sub.secret) };
  },
  attemptHeaders: () => ({}),
  judge(res) {
    if (res.status === 200) return { outcome: 'success' };
    return { outcome: 'retry', reason: `HTTP ${res.status} (Poster counts only 200 as delivered)` };
  },
  options(input) {
    const objects = input.objects;
    if (!Array.isArray(objects) || objects.length === 0) {
      throw new AppError('VALIDATION_FAILED', 'a poster subscription needs objects: the Poster entities it wants', {
        field: 'objects',
        known: POSTER_OBJECTS,
      });
    }
    for (const o of objects) {
      if (!(POSTER_OBJECTS as readonly unknown[]).includes(o)) {
        throw new AppError('VALIDATION_FAILED', `objects: unknown Poster entity "${String(o)}"`, { field: 'objects', known: POSTER_OBJECTS });
      }
    }
    return { objects: [...new Set(objects as string[])] };
  },
  // Poster's client_secret: 32 hex characters, like the vendor document's sample.
  secret: (given) => (given === undefined ? randomBytes(16).toString('hex') : given),
};
