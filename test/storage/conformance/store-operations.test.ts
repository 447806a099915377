import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { applyToKey, recordMovements, type AppliedChange } from '../../../src/inventory/ledger.js';
import { ledgerRows, type LineValues } from '../../../src/storage/ledger-rows.js';
import { describeEachDb } from '../../support/env.js';
import { insertAccount } from '../../support/store-rows.js';

/*
 * Store conformance: the operations whose statements differ per database (storage/sqlite/,
 * storage/postgres/). Whichever statements a store runs, a document comes back as stored with its
 * lines in line order, a stock change either applies whole or leaves nothing, each change has
 * exactly one movement, and the store answers the questions the engine asks of it.
 */

const NOW = 1_800_000_000_000;

const head = (accountId: string, reference: string) => ({
  accountId,
  type: 'receipt',
  warehouseId: 11,
  toWarehouseId: null,
  reference,
  source: null,
  author: 'user',
  now: NOW,
});
const line = (productId: number, quantity: number, parts: Partial<LineValues> = {}): LineValues => ({
  productId,
  size: '',
  lot: '',
  expiry: '',
  serial: '',
  location: '',
  quantity,
  ...parts,
});
const KEY = { warehouseId: 11, productId: 7, size: 'M', lot: 'L1', expiry: '', serial: '', location: '' };

describeEachDb('store conformance: documents, stock changes and the store’s answers', (env) => {
  it('inserts a document with one line, or several, and returns both as stored, the lines in line order', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    for (const lines of [[line(7, 2.5, { size: 'M', lot: 'L1' })], [line(9, 1), line(7, 3, { serial: 'S1' }), line(8, 0.25)]]) {
      const posted = await store.transaction((tx) => ledgerRows(tx).insertDocument(tx, head(accountId, `r${lines.length}`), lines));
      const doc = await store.db.selectFrom('documents').selectAll().where('id', '=', posted.doc.id).executeTakeFirstOrThrow();
      const stored = await store.db.selectFrom('document_lines').selectAll().where('document_id', '=', posted.doc.id).orderBy('line_no').execute();
      expect(posted.doc).toEqual(doc);
      expect(posted.lines).toEqual(stored);
      expect(doc).toMatchObject({ account_id: accountId, type: 'receipt', warehouse_id: 11, to_warehouse_id: null, reference: `r${lines.length}` });
      expect(doc).toMatchObject({ status: 'posted', reverses_id: null, reversed_by_id: null, source: null, author: 'user', created_ms: NOW });
      expect(stored.map((l) => [l.line_no, l.product_id, l.size, l.lot, l.serial, l.quantity])).toEqual(
        lines.map((l, i) => [i + 1, l.productId, l.size, l.lot, l.serial, l.quantity]),
      );
    }
  });

  it('applies a stock change whole or not at all, with exactly one movement per applied change', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const post = (changes: Array<[amount: number, reserved: number]>, documentId: number) =>
      store.transaction(async (tx) => {
        const applied: AppliedChange[] = [];
        for (const [a, r] of changes) applied.push(await applyToKey(tx, accountId, KEY, { amountDelta: a, reservedDelta: r }, NOW, documentId));
        await recordMovements(tx, accountId, documentId, applied, NOW);
        return applied.map((c) => [c.level.amount, c.level.reserved, c.level.version]);
      });
    expect(await post([[5, 0]], 1)).toEqual([[5, 0, 1]]);
    expect(await post([[3, 0], [0, 2]], 2)).toEqual([[8, 0, 2], [8, 2, 3]]);
    // Free stock is 6: taking 7 is refused and the document's earlier change rolls back with it.
    await expect(post([[-1, 0], [-7, 0]], 3)).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    await expect(post([[0, -3]], 4)).rejects.toBeInstanceOf(AppError);
    expect(await post([[-2, -2]], 5)).toEqual([[6, 0, 4]]);
    const level = await store.db.selectFrom('stock_levels').selectAll().where('account_id', '=', accountId).execute();
    expect(level.map((l) => [l.amount, l.reserved, l.version, l.size, l.lot])).toEqual([[6, 0, 4, 'M', 'L1']]);
    const moves = await store.db
      .selectFrom('movements')
      .select(['document_id', 'amount_delta', 'reserved_delta', 'stock_level_id', 'created_ms'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute();
    expect(moves).toEqual(
      [
        [1, 5, 0],
        [2, 3, 0],
        [2, 0, 2],
        [5, -2, -2],
      ].map(([d, a, r]) => ({ document_id: d, amount_delta: a, reserved_delta: r, stock_level_id: level[0].id, created_ms: NOW })),
    );
  });

  it('a change may leave exactly nothing free, and then exactly nothing: the guard refuses only what goes below zero', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const change = (a: number, r: number) =>
      store.transaction(async (tx) => {
        // No document given: the store writes no movement with the change, the caller records it.
        const c = await applyToKey(tx, accountId, KEY, { amountDelta: a, reservedDelta: r }, NOW);
        await recordMovements(tx, accountId, 9, [c], NOW);
        return [c.level.amount, c.level.reserved];
      });
    expect(await change(0.3, 0)).toEqual([0.3, 0]);
    // All of it reserved: free is exactly 0.
    expect(await change(0, 0.3)).toEqual([0.3, 0.3]);
    await expect(change(0, 0.1)).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    // Shipped whole: amount and reserved exactly 0.
    expect(await change(-0.3, -0.3)).toEqual([0, 0]);
    await expect(change(-0.1, 0)).rejects.toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    const moves = await store.db.selectFrom('movements').select(['amount_delta', 'reserved_delta']).where('account_id', '=', accountId).orderBy('id').execute();
    expect(moves.map((m) => [m.amount_delta, m.reserved_delta])).toEqual([
      [0.3, 0],
      [0, 0.3],
      [-0.3, -0.3],
    ]);
  });

  it('tells a unique violation from other errors', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const duplicate = await store.db
      .insertInto('accounts')
      .values({ id: accountId, number: 1, slug: `${accountId}-2`, name: 'x', plan: 'paid', event_seq: 0, created_ms: 0 })
      .execute()
      .catch((e: unknown) => e);
    expect(store.isUniqueViolation(duplicate)).toBe(true);
    // A taken slug breaks a unique index, not the primary key: SQLite names the two apart.
    const takenSlug = await store.db
      .insertInto('accounts')
      .values({ id: `${accountId}-2`, number: 2_000_000_001, slug: accountId, name: 'x', plan: 'paid', event_seq: 0, created_ms: 0 })
      .execute()
      .catch((e: unknown) => e);
    expect(takenSlug).toBeInstanceOf(Error);
    expect(store.isUniqueViolation(takenSlug)).toBe(true);
    const other = await sql`select * from no_such_table`.execute(store.db).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Error);
    expect(store.isUniqueViolation(other)).toBe(false);
  });

  it('runs autocommit writes statement by statement: fn’s result comes back, and a statement before a failure stays committed', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const renamed = await store.autocommit(async (db) => {
      const res = await db.updateTable('accounts').set({ name: 'renamed' }).where('id', '=', accountId).executeTakeFirst();
      return Number(res.numUpdatedRows);
    });
    expect(renamed).toBe(1);
    const failed = await store
      .autocommit(async (db) => {
        await db.updateTable('accounts').set({ name: 'kept' }).where('id', '=', accountId).execute();
        throw new Error('after the first statement');
      })
      .catch((e: Error) => e.message);
    expect(failed).toBe('after the first statement');
    const row = await store.db.selectFrom('accounts').select('name').where('id', '=', accountId).executeTakeFirstOrThrow();
    expect(row.name).toBe('kept');
    // Whatever happened inside, the next transaction runs (on SQLite: the write turn was given back).
    await store.transaction((tx) => tx.updateTable('accounts').set({ name: 'after' }).where('id', '=', accountId).execute());
    expect((await store.db.selectFrom('accounts').select('name').where('id', '=', accountId).executeTakeFirstOrThrow()).name).toBe('after');
  });

  it('reports its size on disk and its name for display', async () => {
    const store = env().store;
    expect(await store.sizeBytes()).toBeGreaterThan(0);
    expect(store.name).toBe(env().db);
  });
});
