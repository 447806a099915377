import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { App, RouteDeps } from '../deps.js';
import { responses } from '../schemas.js';

export function healthRoutes(app: App, { ctx }: RouteDeps): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness and database reachability',
        security: [],
        response: responses({ 200: Type.Object({ status: Type.Literal('ok'), database: Type.String() }) }),
      },
    },
    async () => {
      await sql`select 1`.execute(ctx.store.db);
      return { status: 'ok' as const, database: ctx.store.name };
    },
  );
}
