import { beforeEach, expect, it } from 'vitest';
import { extendLeases } from '../../../src/delivery/claim.js';
import { describeEachDb } from '../../support/env.js';
import { insertAccount, insertDeliveries, insertWebhook, leases } from '../../support/store-rows.js';

/*
 * Store conformance: the lease heartbeat (claim.ts extendLeases) moves the lease of this worker's
 * pending deliveries only: another worker's lease, an unleased retry hours away, a due unclaimed
 * row and a finished row keep their due times. Moving them all would bring retries early and stall
 * every other worker's takeovers.
 */

const NOW = 1_800_000_000_000;

describeEachDb('store conformance: the lease heartbeat extends only this worker’s leases', (env) => {
  beforeEach(async () => {
    await env().store.db.deleteFrom('deliveries').execute();
  });

  it('moves this worker’s pending rows to the new expiry and leaves every other row as it was', async () => {
    const accountId = await insertAccount(env().store);
    const e = { accountId, webhookId: await insertWebhook(env().store, accountId) };
    const rows = [
      { name: 'mine', owner: 'me', status: 'pending', due: NOW + 1_000 },
      { name: 'mine, also', owner: 'me', status: 'pending', due: NOW + 2_000 },
      { name: 'another worker’s', owner: 'someone-else', status: 'pending', due: NOW + 3_000 },
      { name: 'a retry hours away', owner: null, status: 'pending', due: NOW + 3 * 3_600_000 },
      { name: 'a due, unclaimed row', owner: null, status: 'pending', due: NOW - 5_000 },
      { name: 'mine, finished', owner: 'me', status: 'succeeded', due: NOW + 4_000 },
    ] as const;
    const ids = await insertDeliveries(
      env().store,
      rows.map((r) => ({ ...e, due: r.due, owner: r.owner, status: r.status, completedMs: r.status === 'succeeded' ? NOW : null })),
    );
    const until = NOW + 60_000;
    await extendLeases(env().store, 'me', until);
    const after = await leases(env().store, ids);
    expect(rows.map((r, i) => ({ row: r.name, due: after[i]?.due, owner: after[i]?.owner, status: after[i]?.status }))).toEqual(
      rows.map((r, i) => ({ row: r.name, due: i < 2 ? until : r.due, owner: r.owner, status: r.status })),
    );
  });
});
