import { lockAccountRow } from '../../storage/account-lock.js';
import { AppError } from '../../errors.js';
import type { StoredEvent } from '../../events/catalog.js';
import { round } from '../../quantity.js';
import { kladanaReportPath, type KladanaReportType } from './kladana-report-link.js';
import type { WebhookFormat } from './format.js';

export const KLADANA_STOCK_TYPES = ['stock'] as const;
export const KLADANA_REPORT_TYPES = ['all', 'bystore'] as const;
export type KladanaStockType = (typeof KLADANA_STOCK_TYPES)[number];

/** Kladana (docs/formats/kladana.md): "Allowed length is up to 255 characters". */
export const KLADANA_MAX_URL = 255;
/** Kladana (docs/formats/kladana.md): per (stockType, reportType), at most 5 webhooks for users and 1 for an application. */
export const KLADANA_USER_LIMIT = 5;
export const KLADANA_APPLICATION_LIMIT = 1;

export interface KladanaOptions {
  stockType: KladanaStockType;
  reportType: KladanaReportType;
}

function oneOf<T extends string>(input: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const v = input[field];
  if (v === undefined || v === null) throw new AppError('VALIDATION_FAILED', `${field} is required for the kladana format`, { field });
  if (!(allowed as readonly unknown[]).includes(v)) {
    throw new AppError('VALIDATION_FAILED', `${field} must be one of: ${allowed.join(', ')}`, { field, allowed });
  }
  return v as T;
}

export function kladanaOptions(input: Record<string, unknown>): KladanaOptions {
  return { stockType: oneOf(input, 'stockType', KLADANA_STOCK_TYPES), reportType: oneOf(input, 'reportType', KLADANA_REPORT_TYPES) };
}

/** `?requestId=` goes after the subscriber's own query, if any; a fragment is never sent anyway. */
export function withRequestId(url: string, requestId: string): string {
  const base = url.split('#', 1)[0];
  return `${base}${base.includes('?') ? '&' : '?'}requestId=${requestId}`;
}

// Every subscription and event of one write asks about the same batch: summed once per report type.
const decided = new WeakMap<readonly StoredEvent[], Partial<Record<KladanaReportType, boolean>>>();

/**
 * Whether the events rendered together move what a report of this type shows. Its `stock` is the
 * amount, summed per product (`all`) or per product and warehouse (`bystore`): a reservation, a
 * release or an order claim moves only the reserved part, and a transfer leaves a product's total
 * as it was, so a notification for them would send the receiver to a report that shows nothing
 * new. Summed per document, so two documents that cancel each other out still both count.
 */
export function reportMoves(batch: readonly StoredEvent[], reportType: KladanaReportType): boolean {
  const known = decided.get(batch) ?? {};
  decided.set(batch, known);
  return (known[reportType] ??= sumsMove(batch, reportType));
}

function sumsMove(batch: readonly StoredEvent[], reportType: KladanaReportType): boolean {
  const sums = new Map<string, number>();
  for (const e of batch) {
    if (e.type !== 'stock.changed') continue;
    const d = e.data;
    const key = `${String(d.documentId)}:${String(d.productId)}${reportType === 'bystore' ? `:${String(d.warehouseId)}` : ''}`;
    sums.set(key, (sums.get(key) ?? 0) + Number(d.amountDelta));
  }
  for (const sum of sums.values()) if (round(sum) !== 0) return true;
  return false;
}

interface Sibling {
  id: string;
  url: string;
  tokenKind: string;
  options: Record<string, unknown>;
}

/**
 * Kladana's `webhookstock` notification (docs/formats/kladana.md): a thin `{accountId, stockType, reportType,
 * reportUrl}` sent to `url?requestId=<delivery id>` at most once per coalescing window while stock
 * changed; the receiver pulls the balances from reportUrl. 200 or 204 within 1500 ms, else 3 more
 * immediate attempts, then the notification is dropped.
 */
export const kladanaFormat: WebhookFormat = {
  name: 'kladana',
  retrySchedule: [0, 0, 0],
  jitter: false,
  timeoutMs: 1500,
  whenExhausted: 'dropped',
  protections: false,
  honoursRetryAfter: false,
  healthyAnswer: { status: 204, body: '' },
  // Kladana (docs/formats/kladana.md): "Notifications are sent to the user every 1-5 minutes if there has been a change".
  coalesce: { defaultSeconds: 60, minSeconds: 60, maxSeconds: 300 },
  takes: (event) => event.type === 'stock.changed' || event.type === 'webhook.test',
  async render(event, sub, ctx) {
    const { stockType, reportType } = sub.options as unknown as KladanaOptions;
    if (event.type === 'stock.changed' && !reportMoves(ctx.batch, reportType)) return null;
    // The window starts at the first change: later ones hit the open window's coalesce key and fold
    // into it, so the stored reportUrl keeps this time. On replay that is the first replayed event.
    const windowStart = Math.min(event.occurredAt, ctx.now);
    const body = JSON.stringify({
      accountId: ctx.account.id,
      stockType,
      reportType,
      reportUrl: ctx.publicUrl + kladanaReportPath(reportType, windowStart),
    });
    const rendered = { body, headers: { 'content-type': 'application/json' }, url: withRequestId(sub.url, ctx.deliveryId) };
    // A test event (POST /api/v1/webhooks/:id/test) goes out at once, outside the windows.
    if (event.type === 'webhook.test') return rendered;
    const windowSeconds = sub.coalesceSeconds ?? 60;
    return { ...rendered, coalesceKey: `kladana:${sub.id}`, dueAt: ctx.now + windowSeconds * 1000 };
  },
  // The vendor document signs nothing; Basic credentials toward the endpoint are added by the dispatcher.
  attemptHeaders: () => ({}),
  judge: (res) =>
    res.status === 200 || res.status === 204 ? { outcome: 'success' } : { outcome: 'retry', reason: `HTTP ${res.status}: only 200 or 204 count as received` },
  options: (input) => ({ ...kladanaOptions(input) }),
  async checkSubscription(scope, p, candidate, excludeId) {
    if (candidate.url.length > KLADANA_MAX_URL) {
      throw new AppError('VALIDATION_FAILED', `url must be at most ${KLADANA_MAX_URL} characters`, { field: 'url', maxLength: KLADANA_MAX_URL });
    }
    const { stockType, reportType } = candidate.options as unknown as KladanaOptions;
    // Two concurrent creates must not both see room for one more.
    await lockAccountRow(scope.tx, p.accountId);
    const rows = await scope.tx
      .selectFrom('webhooks')
      .select(['id', 'url', 'token_kind', 'options'])
      .where('account_id', '=', p.accountId)
      .where('format', '=', 'kladana')
      .execute();
    const all: Sibling[] = rows.map((r) => ({ id: r.id, url: r.url, tokenKind: r.token_kind, options: JSON.parse(r.options) as Record<string, unknown> }));
    const current = all.find((s) => s.id === excludeId);
    const same = all.filter((s) => s.id !== excludeId && s.options.stockType === stockType && s.options.reportType === reportType);
    if (same.some((s) => s.url === candidate.url)) {
      throw new AppError('CONFLICT', `a kladana webhook with stockType ${stockType}, reportType ${reportType} and this url already exists`, {
        field: 'url',
        existing: same.find((s) => s.url === candidate.url)?.id,
      });
    }
    // The limit belongs to whoever created the webhook, also when someone else later updates it.
    const author = current
      ? { kind: current.tokenKind, app: (current.options.authorApplicationId as number | undefined) ?? null }
      : { kind: p.tokenKind, app: p.applicationId };
    if (author.kind === 'application') {
      const mine = same.filter((s) => s.tokenKind === 'application' && ((s.options.authorApplicationId as number | undefined) ?? null) === author.app);
      if (mine.length >= KLADANA_APPLICATION_LIMIT) {
        throw new AppError('WEBHOOK_LIMIT_REACHED', `an application may have at most ${KLADANA_APPLICATION_LIMIT} webhook per stockType and reportType`, {
          stockType,
          reportType,
          limit: KLADANA_APPLICATION_LIMIT,
        });
      }
      return author.app === null ? {} : { authorApplicationId: author.app };
    }
    if (same.filter((s) => s.tokenKind !== 'application').length >= KLADANA_USER_LIMIT) {
      throw new AppError('WEBHOOK_LIMIT_REACHED', `at most ${KLADANA_USER_LIMIT} webhooks per stockType and reportType`, {
        stockType,
        reportType,
        limit: KLADANA_USER_LIMIT,
      });
    }
    return {};
  },
};
