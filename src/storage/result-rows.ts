import type { Selectable } from 'kysely';
import type { AttemptTable } from './schema.js';

/** One attempt's row in the attempt log. */
export type AttemptRow = Omit<Selectable<AttemptTable>, 'id'>;

/** A delivery's new state after an attempt. */
export interface DeliveryResultRow {
  id: string;
  status: string;
  attempts: number;
  nextMs: number;
  code: number | null;
  err: string | null;
  done: number | null;
  owner: string;
}

/**
 * A subscription being removed (webhooks.removing_ms) whose last delivery this batch ends. The
 * store deletes it, and cancels anything else still waiting for it, only while this batch's owner
 * still leases that delivery: a result that loses its lease removes nothing either.
 */
export interface SubscriptionRemoval {
  webhookId: string;
  deliveryId: string;
}

/**
 * A batch of attempt results as the store writes it (Store.writeResults). `failing` and `healthy`
 * (subscription ids) are disjoint: one statement must not update a row twice. `attempts` may hold
 * several rows of one delivery (tries made at once under one lease), `states` one per delivery.
 */
export interface ResultBatch {
  owner: string;
  now: number;
  attempts: AttemptRow[];
  states: DeliveryResultRow[];
  failing: string[];
  healthy: string[];
  /** Subscriptions that end with this batch; usually none (absent: none). */
  removals?: SubscriptionRemoval[];
}
