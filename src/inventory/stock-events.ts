import { round } from '../quantity.js';
import type { NewEvent } from '../events/catalog.js';
import type { AppliedChange } from './ledger.js';
import { levelKey } from './ledger.js';
import { keyView } from './stock-key.js';

/** What caused a stock change, carried on the event so receivers can tell a sale from a return. */
export interface StockCause {
  documentId: number | null;
  documentType: string | null;
  /** True when the change cancels an earlier document. */
  reversal?: boolean;
  reference?: string | null;
  outboundOrderId?: number;
}

/**
 * `stock.changed`: the key, its new totals, the deltas, and the key's version. The version grows by
 * one on every change of the key, so a receiver can drop an update older than one it already has.
 */
export function stockChanged(c: AppliedChange, cause: StockCause): NewEvent {
  const l = c.level;
  const amount = Number(l.amount);
  const reserved = Number(l.reserved);
  return {
    type: 'stock.changed',
    object: 'stock',
    objectId: l.product_id,
    action: 'changed',
    data: {
      ...keyView(levelKey(l)),
      amount,
      reserved,
      free: round(amount - reserved),
      amountDelta: c.amountDelta,
      reservedDelta: c.reservedDelta,
      version: Number(l.version),
      documentId: cause.documentId,
      documentType: cause.documentType,
      reversal: cause.reversal ?? false,
      reference: cause.reference ?? null,
      ...(cause.outboundOrderId !== undefined && { outboundOrderId: cause.outboundOrderId }),
    },
  };
}
