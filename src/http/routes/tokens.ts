import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { createToken, getToken, listTokens, revokeToken, rotateToken } from '../../accounts/account-tokens.js';
import { TOKEN_ID_SYNTAX } from '../../accounts/tokens.js';
import { AppError } from '../../errors.js';
import { principalOf } from '../auth.js';
import type { App, RouteDeps } from '../deps.js';
import { responses, Strict } from '../schemas.js';

const Token = Type.Object(
  {
    id: Type.String({ pattern: TOKEN_ID_SYNTAX, description: 'public id: names the token in these routes; never the secret' }),
    name: Type.String(),
    kind: Type.Union([Type.Literal('user'), Type.Literal('application')], {
      description: "`application`: an installed application's token, revoked by uninstalling it",
    }),
    scope: Type.Union([Type.Literal('read'), Type.Literal('write')]),
    applicationId: Type.Union([Type.Null(), Type.Integer()]),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.Null(), Type.String({ format: 'date-time' })], { description: 'to the minute; null: never used' }),
  },
  { $id: 'Token' },
);
const TokenRef = Type.Ref(Token);
const WithSecret = Type.Intersect([
  TokenRef,
  Type.Object({ token: Type.String({ description: 'the secret, shown this once; send as Bearer or as the Basic password' }) }),
]);
const TokenList = Type.Object({ data: Type.Array(TokenRef) });

const NewToken = Strict({
  name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'what the token is for (e.g. "dashboard", "ERP")' }),
  scope: Type.Union([Type.Literal('read'), Type.Literal('write')], { description: '`read`: GET and HEAD only; `write`: everything' }),
});
const tokenId = Type.String({ pattern: TOKEN_ID_SYNTAX });
const AccountParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const AccountTokenParams = Type.Object({ id: Type.String({ format: 'uuid' }), tokenId });
const OwnTokenParams = Type.Object({ tokenId });

/**
 * Who manages the account's tokens: the administrator, or one of the account's own user tokens
 * with scope `write`. A read token cannot (it could otherwise mint itself a write token), nor an
 * application's token (its powers come from its installation).
 */
function manager(request: FastifyRequest, accountId: string): { admin: boolean } {
  const p = request.principal;
  if (!p) return { admin: true };
  if (p.tokenKind !== 'user') throw new AppError('FORBIDDEN', "an application's token cannot manage tokens");
  if (p.scope !== 'write') {
    throw new AppError('INSUFFICIENT_SCOPE', 'a read token cannot manage tokens; use a write token', { tokenId: p.tokenId, scope: p.scope });
  }
  if (p.accountId !== accountId) throw new AppError('FORBIDDEN', "an account token manages only its own account's tokens");
  return { admin: false };
}

/** What the OpenAPI document says of one route besides its params and body. */
const doc = (summary: string, description: string, ok: Record<number, TSchema>) => ({ tags: ['tokens'], summary, description, response: responses(ok) });

const OWN = "The calling token's account, as the route under /api/v1/accounts/{id} does for any account.";

export function tokenRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.addSchema(Token);
  const either = { onRequest: auth.requireAdminOrAccount };
  const own = { onRequest: auth.requireAccount };

  // The administrator's routes, which an account's write token may also use for its own account.
  app.get(
    '/api/v1/accounts/:id/tokens',
    {
      ...either,
      schema: {
        ...doc(
          "List an account's tokens, without their secrets",
          "User and application tokens, oldest first, each with its scope and last use (to the minute). The administrator, or the account's own write token.",
          { 200: TokenList },
        ),
        params: AccountParams,
      },
    },
    async (req) => {
      manager(req, req.params.id);
      return { data: await listTokens(ctx.store.db, req.params.id) };
    },
  );
  app.post(
    '/api/v1/accounts/:id/tokens',
    {
      ...either,
      schema: {
        ...doc(
          'Create a token for an account',
          "A named `read` (GET and HEAD only) or `write` token; its secret is in this answer only. The administrator, or the account's own write token.",
          { 201: WithSecret },
        ),
        params: AccountParams,
        body: NewToken,
      },
    },
    async (req, reply) => {
      manager(req, req.params.id);
      return reply.status(201).send(await createToken(ctx, req.params.id, req.body));
    },
  );
  app.post(
    '/api/v1/accounts/:id/tokens/:tokenId/rotate',
    {
      ...either,
      schema: {
        ...doc(
          'Give a token a new secret; the old one is refused at once',
          "Same id, name and scope; every process refuses the old secret from the commit on. An application's token is 422 INVALID_STATE: uninstall the application instead.",
          { 200: WithSecret },
        ),
        params: AccountTokenParams,
      },
    },
    async (req) => {
      manager(req, req.params.id);
      return rotateToken(ctx, req.params.id, req.params.tokenId);
    },
  );
  app.delete(
    '/api/v1/accounts/:id/tokens/:tokenId',
    {
      ...either,
      schema: {
        ...doc(
          'Revoke a token: refused at once by every process',
          "An account token cannot revoke the account's last write token (409 LAST_WRITE_TOKEN); the administrator can.",
          { 204: Type.Null() },
        ),
        params: AccountTokenParams,
      },
    },
    async (req, reply) => {
      const { admin } = manager(req, req.params.id);
      await revokeToken(ctx, req.params.id, req.params.tokenId, { keepLastWrite: !admin });
      return reply.status(204).send();
    },
  );

  // The same for the calling token's own account, which it need not know the id of.
  app.get(
    '/api/v1/tokens/current',
    {
      ...own,
      schema: {
        ...doc(
          'The token this request was sent with (any scope)',
          'Its id, name, kind, scope and account: the dashboard reads the scope here to offer only what the token may do.',
          { 200: Type.Intersect([TokenRef, Type.Object({ accountId: Type.String({ format: 'uuid' }) })]) },
        ),
      },
    },
    async (req) => {
      const p = principalOf(req);
      return { ...(await getToken(ctx.store.db, p.accountId, p.tokenId)), accountId: p.accountId };
    },
  );
  app.get(
    '/api/v1/tokens',
    { ...own, schema: { ...doc("List this account's tokens (write token)", OWN, { 200: TokenList }) } },
    async (req) => {
      const p = principalOf(req);
      manager(req, p.accountId);
      return { data: await listTokens(ctx.store.db, p.accountId) };
    },
  );
  app.post(
    '/api/v1/tokens',
    { ...own, schema: { ...doc('Create a token for this account (write token)', OWN, { 201: WithSecret }), body: NewToken } },
    async (req, reply) => {
      const p = principalOf(req);
      manager(req, p.accountId);
      return reply.status(201).send(await createToken(ctx, p.accountId, req.body));
    },
  );
  app.post(
    '/api/v1/tokens/:tokenId/rotate',
    { ...own, schema: { ...doc("Rotate one of this account's tokens (write token)", OWN, { 200: WithSecret }), params: OwnTokenParams } },
    async (req) => {
      const p = principalOf(req);
      manager(req, p.accountId);
      return rotateToken(ctx, p.accountId, req.params.tokenId);
    },
  );
  app.delete(
    '/api/v1/tokens/:tokenId',
    {
      ...own,
      schema: {
        ...doc(
          "Revoke one of this account's tokens (write token)",
          `${OWN} The account's last write token cannot be revoked this way (409 LAST_WRITE_TOKEN).`,
          { 204: Type.Null() },
        ),
        params: OwnTokenParams,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      manager(req, p.accountId);
      await revokeToken(ctx, p.accountId, req.params.tokenId, { keepLastWrite: true });
      return reply.status(204).send();
    },
  );
}
