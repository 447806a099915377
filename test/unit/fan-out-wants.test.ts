import { describe, expect, it } from 'vitest';
import type { EventType, StoredEvent } from '../../src/events/catalog.js';
import { wants } from '../../src/delivery/fan-out.js';
import type { Subscription } from '../../src/webhooks/subscription-row.js';
import { subscriptionRow } from '../support/subscription.js';

/*
 * Which subscription gets which event (fan-out.ts wants()), checked directly: the end-to-end tests
 * reach each rule through one delivery that arrives or not, and a rule no test's story crosses
 * could break unnoticed.
 */

const T = 1_800_000_000_000;

const sub = (over: Partial<Subscription> = {}): Subscription => subscriptionRow({ createdMs: T - 1000, updatedMs: T - 1000, ...over });

const event = (type: EventType, over: Partial<StoredEvent> = {}): StoredEvent => ({
  id: `ev-${type}`,
  accountId: 'acc-1',
  seq: 1,
  type,
  object: 'document',
  objectId: '1',
  action: 'posted',
  occurredAt: T,
  data: {},
  ...over,
});

describe('fan-out: which subscription wants which event', () => {
  it('a subscription takes the event types it lists, every type when it lists none', () => {
    expect(wants(sub(), event('document.posted'))).toBe(true);
    expect(wants(sub({ events: ['stock.changed'] }), event('document.posted'))).toBe(false);
    expect(wants(sub({ events: ['stock.changed'] }), event('stock.changed'))).toBe(true);
    // The format has the last word: MetaKocka takes stock changes only.
    expect(wants(sub({ format: 'metakocka' }), event('document.posted'))).toBe(false);
  });

  it('webhook.test goes to the subscription it names, whatever that one lists, and to no other', () => {
    const test = event('webhook.test', { data: { webhookId: 'sub-1' } });
    expect(wants(sub({ events: ['stock.changed'] }), test)).toBe(true);
    expect(wants(sub({ id: 'sub-2' }), test)).toBe(false);
    // Named, but its format has no test message.
    expect(wants(sub({ format: 'metakocka' }), test)).toBe(false);
  });

  it('webhook.disabled never goes to the subscription it is about; the account’s other subscriptions hear of it', () => {
    const disabled = event('webhook.disabled', { data: { webhookId: 'sub-1' } });
    expect(wants(sub(), disabled)).toBe(false);
    expect(wants(sub({ id: 'sub-2' }), disabled)).toBe(true);
  });

  it("a change a source booked is not echoed to that source's own system; other subscriptions get it", () => {
    const booked = event('stock.changed', { data: { origin: { noEchoTo: ['sub-1'] } } });
    expect(wants(sub(), booked)).toBe(false);
    expect(wants(sub({ id: 'sub-2' }), booked)).toBe(true);
    expect(wants(sub(), event('stock.changed', { data: { origin: { noEchoTo: 'sub-1' } } }))).toBe(true);
  });

  it('a subscription being removed takes only the uninstall that marked it: same time, same application', () => {
    const removing = sub({ removingSince: T, authorApplicationId: 7 });
    const uninstall = (over: Partial<StoredEvent>) => event('application.uninstalled', { objectId: '7', ...over });
    expect(wants(removing, uninstall({}))).toBe(true);
    expect(wants(removing, uninstall({ occurredAt: T + 1 }))).toBe(false);
    expect(wants(removing, uninstall({ objectId: '8' }))).toBe(false);
    expect(wants(removing, event('document.posted'))).toBe(false);
    // Another event of the uninstall's transaction (same time) whose object id happens to match.
    expect(wants(removing, event('document.posted', { objectId: '7' }))).toBe(false);
    // Not being removed: an uninstall is an event like any other.
    expect(wants(sub({ authorApplicationId: 7 }), uninstall({ occurredAt: T + 1 }))).toBe(true);
  });
});
