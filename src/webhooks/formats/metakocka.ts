import { metakockaSignature } from '../../receiver/signatures.js';
import type { StoredEvent } from '../../events/catalog.js';
import type { AttemptResponse, Judgement, TouchedKey, WebhookFormat } from './format.js';
import { freeFormSecret, randomBase64Url } from './secrets.js';

export const METAKOCKA_EVENT = 'warehouse_product_stock_update';

/** MetaKocka (docs/formats/metakocka.md): "MK will try two more time with 60 seconds delay". */
export const METAKOCKA_SCHEDULE = [60, 60] as const;

/**
 * MetaKocka (docs/formats/metakocka.md) accepts a response only when it is JSON with `"status": "ok"`: a 200 with an HTML
 * error page from a proxy, or `{"status":"error"}`, means the receiver did not take the update.
 */
export function judgeMetakocka(res: AttemptResponse): Judgement {
  if (res.status < 200 || res.status >= 300) return { outcome: 'retry', reason: `HTTP ${res.status}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    return { outcome: 'retry', reason: 'the response is not JSON; MetaKocka receivers answer {"status":"ok"}' };
  }
  const status = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>).status : undefined;
  if (status === 'ok') return { outcome: 'success' };
  return { outcome: 'retry', reason: `the response's status is ${JSON.stringify(status) ?? 'missing'}, not "ok"` };
}

const part = (v: unknown): string => (typeof v === 'string' ? v : '');

// A write of many products renders one request per product: the batch is grouped once, not per request.
const touched = new WeakMap<readonly StoredEvent[], Map<number, TouchedKey[]>>();

/**
 * The product's keys that the events sent in this request moved (the collapse keeps the last event
 * of the product, but every one of them changed a row): their rows are listed even at zero, so a
 * receiver that updates by lot sees the amount that just became 0.
 */
function touchedKeys(batch: readonly StoredEvent[], productId: number): TouchedKey[] {
  let byProduct = touched.get(batch);
  if (!byProduct) {
    byProduct = new Map();
    for (const e of batch) {
      if (e.type !== 'stock.changed') continue;
      const id = Number(e.data.productId);
      const keys = byProduct.get(id) ?? [];
      byProduct.set(id, keys);
      keys.push({
        warehouseId: Number(e.data.warehouseId),
        size: part(e.data.size),
        lot: part(e.data.lot),
        expiry: part(e.data.expiry),
        serial: part(e.data.serial),
        location: part(e.data.location),
      });
    }
    touched.set(batch, byProduct);
  }
  return byProduct.get(productId) ?? [];
}

/**
 * MetaKocka's `warehouse_product_stock_update` (docs/formats/metakocka.md): the product's whole stock list, the very
 * bytes `GET /api/v1/stock/metakocka?productId=` answers, so a receiver can reconcile by pulling.
 */
export const metakockaFormat: WebhookFormat = {
  name: 'metakocka',
  retrySchedule: METAKOCKA_SCHEDULE,
  // The vendor document promises 60 s apart; receivers may rely on that spacing.
  jitter: false,
  timeoutMs: 15_000,
  whenExhausted: 'failed',
  protections: false,
  honoursRetryAfter: false,
  healthyAnswer: { status: 200, body: '{"status":"ok"}' },
  takes: (event) => event.type === 'stock.changed',
  // The body is the product's whole list, so ten changed lots of one product make one request.
  collapseKey: (event) => String(event.data.productId ?? event.objectId),
  async render(event, _sub, ctx) {
    const productId = Number(event.data.productId ?? event.objectId);
    const body = await ctx.reads.metakockaStockList(ctx.tx, ctx.account.id, productId, touchedKeys(ctx.batch, productId));
    // A product deleted since (replay) has no stock list to send.
    if (body === null) return null;
    return {
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'X-MetaKocka-Event': METAKOCKA_EVENT,
        'X-MetaKocka-Id': ctx.deliveryId,
      },
    };
  },
  // Signed per attempt, so a secret rotated while a delivery waits applies to its retries.
  attemptHeaders: (d, sub) => ({ 'X-MetaKocka-Signature': metakockaSignature(sub.secret, d.body) }),
  judge: judgeMetakocka,
  // MetaKocka's client_secret is whatever the user chose there.
  secret: freeFormSecret('the client_secret', randomBase64Url(24)),
};
