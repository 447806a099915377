import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashToken } from '../../accounts/tokens.js';
import { withWriteClaim, type Ctx, type WriteClaim } from '../../context.js';
import { AppError } from '../../errors.js';
import type { Tx } from '../../storage/database.js';
import { credentials } from '../auth.js';
import type { App } from '../deps.js';
import { findKey, insertClaim, releaseKey, saveAnswer, type KeyRef } from './key-store.js';
import { requestHash } from './request-hash.js';
import { seal, unseal } from './sealed-response.js';

/** Idempotency-Key as Stripe and the IETF draft use it: an opaque client string. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_KEY_LENGTH = 200;
/** Every POST under this prefix creates or changes something, so every one takes a key. */
const PREFIX = '/api/v1/';
/** Response headers a replay repeats besides the body. */
const KEPT_HEADERS = ['content-type', 'location'] as const;

export interface IdempotencyOptions {
  /** How long a key is remembered (STOCKHOOK_IDEMPOTENCY_TTL_SECONDS). */
  ttlMs: number;
  /** How long a twin waits for the request that holds its key to answer, before 409. */
  waitMs?: number;
}

interface Stored {
  headers: Record<string, string>;
  body: string;
}

interface KeyState {
  ref: KeyRef;
  hash: string;
  credential: string;
  claim: KeyClaim;
  settled: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: KeyState | null;
  }
}

/** A twin holds the key: the write is rolled back and the twin's answer awaited. */
class KeyTaken extends Error {}

/** The key row, written first in the request's first write transaction (context.ts WriteClaim). */
class KeyClaim implements WriteClaim {
  /** A transaction that carried the row committed. */
  done = false;
  private carried = false;
  private open = true;

  constructor(
    private readonly ref: KeyRef,
    private readonly hash: string,
  ) {}

  async claimIn(tx: Tx, now: number): Promise<void> {
    if (this.done || !this.open) return;
    if (!(await insertClaim(tx, this.ref, this.hash, now))) throw new KeyTaken();
    this.carried = true;
  }

  committed(): void {
    if (this.open && this.carried) this.done = true;
  }

  /** Writes started after the handler (background work it spawned) carry no key. */
  close(): void {
    this.open = false;
  }
}

const headerSchema = (existing: unknown): TObject => {
  const props = (existing as TObject | undefined)?.properties ?? ({} as TProperties);
  return Type.Object({
    ...props,
    [IDEMPOTENCY_HEADER]: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_KEY_LENGTH,
        description:
          'makes the request apply at most once: a retry with the same key and request answers the stored response ' +
          `(with ${REPLAYED_HEADER}: true); the same key with another request is 409 IDEMPOTENCY_KEY_REUSED`,
      }),
    ),
  });
};

/**
 * Makes every POST under /api/v1/ idempotent with one piece of code: each such route's handler is
 * wrapped when it is registered, so a new route cannot forget it. Register before the routes.
 *
 * @example
 *   installIdempotency(app, ctx, { ttlMs: 24 * 3600_000 });
 *   for (const register of ROUTES) register(app, deps);
 */
export function installIdempotency(app: App, ctx: Ctx, opts: IdempotencyOptions): void {
  const waitMs = opts.waitMs ?? 10_000;
  app.decorateRequest('idempotency', null);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST') || !route.url.startsWith(PREFIX)) return;
    route.schema = { ...route.schema, headers: headerSchema(route.schema?.headers) };
    const handler = route.handler;
    route.handler = async function (this: unknown, req: FastifyRequest, reply: FastifyReply) {
      const key = req.headers[IDEMPOTENCY_HEADER];
      const credential = credentials(req.headers.authorization);
      if (typeof key !== 'string' || !credential) return handler.call(this as never, req, reply);
      const accountId = req.principal?.accountId ?? '';
      const principal = hashToken(credential);
      const ref: KeyRef = { accountId, principal, key };
      const hash = requestHash({ method: req.method, url: req.url, accountId, principal, body: req.body });
      const deadline = Date.now() + waitMs;
      for (;;) {
        const row = await findKey(ctx.store.db, ref);
        if (row && row.created_ms <= ctx.now() - opts.ttlMs) {
          await releaseKey(ctx.store, ref, row.created_ms + 1);
          continue;
        }
        if (row && row.request_hash !== hash) {
          throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${key}" was already used with a different request`, { key });
        }
        if (row && row.status_code !== null && row.response !== null) return replay(reply, credential, row.status_code, row.response);
        if (row) {
          // The request that holds the key has not answered yet: wait for its answer.
          if (Date.now() > deadline) {
            throw new AppError('IDEMPOTENCY_KEY_IN_PROGRESS', `a request with Idempotency-Key "${key}" is still in progress; retry later`, { key });
          }
          await sleep(20);
          continue;
        }
        const claim = new KeyClaim(ref, hash);
        const state: KeyState = { ref, hash, credential, claim, settled: false };
        req.idempotency = state;
        try {
          const result: unknown = await withWriteClaim(claim, () => handler.call(this as never, req, reply));
          claim.close();
          return result;
        } catch (err) {
          claim.close();
          state.settled = true;
          req.idempotency = null;
          if (claim.done) {
            await releaseKey(ctx.store, ref);
            throw err;
          }
          if (err instanceof KeyTaken) continue;
          // A twin claimed the key after our lookup and our request then failed against the state
          // it left (its replay is running, its sale took the last units): answer as if we had come
          // a moment later, with its answer.
          const twin = await findKey(ctx.store.db, ref);
          if (twin && twin.request_hash === hash) continue;
          throw err;
        }
      }
    } as RouteHandlerMethod;
  });

  // The answer is stored before the client sees it, so a retry after any answer is a replay.
  app.addHook('onSend', async (req, reply, payload) => {
    const state = req.idempotency;
    if (!state || state.settled) return payload;
    state.settled = true;
    const ok = reply.statusCode >= 200 && reply.statusCode < 300;
    if (!ok) {
      // Only successes are kept: a refused request changed nothing and may be retried with its key.
      if (state.claim.done) await releaseKey(ctx.store, state.ref);
      return payload;
    }
    const stored: Stored = { headers: {}, body: typeof payload === 'string' ? payload : payload == null ? '' : String(payload) };
    for (const name of KEPT_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) stored.headers[name] = String(value);
    }
    const sealed = seal(state.credential, JSON.stringify(stored));
    if (state.claim.done) {
      await saveAnswer(ctx.store, state.ref, reply.statusCode, sealed);
    } else {
      // A route whose work ran outside a write transaction (a test send): remember its answer now.
      await ctx.store.write((tx) => insertClaim(tx, state.ref, state.hash, ctx.now(), { status: reply.statusCode, response: sealed }));
    }
    return payload;
  });
}

function replay(reply: FastifyReply, credential: string, status: number, sealed: string): FastifyReply {
  const plain = unseal(credential, sealed);
  // Only the credential that stored it can open it; keys are per credential, so this is a bug.
  if (plain === null) throw new Error('a stored idempotent response could not be opened');
  const stored = JSON.parse(plain) as Stored;
  reply.status(status).headers(stored.headers).header(REPLAYED_HEADER, 'true');
  return reply.send(stored.body === '' ? undefined : stored.body);
}
