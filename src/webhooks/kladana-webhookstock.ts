import type { Principal } from '../accounts/tokens.js';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import type { KladanaOptions } from './formats/kladana.js';
import { applicationMeta, employeeMeta, MEDIA_TYPE, type Meta } from './kladana-hrefs.js';
import { findSubscription, listSubscriptions, type Subscription } from './subscription-row.js';
import { createSubscriptionIn, deleteSubscriptionIn, updateSubscriptionIn, type SubscriptionInput } from './subscriptions.js';

/**
 * Kladana's `webhookstock` entity (docs/formats/kladana.md) over stockhook's subscriptions: every webhookstock is a
 * subscription of format `kladana`, so the same rules, delivery log and /api/v1/webhooks apply.
 */
export const WEBHOOKSTOCK_PATH = '/api/remap/1.2/entity/webhookstock';

export interface WebhookStockEntity {
  meta: Meta;
  authorApplication?: { meta: Meta };
  id: string;
  accountId: string;
  stockType: string;
  reportType: string;
  url: string;
  enabled: boolean;
}

/** A create (no meta.href) or an update (meta.href names the webhook) as a client sends it. */
export interface WebhookStockInput {
  id?: string;
  url?: string;
  stockType?: string;
  reportType?: string;
  enabled?: boolean;
}

export const entityMeta = (base: string, id?: string): Meta => ({
  href: id === undefined ? `${base}${WEBHOOKSTOCK_PATH}` : `${base}${WEBHOOKSTOCK_PATH}/${id}`,
  metadataHref: `${base}${WEBHOOKSTOCK_PATH}/metadata`,
  type: 'webhookstock',
  mediaType: MEDIA_TYPE,
});

export function toEntity(s: Subscription, base: string): WebhookStockEntity {
  const o = s.options as unknown as KladanaOptions & { authorApplicationId?: number };
  return {
    meta: entityMeta(base, s.id),
    // Only what an application token created carries its author (Kladana (docs/formats/kladana.md): read only).
    ...(s.tokenKind === 'application' &&
      o.authorApplicationId !== undefined && {
        authorApplication: { meta: applicationMeta(base, o.authorApplicationId) },
      }),
    id: s.id,
    accountId: s.accountId,
    stockType: o.stockType,
    reportType: o.reportType,
    url: s.url,
    enabled: s.enabled,
  };
}

const invalid = (field: string, message: string) => new AppError('VALIDATION_FAILED', `${field} ${message}`, { field });

/** The id in a `meta.href` such as `https://host/api/remap/1.2/entity/webhookstock/<id>`. */
export function idFromHref(href: unknown, field: string): string {
  const m = typeof href === 'string' ? /\/entity\/webhookstock\/([^/?#]+)\/?(?:[?#].*)?$/.exec(href) : null;
  const hint = 'must be a webhookstock href (…/entity/webhookstock/<id>)';
  if (!m || m[1] === 'metadata') throw invalid(field, hint);
  try {
    return decodeURIComponent(m[1]);
  } catch {
    // A malformed escape (%E0%A4%A) is the client's mistake, not a 500.
    throw invalid(field, `${hint}; it has a malformed percent-escape`);
  }
}

/**
 * What an item may carry: the writable fields, and the read-only ones of the entity as a client
 * read it (seed 001's own bulk examples send `meta` whole), which are ignored. Anything else is a
 * mistake worth a 400, such as a misspelt `reportType`.
 */
const ITEM_FIELDS = new Set(['meta', 'url', 'stockType', 'reportType', 'enabled', 'id', 'accountId', 'authorApplication']);
const META_FIELDS = new Set(['href', 'metadataHref', 'type', 'mediaType']);

function onlyKnown(r: Record<string, unknown>, known: Set<string>, name: (f: string) => string): void {
  for (const k of Object.keys(r)) if (!known.has(k)) throw invalid(name(k), 'is not a known field');
}

/** Checks one item's shape; the values (enums, url rules) are checked by the kladana format. */
export function parseItem(raw: unknown, at = ''): WebhookStockInput {
  const name = (f: string) => (at ? `${at}.${f}` : f);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(at || 'body', 'must be an object');
  const r = raw as Record<string, unknown>;
  onlyKnown(r, ITEM_FIELDS, name);
  const out: WebhookStockInput = {};
  if (r.meta !== undefined) {
    if (r.meta === null || typeof r.meta !== 'object' || Array.isArray(r.meta)) throw invalid(name('meta'), 'must be an object');
    onlyKnown(r.meta as Record<string, unknown>, META_FIELDS, (f) => name(`meta.${f}`));
    out.id = idFromHref((r.meta as Record<string, unknown>).href, name('meta.href'));
  }
  for (const f of ['url', 'stockType', 'reportType'] as const) {
    if (r[f] === undefined) continue;
    if (typeof r[f] !== 'string') throw invalid(name(f), 'must be a string');
    out[f] = r[f];
  }
  if (r.enabled !== undefined) {
    if (typeof r.enabled !== 'boolean') throw invalid(name('enabled'), 'must be a boolean');
    out.enabled = r.enabled;
  }
  return out;
}

export function parseItems(raw: unknown): WebhookStockInput[] {
  if (!Array.isArray(raw)) throw invalid('body', 'must be an array');
  if (raw.length === 0) throw invalid('body', 'must not be empty');
  if (raw.length > 1000) throw invalid('body', 'must have at most 1000 items');
  return raw.map((x, i) => parseItem(x, `[${i}]`));
}

async function findKladana(db: Db | Tx, p: Principal, id: string): Promise<Subscription> {
  try {
    const s = await findSubscription(db, p, id);
    if (s.format === 'kladana') return s;
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'NOT_FOUND')) throw err;
  }
  throw notFound('webhookstock', id);
}

function requirePaid(p: Principal): void {
  if (p.plan !== 'paid') throw new AppError('PLAN_FORBIDS_WEBHOOKS', 'the free plan cannot create, change or delete webhooks');
}

/** Only the fields the client sent: an undefined key would erase a stored option on update. */
function changes(item: WebhookStockInput): Partial<SubscriptionInput> {
  const out: Record<string, unknown> = {};
  for (const f of ['url', 'stockType', 'reportType', 'enabled'] as const) if (item[f] !== undefined) out[f] = item[f];
  return out as Partial<SubscriptionInput>;
}

async function saveIn(scope: WriteScope, ctx: Ctx, p: Principal, item: WebhookStockInput): Promise<Subscription> {
  if (item.id !== undefined) {
    await findKladana(scope.tx, p, item.id);
    return updateSubscriptionIn(scope, ctx, p, item.id, changes(item));
  }
  if (item.url === undefined) throw invalid('url', 'is required');
  return createSubscriptionIn(scope, ctx, p, { ...changes(item), url: item.url, format: 'kladana', events: null });
}

/** Creates and updates in ONE transaction: any refused item leaves every webhook as it was. */
export async function saveWebhookStocks(ctx: Ctx, p: Principal, items: WebhookStockInput[], labelled: boolean): Promise<WebhookStockEntity[]> {
  requirePaid(p);
  const { result } = await writeTx(ctx, p.accountId, async (scope) => {
    const saved: Subscription[] = [];
    for (const [i, item] of items.entries()) {
      try {
        saved.push(await saveIn(scope, ctx, p, item));
      } catch (err) {
        if (!labelled || !(err instanceof AppError)) throw err;
        const details = err.details && typeof err.details === 'object' ? err.details : {};
        throw new AppError(err.code, `[${i}]: ${err.message}`, { ...details, index: i });
      }
    }
    return saved;
  });
  return result.map((s) => toEntity(s, ctx.settings.publicUrl));
}

export async function updateWebhookStock(ctx: Ctx, p: Principal, id: string, item: WebhookStockInput): Promise<WebhookStockEntity> {
  const [entity] = await saveWebhookStocks(ctx, p, [{ ...item, id }], false);
  return entity;
}

export async function getWebhookStock(ctx: Ctx, p: Principal, id: string): Promise<WebhookStockEntity> {
  return toEntity(await findKladana(ctx.store.db, p, id), ctx.settings.publicUrl);
}

export async function listWebhookStocks(ctx: Ctx, p: Principal, page: { limit: number; offset: number }) {
  const base = ctx.settings.publicUrl;
  const all = await listSubscriptions(ctx.store.db, p, { format: 'kladana' });
  return {
    context: { employee: { meta: employeeMeta(base) } },
    meta: { ...entityMeta(base), size: all.length, limit: page.limit, offset: page.offset },
    rows: all.slice(page.offset, page.offset + page.limit).map((s) => toEntity(s, base)),
  };
}

/** Deletes in ONE transaction; an unknown id refuses the whole request. */
export async function deleteWebhookStocks(ctx: Ctx, p: Principal, ids: string[]): Promise<Array<{ info: string }>> {
  requirePaid(p);
  // Each id once, at its first position (the error names that index). Decided before the write:
  // a write function may run more than once (a group commit's retry), so it keeps no state outside.
  const first = new Map<string, number>();
  for (const [i, id] of ids.entries()) if (!first.has(id)) first.set(id, i);
  await writeTx(ctx, p.accountId, async (scope) => {
    for (const [id, i] of first) {
      try {
        await findKladana(scope.tx, p, id);
      } catch (err) {
        // The index lets the Kladana error shape answer per item of a bulk delete.
        if (ids.length === 1 || !(err instanceof AppError)) throw err;
        throw new AppError(err.code, `[${i}]: ${err.message}`, { ...(err.details as object), index: i });
      }
      await deleteSubscriptionIn(scope, p, id);
    }
  });
  return [...first.keys()].map((id) => ({ info: `Entity 'webhookstock' with UUID: ${id} successfully deleted` }));
}

/**
 * What a `metadataHref` stockhook hands out answers: Kladana's metadata object for the entity
 * (docs/formats/kladana.md). stockhook has no custom attributes, so `attributes` is empty.
 */
export function entityMetadata(base: string, entity: 'webhookstock' | 'employee' | 'application') {
  return {
    meta: { href: `${base}/api/remap/1.2/entity/${entity}/metadata`, mediaType: MEDIA_TYPE },
    attributes: [],
    createShared: false,
  };
}
