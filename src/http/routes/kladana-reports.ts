import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { AppError } from '../../errors.js';
import { kladanaStockAll, kladanaStockByStore } from '../../inventory/reports/kladana-stock.js';
import { parseKladanaDate } from '../../webhooks/formats/kladana-report-link.js';
import { principalOf } from '../auth.js';
import { kladanaResponses } from '../schemas.js';

const DateParam = Type.Optional(
  Type.String({ description: 'YYYY-MM-DD HH:mm:ss, UTC: only items whose stock changed at or after this time' }),
);
const Query = Type.Object({ changedSince: DateParam, fromDate: DateParam });

/** The earlier of the two parameters when both are given, so nothing changed in between is missed. */
function sinceOf(query: { changedSince?: string; fromDate?: string }): number | undefined {
  let since: number | undefined;
  for (const name of ['changedSince', 'fromDate'] as const) {
    const raw = query[name];
    if (raw === undefined) continue;
    const ms = parseKladanaDate(raw);
    if (ms === undefined) {
      const message = 'must be a date as YYYY-MM-DD HH:mm:ss';
      throw new AppError('VALIDATION_FAILED', `querystring.${name} ${message}`, {
        fields: [{ field: `querystring.${name}`, message }],
      });
    }
    since = since === undefined ? ms : Math.min(since, ms);
  }
  return since;
}

/** Kladana's balance reports (the `reportUrl` of docs/formats/kladana.md), which its stock webhooks point clients at. */
export function kladanaReportRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const tags = ['kladana'];
  app.get(
    '/api/remap/1.2/report/stock/all/current',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags,
        summary: 'Current balance of each product (changed since a time, zeros included)',
        querystring: Query,
        response: kladanaResponses({ 200: Type.Array(Type.Object({ assortmentId: Type.Integer(), stock: Type.Number() })) }),
      },
    },
    async (req) => kladanaStockAll(ctx.store.db, principalOf(req).accountId, sinceOf(req.query)),
  );
  app.get(
    '/api/remap/1.2/report/stock/bystore/current',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags,
        summary: 'Current balance of each product per warehouse (changed since a time, zeros included)',
        querystring: Query,
        response: kladanaResponses({
          200: Type.Array(Type.Object({ assortmentId: Type.Integer(), storeId: Type.Integer(), stock: Type.Number() })),
        }),
      },
    },
    async (req) => kladanaStockByStore(ctx.store.db, principalOf(req).accountId, sinceOf(req.query)),
  );
}
