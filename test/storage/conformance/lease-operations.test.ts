import { expect, it } from 'vitest';
import { cancelClaim, claimDue, nextDueAt, pushBackPending, releaseClaims } from '../../../src/delivery/claim.js';
import { timeOrderedId } from '../../../src/storage/time-ordered-id.js';
import { describeEachDb } from '../../support/env.js';
import { call } from '../../support/fixtures.js';

/**
 * The lease operations of claim.ts beyond the heartbeat (conformance/heartbeat.test.ts): what a
 * claim takes and leaves, what releasing and cancelling touch, and what an open breaker pushes back.
 */
describeEachDb('lease operations', (env) => {
  /** Pending rows of one subscription, due at the given times, owned as given; returns their ids in order. */
  async function seed(
    accountId: string,
    subscriptionId: string,
    rows: Array<{ due: number; owner?: string | null; status?: 'pending' | 'succeeded'; key?: string | null }>,
  ): Promise<string[]> {
    const ids = rows.map(() => timeOrderedId());
    const now = Date.now();
    for (let i = 0; i < rows.length; i += 200) {
      await env()
        .store.db.insertInto('deliveries')
        .values(
          rows.slice(i, i + 200).map((r, j) => ({
            id: ids[i + j],
            account_id: accountId,
            webhook_id: subscriptionId,
            event_id: null,
            event_type: 'document.posted',
            status: r.status ?? 'pending',
            attempts: 2,
            next_attempt_ms: r.due,
            lease_owner: r.owner ?? null,
            coalesce_key: r.key ?? null,
            url: 'http://127.0.0.1:9/x',
            headers: '{"x-n":"' + String(i + j) + '"}',
            body: '{"n":' + String(i + j) + '}',
            last_status_code: null,
            last_error: null,
            created_ms: 1_000 + i + j,
            completed_ms: r.status === 'succeeded' ? now : null,
          })),
        )
        .execute();
    }
    return ids;
  }

  async function state(ids: string[]) {
    const found = await env()
      .store.db.selectFrom('deliveries')
      .select(['id', 'status', 'next_attempt_ms', 'lease_owner', 'coalesce_key', 'completed_ms', 'last_error'])
      .where('id', 'in', ids)
      .execute();
    return ids.map((id) => {
      const f = found.find((r) => r.id === id)!;
      return { due: Number(f.next_attempt_ms), owner: f.lease_owner, status: f.status, key: f.coalesce_key, completed: f.completed_ms == null ? null : Number(f.completed_ms), error: f.last_error };
    });
  }

  it('a claim leases the due pending rows in due order up to its limit, leaving out excluded endpoints and accounts', async () => {
    const a = await env().newAccount();
    const b = await env().newAccount();
    const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/a', events: ['document.posted'] }, 201)).body;
    const other = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/b', events: ['document.posted'] }, 201)).body;
    const bsub = (await call(env(), b, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/c', events: ['document.posted'] }, 201)).body;
    // A clock far ahead of every other test's rows, so only these are due relative to each other.
    const now = Date.now() + 10 * 365 * 86_400_000;
    const [late, early, future, done] = await seed(a.id, sub.id, [
      { due: now - 10, key: 'k1' },
      { due: now - 20 },
      { due: now + 1 },
      { due: now - 30, status: 'succeeded' },
    ]);
    const [excludedSub] = await seed(a.id, other.id, [{ due: now - 40 }]);
    const [excludedAccount] = await seed(b.id, bsub.id, [{ due: now - 50 }]);
    const all = [late, early, future, done, excludedSub, excludedAccount];
    // Rows other tests of this file left due are older still: exclude them by their accounts.
    const stale = (await env().store.db.selectFrom('deliveries').select('account_id').where('status', '=', 'pending').where('id', 'not in', all).execute()).map((r) => r.account_id);
    const claimed = await claimDue(env().store, { owner: 'w1', limit: 1, now, leaseMs: 5_000, subscriptions: [other.id], accounts: [b.id, ...stale] });
    expect(claimed.map((c) => c.id)).toEqual([early]);
    expect(claimed[0]).toEqual({
      id: early,
      accountId: a.id,
      subscriptionId: sub.id,
      eventId: null,
      eventType: 'document.posted',
      attempts: 2,
      url: 'http://127.0.0.1:9/x',
      headers: expect.objectContaining({}) as Record<string, string>,
      body: expect.stringMatching(/^\{"n":\d+\}$/) as string,
      createdMs: expect.any(Number) as number,
    });
    expect(typeof claimed[0].headers['x-n']).toBe('string');
    const next = await claimDue(env().store, { owner: 'w2', limit: 10, now, leaseMs: 5_000, subscriptions: [other.id], accounts: [b.id, ...stale] });
    expect(next.map((c) => c.id)).toEqual([late]);
    expect(await state(all)).toEqual([
      { due: now + 5_000, owner: 'w2', status: 'pending', key: null, completed: null, error: null },
      { due: now + 5_000, owner: 'w1', status: 'pending', key: null, completed: null, error: null },
      { due: now + 1, owner: null, status: 'pending', key: null, completed: null, error: null },
      { due: now - 30, owner: null, status: 'succeeded', key: null, completed: expect.any(Number) as number, error: null },
      { due: now - 40, owner: null, status: 'pending', key: null, completed: null, error: null },
      { due: now - 50, owner: null, status: 'pending', key: null, completed: null, error: null },
    ]);
    // With nothing left out, the excluded rows are claimed (RETURNING gives no order: compare as sets).
    const rest = await claimDue(env().store, { owner: 'w3', limit: 10, now, leaseMs: 5_000, subscriptions: [], accounts: stale });
    expect(rest.map((c) => c.id).sort()).toEqual([excludedAccount, excludedSub].sort());
    // The next due time after now is the future row's, not the leases (they are later) nor anything past.
    expect(await nextDueAt(env().store, now)).toBe(now + 1);
    expect(await nextDueAt(env().store, now + 1)).toBe(now + 5_000);
    expect(await nextDueAt(env().store, now + 5_000)).toBe(null);
    await env().store.db.deleteFrom('deliveries').where('id', 'in', all).execute();
  });

  it('releasing gives back only this worker’s pending rows, in batches beyond 500, without spending an attempt', async () => {
    const a = await env().newAccount();
    const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/r', events: ['document.posted'] }, 201)).body;
    const now = Date.now();
    const mine = await seed(a.id, sub.id, Array.from({ length: 1_001 }, () => ({ due: now + 60_000, owner: 'me' })));
    const [theirs, finished] = await seed(a.id, sub.id, [
      { due: now + 60_000, owner: 'someone-else' },
      { due: now + 60_000, owner: 'me', status: 'succeeded' },
    ]);
    await releaseClaims(env().store, 'me', [...mine, theirs, finished], now + 7);
    const after = await state([...mine, theirs, finished]);
    expect(after.slice(0, 1_001).every((r) => r.due === now + 7 && r.owner === null && r.status === 'pending')).toBe(true);
    expect(after.slice(1_001).map((r) => [r.due, r.owner, r.status])).toEqual([
      [now + 60_000, 'someone-else', 'pending'],
      [now + 60_000, 'me', 'succeeded'],
    ]);
    const attempts = await env().store.db.selectFrom('deliveries').select('attempts').where('id', 'in', mine.slice(0, 3)).execute();
    expect(attempts.map((r) => r.attempts)).toEqual([2, 2, 2]);
    await env().store.db.deleteFrom('deliveries').where('webhook_id', '=', sub.id).execute();
  });

  it('an open breaker pushes back only its endpoint’s unleased pending rows due before it reopens; a cancel ends only this worker’s claim', async () => {
    const a = await env().newAccount();
    const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/p', events: ['document.posted'] }, 201)).body;
    const other = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/q', events: ['document.posted'] }, 201)).body;
    const now = Date.now();
    const until = now + 30_000;
    const ids = await seed(a.id, sub.id, [
      { due: now - 1 },
      { due: now + 40_000 },
      { due: now + 5_000, owner: 'me' },
      { due: now - 1, status: 'succeeded' },
    ]);
    const [otherRow] = await seed(a.id, other.id, [{ due: now - 1 }]);
    await pushBackPending(env().store, sub.id, until);
    expect((await state([...ids, otherRow])).map((r) => r.due)).toEqual([until, now + 40_000, now + 5_000, now - 1, now - 1]);

    await cancelClaim(env().store, 'someone-else', ids[2], 'uninstalled', now);
    expect((await state([ids[2]]))[0]).toMatchObject({ status: 'pending', owner: 'me', completed: null, error: null });
    await cancelClaim(env().store, 'me', ids[2], 'uninstalled', now);
    expect((await state([ids[2]]))[0]).toMatchObject({ status: 'cancelled', owner: null, completed: now, error: 'uninstalled' });
    // A row no longer pending is not cancelled over its result.
    await cancelClaim(env().store, 'me', ids[3], 'uninstalled', now + 1);
    expect((await state([ids[3]]))[0]).toMatchObject({ status: 'succeeded', error: null });
    await env().store.db.deleteFrom('deliveries').where('account_id', '=', a.id).execute();
  });
});
