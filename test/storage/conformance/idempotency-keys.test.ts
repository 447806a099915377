import { randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { findKey, insertClaim, pruneKeys, releaseKey, saveAnswer, type KeyRef } from '../../../src/http/idempotency/key-store.js';
import { describeEachDb } from '../../support/env.js';
import { finishesOrWaits, heldTransaction } from '../../support/store-rows.js';

/*
 * Store conformance: the Idempotency-Key store (http/idempotency/key-store.ts). A key is claimed by
 * one request only, per account and credential; its answer is saved on that key alone; a key is
 * released outright or only when older than a time; expired keys are pruned in batches, exactly
 * those created before the cutoff. Concurrent twins: exactly one claims.
 */

const NOW = 1_800_000_000_000;

describeEachDb('store conformance: idempotency keys', (env) => {
  beforeEach(async () => {
    await env().store.db.deleteFrom('idempotency_requests').execute();
  });

  const ref = (over: Partial<KeyRef> = {}): KeyRef => ({ accountId: 'acc_1', principal: 'p_1', key: `k_${randomBytes(4).toString('hex')}`, ...over });
  const claim = (r: KeyRef, hash: string, now = NOW, answer?: { status: number; response: string }) => env().store.write((tx) => insertClaim(tx, r, hash, now, answer));
  const find = (r: KeyRef) => findKey(env().store.db, r);
  const count = async () => Number((await env().store.db.selectFrom('idempotency_requests').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('a key is claimed once per account and credential; a twin’s claim is refused and changes nothing', async () => {
    const r = ref();
    expect(await claim(r, 'hash-1')).toBe(true);
    expect(await claim(r, 'hash-2', NOW + 5)).toBe(false);
    expect(await find(r)).toEqual({ request_hash: 'hash-1', created_ms: NOW, status_code: null, response: null });
    // The same string from another credential or another account is another key.
    expect(await claim({ ...r, principal: 'p_2' }, 'hash-3')).toBe(true);
    expect(await claim({ ...r, accountId: 'acc_2' }, 'hash-4', NOW + 1, { status: 201, response: 'sealed' })).toBe(true);
    expect(await find({ ...r, accountId: 'acc_2' })).toEqual({ request_hash: 'hash-4', created_ms: NOW + 1, status_code: 201, response: 'sealed' });
    expect(await find({ ...r, key: 'never-claimed' })).toBeUndefined();
    expect(await count()).toBe(3);
  });

  it('an answer is saved on its key only', async () => {
    const r = ref();
    await claim(r, 'hash-1');
    await claim({ ...r, principal: 'p_2' }, 'hash-2');
    await saveAnswer(env().store, r, 202, 'sealed answer');
    expect(await find(r)).toEqual({ request_hash: 'hash-1', created_ms: NOW, status_code: 202, response: 'sealed answer' });
    expect(await find({ ...r, principal: 'p_2' })).toEqual({ request_hash: 'hash-2', created_ms: NOW, status_code: null, response: null });
  });

  it('a key is released outright, or only when created before the given time; then it can be claimed again', async () => {
    const r = ref();
    // The same string from another credential: another key, untouched by r's release.
    const other = { ...r, principal: 'p_2' };
    await claim(r, 'hash-1');
    await claim(other, 'hash-2');
    await releaseKey(env().store, r, NOW);
    expect((await find(r))?.request_hash).toBe('hash-1');
    await releaseKey(env().store, r, NOW + 1);
    expect(await find(r)).toBeUndefined();
    expect((await find(other))?.request_hash).toBe('hash-2');
    await releaseKey(env().store, other);
    expect(await find(other)).toBeUndefined();
    expect(await claim(r, 'hash-3', NOW + 2)).toBe(true);
    expect(await find(r)).toEqual({ request_hash: 'hash-3', created_ms: NOW + 2, status_code: null, response: null });
  });

  it('prunes exactly the keys created before the cutoff, in batches, and counts them', async () => {
    const old = Array.from({ length: 7 }, (_, i) => ({ r: ref({ accountId: `acc_${i % 3}` }), at: NOW - 7 + i }));
    const young = [ref(), ref({ principal: 'p_2' })];
    for (const o of old) await claim(o.r, 'old', o.at);
    for (const y of young) await claim(y, 'young', NOW);
    expect(await pruneKeys(env().store, NOW, 3)).toBe(7);
    const left = await env().store.db.selectFrom('idempotency_requests').select(['account_id', 'principal', 'key', 'request_hash']).execute();
    expect(left.map((k) => [k.account_id, k.principal, k.key, k.request_hash]).sort()).toEqual(young.map((y) => [y.accountId, y.principal, y.key, 'young']).sort());
    expect(await pruneKeys(env().store, NOW, 3)).toBe(0);
  });

  it('of twins claiming at once exactly one claims; on PostgreSQL the twin waits for the holder’s commit, then finds the key taken', async () => {
    const r = ref();
    const store = env().store;
    if (store.name === 'sqlite') {
      // Both writes run in one commit group: the second's savepoint sees the first's row.
      const got = await Promise.all([claim(r, 'hash-a'), claim(r, 'hash-b')]);
      expect([...got].sort()).toEqual([false, true]);
      expect((await find(r))?.request_hash).toBe(got[0] ? 'hash-a' : 'hash-b');
      return;
    }
    const holder = await heldTransaction(store, (_s, tx) => insertClaim(tx, r, 'hash-a', NOW));
    expect(holder.value).toBe(true);
    const twin = claim(r, 'hash-b');
    let seen: string;
    try {
      seen = await finishesOrWaits(store, twin);
    } finally {
      await holder.commit();
    }
    expect([seen, await twin]).toEqual(['waits for a lock', false]);
    expect(await find(r)).toEqual({ request_hash: 'hash-a', created_ms: NOW, status_code: null, response: null });
  });
});
