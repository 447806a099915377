import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { AppError, ERRORS } from '../../errors.js';
import { connectionProblem, databaseWhere } from '../../storage/connection-advice.js';
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
      const problem = await probe(ctx.store.url, () => sql`select 1`.execute(ctx.store.db));
      const thread = metrics.deliveryThreadState();
      const delivery = thread ?? 'none';
      if (problem !== null || (thread !== null && thread !== 'running')) {
        const why = [problem, thread !== null && thread !== 'running' ? `the delivery thread is ${thread}` : null].filter(Boolean).join('; ');
        throw new AppError('NOT_READY', `${ERRORS.NOT_READY.message}: ${why}`, {
          database: problem === null ? 'ok' : 'unreachable',
          delivery,
          ...(problem !== null && { problem }),
        });
      }
      return { status: 'ready' as const, database: ctx.store.name, delivery };
    },
  );
}

/** Null when the database answered, else what is wrong in words (where it is, what to check). */
async function probe(url: string, query: () => Promise<unknown>): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const slow = `${databaseWhere(url)} did not answer select 1 within ${DATABASE_PROBE_MS / 1000} s: is it running and reachable, or overloaded?`;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(slow), DATABASE_PROBE_MS)));
  try {
    return await Promise.race([query().then(() => null, (err: unknown) => connectionProblem(url, err)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
