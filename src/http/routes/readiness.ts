import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { AppError } from '../../errors.js';
import type { App, RouteDeps } from '../deps.js';
import { responses } from '../schemas.js';

/** A database that does not answer `select 1` within this long counts as unreachable (a black-holed host hangs, it does not refuse). */
const DATABASE_PROBE_MS = 2000;

/**
 * Readiness, for a load balancer or an orchestrator: whether this process can do its work now, as
 * opposed to /healthz (liveness: it answers at all). Not ready while the database does not answer
 * or the delivery thread of role `all` is not running (exited or stalled, being restarted:
 * delivery-thread-host.ts); it becomes ready again by itself.
 */
export function readinessRoutes(app: App, { ctx, metrics }: RouteDeps): void {
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers and the delivery thread runs (503 NOT_READY otherwise)',
        security: [],
        response: responses({
          200: Type.Object({
            status: Type.Literal('ready'),
            database: Type.String({ description: 'sqlite or postgres' }),
            delivery: Type.String({ description: 'running, or none when this process runs no delivery thread' }),
          }),
        }),
      },
    },
    async () => {
      const reachable = await probe(() => sql`select 1`.execute(ctx.store.db));
      const thread = metrics.deliveryThreadState();
      const delivery = thread ?? 'none';
      if (!reachable || (thread !== null && thread !== 'running')) {
        throw new AppError('NOT_READY', undefined, { database: reachable ? 'ok' : 'unreachable', delivery });
      }
      return { status: 'ready' as const, database: ctx.store.name, delivery };
    },
  );
}

async function probe(query: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DATABASE_PROBE_MS)));
  try {
    return await Promise.race([query().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
