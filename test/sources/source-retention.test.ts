import { expect, it } from 'vitest';
import { DEFAULT_RETENTION, days } from '../../src/retention/policy.js';
import { pruneExpired } from '../../src/retention/prune.js';
import { describeEachDb } from '../support/env.js';
import { call, warehouse } from '../support/fixtures.js';
import { listening, requests, source } from './helpers.js';
import { metakocka, send } from './senders.js';

/*
 * A source's log and its remembered delivery identities expire like attempt logs and finished
 * deliveries. The requests are MetaKocka's (seed 000_7b98ce3caed45c8a.txt: X-MetaKocka-Id, -Signature).
 */

describeEachDb('sources under retention', (env) => {
  it('prunes the log after the attempts period and the delivery identities after the deliveries period, batch by batch', async () => {
    const a = await env().newAccount();
    await warehouse(env(), a, 'Main', { code: 'W1' });
    await call(env(), a, 'POST', '/api/v1/products', { title: 'P', sku: 'S1' }, 201);
    const s = await source(env(), a, { name: 'MK', format: 'metakocka', secret: 'k' });
    const base = await listening(env());
    const body = (n: string) => ({ opr_code: '0', opr_time_ms: '0', stock_list_count: '1', stock_list: [{ warehouse_id: 'W1', mk_id: '1', count_code: 'S1', code: '', title: 'P', amount: n, reserved_amount: '0', free_amount: n, unit: 'kos' }] });
    for (const [i, n] of ['1', '2', '3'].entries()) await send(base, metakocka(s.path, 'k', body(n), `mk-${i}`));
    expect(await requests(env(), a, s.id)).toHaveLength(3);
    const now = Date.now();
    // Not yet expired: nothing of the sources goes.
    const early = await pruneExpired(env().store, now + days(29), DEFAULT_RETENTION, 2);
    expect(early).toMatchObject({ source_requests: 0, source_deliveries: 0 });
    const counts = await pruneExpired(env().store, now + days(31), DEFAULT_RETENTION, 2);
    expect(counts).toMatchObject({ source_requests: 3, source_deliveries: 3 });
    expect(await requests(env(), a, s.id)).toEqual([]);
    const left = await env().store.db.selectFrom('source_deliveries').select('delivery_key').where('source_id', '=', s.id).execute();
    expect(left).toEqual([]);
  });

  it('keeps a request whose report is still to be fetched: the row is that fetch\'s only record', async () => {
    const a = await env().newAccount();
    await warehouse(env(), a, 'Main', { code: 'W1' });
    await call(env(), a, 'POST', '/api/v1/products', { title: 'P', sku: 'S1' }, 201);
    const s = await source(env(), a, { name: 'MK', format: 'metakocka', secret: 'k' });
    const base = await listening(env());
    const body = { opr_code: '0', opr_time_ms: '0', stock_list_count: '1', stock_list: [{ warehouse_id: 'W1', mk_id: '1', count_code: 'S1', code: '', title: 'P', amount: '1', reserved_amount: '0', free_amount: '1', unit: 'kos' }] };
    for (const id of ['mk-a', 'mk-b']) await send(base, metakocka(s.path, 'k', body, id));
    const [, older] = await requests(env(), a, s.id);
    // As a Kladana request waiting for its next try would stand (far in the future, so no fetcher takes it here).
    await env().store.write((tx) => tx.updateTable('source_requests').set({ fetch_due_ms: Date.now() + days(400) }).where('id', '=', older.id).execute());
    const counts = await pruneExpired(env().store, Date.now() + days(31), DEFAULT_RETENTION, 2);
    expect(counts.source_requests).toBe(1);
    expect((await requests(env(), a, s.id)).map((r) => r.id)).toEqual([older.id]);
  });
});
