import { expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';

/**
 * Concurrent writes are committed together on SQLite (one transaction, a savepoint each) and one
 * transaction each on PostgreSQL. Either way a refused document answers its own 4xx and leaves no
 * trace, and its neighbours commit with their events.
 */
describeEachDb('concurrent documents, some refused', (env) => {
  it('a refused sale among concurrent ones rolls back alone; the others commit with their events', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 5 }] });
    const before = (await call(env(), a, 'GET', '/api/v1/events', undefined, 200)).body.data.length;
    // 12 sales of one unit and 4 receipts of 10, all at once: 5 units plus whatever receipts
    // committed before a sale ran can be sold; every other sale is refused.
    const bodies = [
      ...Array.from({ length: 12 }, (_, i) => ({ type: 'sale', warehouseId: w, reference: `s${i}`, lines: [{ productId: p, quantity: 1 }] })),
      ...Array.from({ length: 4 }, (_, i) => ({ type: 'receipt', warehouseId: w, reference: `r${i}`, lines: [{ productId: p, quantity: 10 }] })),
      { type: 'sale', warehouseId: w, reference: 'huge', lines: [{ productId: p, quantity: 1000 }] },
    ];
    const res = await Promise.all(
      bodies.map((b) => env().app.inject({ method: 'POST', url: '/api/v1/documents', headers: a.auth, payload: b })),
    );
    const byRef = new Map(bodies.map((b, i) => [b.reference, res[i]]));
    expect(byRef.get('huge')?.statusCode).toBe(422);
    expect(byRef.get('huge')?.json().error.code).toBe('INSUFFICIENT_STOCK');
    for (let i = 0; i < 4; i++) expect(byRef.get(`r${i}`)?.statusCode).toBe(201);
    const sold = bodies.filter((b, i) => b.type === 'sale' && res[i].statusCode === 201);
    const refused = bodies.filter((b, i) => b.type === 'sale' && res[i].statusCode === 422);
    expect(sold.length + refused.length).toBe(13);
    expect(sold.length).toBeGreaterThanOrEqual(5);

    // Levels equal the sum of the committed documents: 5 + 40 - sold.
    const level = (await call(env(), a, 'GET', `/api/v1/stock?productId=${p}`, undefined, 200)).body.data[0];
    expect(level.amount).toBe(45 - sold.length);
    const moved = await env()
      .store.db.selectFrom('movements')
      .select((eb) => eb.fn.sum<number>('amount_delta').as('s'))
      .where('account_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(Number(moved.s)).toBe(45 - sold.length);

    // Each committed document has its events; a refused one has none, and no document row.
    const events = (await call(env(), a, 'GET', `/api/v1/events?after=0&limit=500`, undefined, 200)).body.data.slice(before);
    const posted = events.filter((e: any) => e.type === 'document.posted').map((e: any) => e.data.document.reference).sort();
    expect(posted).toEqual([...sold.map((b) => b.reference), 'r0', 'r1', 'r2', 'r3'].sort());
    expect(events.filter((e: any) => e.type === 'stock.changed')).toHaveLength(sold.length + 4);
    const docs = await env().store.db.selectFrom('documents').select('reference').where('account_id', '=', a.id).execute();
    expect(docs.map((d) => d.reference).sort()).toEqual([null, ...posted].sort((x, y) => String(x).localeCompare(String(y))));
    // Event numbers stay gapless and in commit order.
    const seqs = events.map((e: any) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x: number, y: number) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
