import { createHash } from 'node:crypto';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';

/** Idempotency-Key as Stripe and the IETF draft use it: an opaque client string, scoped per account. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_KEY_LENGTH = 200;

export interface IdempotentResponse<T = unknown> {
  status: number;
  body: T;
}

export interface IdempotentOutcome<T> extends IdempotentResponse<T> {
  /** True when the answer is the stored response of an earlier request with the same key. */
  replayed: boolean;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The fingerprint a key is bound to. The route is part of it so a key reused on another endpoint
 * is a conflict rather than a replay of an unrelated response.
 */
export function requestHash(route: string, body: unknown): string {
  return createHash('sha256').update(`${route}\n${canonicalJson(body)}`).digest('hex');
}

/**
 * Stores the response under the key. Call it as the last statement of the write's transaction:
 * the row commits with the change or not at all, and a concurrent twin that got this far blocks on
 * the primary key until we commit, then fails with a unique violation (see idempotentWrite).
 */
export async function saveResponseIn(
  scope: WriteScope,
  accountId: string,
  key: string,
  hash: string,
  response: IdempotentResponse,
): Promise<void> {
  await scope.tx
    .insertInto('idempotency_keys')
    .values({
      account_id: accountId,
      key,
      request_hash: hash,
      status_code: response.status,
      response: JSON.stringify(response.body),
      created_ms: scope.now,
    })
    .execute();
}

/** The stored response for the key, null if unused; 409 if the key was used for another request. */
export async function findResponse(db: Db | Tx, accountId: string, key: string, hash: string): Promise<IdempotentResponse | null> {
  const row = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return null;
  if (row.request_hash !== hash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${key}" was already used with a different request`, { key });
  }
  return { status: Number(row.status_code), body: JSON.parse(row.response) as unknown };
}

/**
 * Runs one write at most once per (account, key). Without a key it is a plain writeTx.
 * Only successes are stored: an error rolls the transaction back, so a failed request can be
 * retried with the same key.
 *
 * @example
 *   const out = await idempotentWrite(ctx, accountId, { key, hash: requestHash('POST /x', body) },
 *     async (scope) => ({ status: 201, body: await createThingIn(scope, accountId, body) }));
 *   if (out.replayed) reply.header(REPLAYED_HEADER, 'true');
 */
export async function idempotentWrite<T>(
  ctx: Ctx,
  accountId: string,
  idem: { key: string; hash: string } | null,
  run: (scope: WriteScope) => Promise<IdempotentResponse<T>>,
): Promise<IdempotentOutcome<T>> {
  if (!idem) return { ...(await writeTx(ctx, accountId, run)).result, replayed: false };
  const { key, hash } = idem;
  // Fast path for the usual retry: no transaction, no locks.
  const earlier = await findResponse(ctx.store.db, accountId, key, hash);
  if (earlier) return { ...(earlier as IdempotentResponse<T>), replayed: true };
  try {
    const { result } = await writeTx(ctx, accountId, async (scope) => {
      const response = await run(scope);
      await saveResponseIn(scope, accountId, key, hash, response);
      return response;
    });
    return { ...result, replayed: false };
  } catch (err) {
    // A concurrent twin committed first. Either our key insert hit its primary key, or our change
    // itself failed against the state it left (its sale took the last units): both are answered
    // with its stored response, as if we had arrived a moment later.
    const stored = await findResponse(ctx.store.db, accountId, key, hash);
    if (stored) return { ...(stored as IdempotentResponse<T>), replayed: true };
    throw err;
  }
}
