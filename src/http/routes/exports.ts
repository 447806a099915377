import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { listMovements, type MovementFilter } from '../../inventory/movements.js';
import { listStock, type StockFilter } from '../../inventory/stock-list.js';
import { MAX_PRODUCT_TOTALS, stockTotals } from '../../inventory/stock-totals.js';
import { principalOf } from '../auth.js';
import { csvStream } from '../csv.js';
import { responses, TextResponse } from '../schemas.js';
import { MovementQuery } from './movements.js';
import { StockQuery } from './stock.js';

/** Rows read per query while streaming: the list APIs' own maximum page. */
const PAGE = 1000;

async function* pagesOf<T>(read: (cursor: string | undefined) => Promise<{ data: T[]; nextCursor: string | null }>): AsyncIterable<T[]> {
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    yield page.data;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

const STOCK_COLUMNS = ['productId', 'sku', 'code', 'title', 'unit', 'warehouseId', 'size', 'lot', 'expiry', 'serial', 'location', 'amount', 'reserved', 'free', 'updatedAt'];
const MOVEMENT_COLUMNS = ['id', 'createdAt', 'documentId', 'documentType', 'reference', 'warehouseId', 'productId', 'size', 'lot', 'expiry', 'serial', 'location', 'amountDelta', 'reservedDelta', 'amount', 'reserved', 'free'];

const { limit: _l, cursor: _c, withProduct: _w, ...stockFilters } = StockQuery.properties;
const { limit: _ml, cursor: _mc, ...movementFilters } = MovementQuery.properties;

const Total = { keys: Type.Integer(), amount: Type.Number(), reserved: Type.Number(), free: Type.Number() };

/**
 * CSV exports of the stock view and of the movement ledger, and the stock view's totals: the same rows, filters and order as
 * GET /api/v1/stock and GET /api/v1/movements, every page of them, streamed as they are read.
 */
export function exportRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const csv = (name: string) => TextResponse('text/csv', `${name}, one row per line after a header row (RFC 4180)`);
  app.get(
    '/api/v1/stock/export',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['stock'],
        summary: 'Every stock key GET /api/v1/stock would list for these filters, as CSV (streamed)',
        querystring: Type.Object(stockFilters),
        response: responses({ 200: csv('Stock keys') }),
      },
    },
    async (req, reply) => {
      const accountId = principalOf(req).accountId;
      const f: StockFilter = { ...req.query, withProduct: true, limit: PAGE };
      const body = csvStream(STOCK_COLUMNS, pagesOf((cursor) => listStock(ctx.store.db, accountId, { ...f, cursor })), (l) => [
        l.productId,
        l.product?.sku ?? '',
        l.product?.code ?? '',
        l.product?.title ?? '',
        l.product?.unit ?? '',
        l.warehouseId,
        l.size,
        l.lot,
        l.expiry,
        l.serial,
        l.location,
        l.amount,
        l.reserved,
        l.free,
        l.updatedAt,
      ]);
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="stock.csv"').send(body);
    },
  );
  app.get(
    '/api/v1/stock/totals',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['stock'],
        summary: 'Totals of every stock key GET /api/v1/stock would list for these filters: per warehouse, per product and overall',
        description: `Per product for the first ${MAX_PRODUCT_TOTALS} products (in the list's order); productsComplete says whether that was all of them.`,
        querystring: Type.Object(stockFilters),
        response: responses({
          200: Type.Object({
            all: Type.Object(Total),
            warehouses: Type.Array(Type.Object({ warehouseId: Type.Integer(), ...Total })),
            products: Type.Array(Type.Object({ productId: Type.Integer(), ...Total })),
            productsComplete: Type.Boolean(),
          }),
        }),
      },
    },
    async (req) => stockTotals(ctx.store.db, principalOf(req).accountId, req.query),
  );
  app.get(
    '/api/v1/movements/export',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['stock'],
        summary: 'Every movement GET /api/v1/movements would list for these filters (newest first), as CSV (streamed)',
        querystring: Type.Object(movementFilters),
        response: responses({ 200: csv('Movements') }),
      },
    },
    async (req, reply) => {
      const accountId = principalOf(req).accountId;
      const f: MovementFilter = { ...req.query, limit: PAGE };
      const body = csvStream(MOVEMENT_COLUMNS, pagesOf((cursor) => listMovements(ctx.store.db, accountId, { ...f, cursor })), (m) => [
        m.id,
        m.createdAt,
        m.document.id,
        m.document.type,
        m.document.reference,
        m.warehouseId,
        m.productId,
        m.size,
        m.lot,
        m.expiry,
        m.serial,
        m.location,
        m.amountDelta,
        m.reservedDelta,
        m.amount,
        m.reserved,
        m.free,
      ]);
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="movements.csv"').send(body);
    },
  );
}
