/**
 * The canonical event types (docs/api/requests.md, "Events"). Formats translate these; nothing else
 * invents event names.
 */
export const EVENT_TYPES = [
  'stock.changed',
  'product.created',
  'product.updated',
  'product.deleted',
  'warehouse.created',
  'warehouse.updated',
  'warehouse.deleted',
  'document.posted',
  'document.cancelled',
  'outbound_order.updated',
  'stock_item.created',
  'stock_item.updated',
  'stock_item.released_for_shipment',
  'application.installed',
  'application.uninstalled',
  'webhook.test',
  'webhook.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** An event as a domain operation hands it to the outbox. */
export interface NewEvent {
  type: EventType;
  /** The object kind and action, as Poster names them (stock/changed, product/added, ...). */
  object: string;
  objectId: string | number;
  action: 'added' | 'changed' | 'removed' | 'transformed' | string;
  data: Record<string, unknown>;
}

/** An event as it was committed. */
export interface StoredEvent {
  id: string;
  accountId: string;
  /** Null when written on PostgreSQL: numbered after commit (storage/postgres/event-sequencer.ts). */
  seq: number | null;
  type: EventType;
  object: string;
  objectId: string;
  action: string;
  occurredAt: number;
  data: Record<string, unknown>;
}
