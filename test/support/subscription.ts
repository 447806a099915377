import type { Subscription } from '../../src/webhooks/subscription-row.js';

/** A subscription as the store reads it, enabled, native, with no credentials; `over` sets the rest. */
export function subscriptionRow(over: Partial<Subscription> = {}): Subscription {
  return {
    id: 'sub-1',
    accountId: 'acc-1',
    url: 'https://shop.example/hook',
    format: 'native',
    events: null,
    secret: 's',
    previousSecret: null,
    basicAuth: null,
    bearerToken: null,
    enabled: true,
    disabledReason: null,
    retryScheduleOverride: null,
    coalesceSeconds: null,
    maxInFlight: 4,
    options: {},
    tokenKind: 'account',
    authorApplicationId: null,
    failingSince: null,
    pausedUntil: null,
    removingSince: null,
    createdMs: 0,
    updatedMs: 0,
    ...over,
  };
}
