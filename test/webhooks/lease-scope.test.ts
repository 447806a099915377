import { expect, it } from 'vitest';
import { extendLeases } from '../../src/delivery/claim.js';
import { timeOrderedId } from '../../src/storage/time-ordered-id.js';
import { describeEachDb } from '../support/env.js';
import { call } from '../support/fixtures.js';

/**
 * The heartbeat (claim.ts extendLeases) moves the lease of this worker's pending deliveries only:
 * another worker's lease, an unleased retry hours away and a finished row keep their due times.
 * Moving them all would bring retries early and stall every other worker's takeovers.
 */
describeEachDb('the lease heartbeat extends only this worker’s leases', (env) => {
  it('moves this worker’s pending rows to the new expiry and leaves every other row as it was', async () => {
    const a = await env().newAccount();
    const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['document.posted'] }, 201)).body;
    const now = Date.now();
    const rows = [
      { name: 'mine', owner: 'me', status: 'pending', due: now + 1_000 },
      { name: 'mine, also', owner: 'me', status: 'pending', due: now + 2_000 },
      { name: 'another worker’s', owner: 'someone-else', status: 'pending', due: now + 3_000 },
      { name: 'a retry hours away', owner: null, status: 'pending', due: now + 3 * 3_600_000 },
      { name: 'a due, unclaimed row', owner: null, status: 'pending', due: now - 5_000 },
      { name: 'mine, finished', owner: 'me', status: 'succeeded', due: now + 4_000 },
    ] as const;
    const ids = rows.map(() => timeOrderedId());
    await env()
      .store.db.insertInto('deliveries')
      .values(
        rows.map((r, i) => ({
          id: ids[i],
          account_id: a.id,
          webhook_id: sub.id,
          event_id: null,
          event_type: 'document.posted',
          status: r.status,
          attempts: 0,
          next_attempt_ms: r.due,
          lease_owner: r.owner,
          coalesce_key: null,
          url: 'http://127.0.0.1:9/x',
          headers: '{}',
          body: '{}',
          last_status_code: null,
          last_error: null,
          created_ms: now,
          completed_ms: r.status === 'succeeded' ? now : null,
        })),
      )
      .execute();
    const until = now + 60_000;
    await extendLeases(env().store, 'me', until);
    const found = await env().store.db.selectFrom('deliveries').select(['id', 'next_attempt_ms', 'lease_owner']).where('id', 'in', ids).execute();
    const after = ids.map((id) => found.find((f) => f.id === id)!);
    expect(rows.map((r, i) => ({ row: r.name, due: Number(after[i].next_attempt_ms), owner: after[i].lease_owner }))).toEqual(
      rows.map((r, i) => ({ row: r.name, due: i < 2 ? until : r.due, owner: r.owner })),
    );
  });
});
