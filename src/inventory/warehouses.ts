import type { Selectable } from 'kysely';
import { holdsStock } from './levels.js';
import { writeTx, type Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import { prepared } from '../storage/prepared.js';
import type { WarehouseTable } from '../storage/schema.js';

export interface Warehouse {
  id: number;
  code: string;
  name: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface WarehouseInput {
  code?: string;
  name?: string;
  active?: boolean;
}

export const toWarehouse = (r: Selectable<WarehouseTable>): Warehouse => ({
  id: r.id,
  code: r.code,
  name: r.name,
  active: r.active === 1,
  createdAt: new Date(Number(r.created_ms)).toISOString(),
  updatedAt: new Date(Number(r.updated_ms)).toISOString(),
});

// Every document line looks one up: compiled once (storage/prepared.ts).
const warehousesById = prepared<{ accountId: string; id: number }>()((db, v) =>
  db.selectFrom('warehouses').selectAll().where('account_id', '=', v.accountId).where('id', '=', v.id).where('deleted', '=', 0),
);

export async function findWarehouse(db: Db | Tx, accountId: string, id: number): Promise<Selectable<WarehouseTable>> {
  const [row] = (await warehousesById(db, { accountId, id })).rows;
  if (!row) throw notFound('warehouse', id);
  return row;
}

export async function listWarehouses(db: Db, accountId: string): Promise<Warehouse[]> {
  const rows = await db
    .selectFrom('warehouses')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('deleted', '=', 0)
    .orderBy('id')
    .execute();
  return rows.map(toWarehouse);
}

export async function getWarehouse(db: Db, accountId: string, id: number): Promise<Warehouse> {
  return toWarehouse(await findWarehouse(db, accountId, id));
}

export async function createWarehouse(ctx: Ctx, accountId: string, input: Required<Pick<WarehouseInput, 'name'>> & WarehouseInput): Promise<Warehouse> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    const row = await tx
      .insertInto('warehouses')
      .values({
        account_id: accountId,
        code: input.code ?? '',
        name: input.name,
        active: input.active === false ? 0 : 1,
        deleted: 0,
        created_ms: now,
        updated_ms: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const w = toWarehouse(row);
    emit({ type: 'warehouse.created', object: 'storage', objectId: w.id, action: 'added', data: { warehouse: w } });
    return w;
  });
  return result;
}

export async function updateWarehouse(ctx: Ctx, accountId: string, id: number, input: WarehouseInput): Promise<Warehouse> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    await findWarehouse(tx, accountId, id);
    const row = await tx
      .updateTable('warehouses')
      .set({
        ...(input.code !== undefined && { code: input.code }),
        ...(input.name !== undefined && { name: input.name }),
        ...(input.active !== undefined && { active: input.active ? 1 : 0 }),
        updated_ms: now,
      })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const w = toWarehouse(row);
    emit({ type: 'warehouse.updated', object: 'storage', objectId: w.id, action: 'changed', data: { warehouse: w } });
    return w;
  });
  return result;
}

/** A warehouse that still holds or reserves stock cannot be removed: its ledger would dangle. */
export async function deleteWarehouse(ctx: Ctx, accountId: string, id: number): Promise<void> {
  await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    const row = await findWarehouse(tx, accountId, id);
    if (await holdsStock(tx, accountId, { warehouseId: id })) throw new AppError('WAREHOUSE_HAS_STOCK', `warehouse ${id} still holds stock`);
    await tx.updateTable('warehouses').set({ deleted: 1, active: 0, updated_ms: now }).where('id', '=', id).execute();
    emit({ type: 'warehouse.deleted', object: 'storage', objectId: id, action: 'removed', data: { warehouse: toWarehouse(row) } });
  });
}
