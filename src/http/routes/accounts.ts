import { Type } from '@sinclair/typebox';
import { listAccounts } from '../../accounts/account-tokens.js';
import { createAccount } from '../../accounts/accounts.js';
import type { App, RouteDeps } from '../deps.js';
import { responses, Strict } from '../schemas.js';

export function accountRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.post(
    '/api/v1/accounts',
    {
      onRequest: auth.requireAdmin,
      schema: {
        tags: ['accounts'],
        summary: 'Create an account and its first token (administrator)',
        body: Strict({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          plan: Type.Optional(Type.Union([Type.Literal('free'), Type.Literal('paid')], { default: 'paid' })),
          slug: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$' })),
        }),
        response: responses({
          201: Type.Object({
            id: Type.String({ format: 'uuid' }),
            number: Type.Integer(),
            slug: Type.String(),
            name: Type.String(),
            plan: Type.String(),
            token: Type.String({ description: 'shown once; send as Bearer or as the Basic password' }),
          }),
        }),
      },
    },
    async (request, reply) => reply.status(201).send(await createAccount(ctx, request.body)),
  );
  app.get(
    '/api/v1/accounts',
    {
      onRequest: auth.requireAdmin,
      schema: {
        tags: ['accounts'],
        summary: 'List accounts (administrator)',
        description: 'Every account, by number, without tokens (GET /api/v1/accounts/{id}/tokens lists those).',
        response: responses({
          200: Type.Object({
            data: Type.Array(
              Type.Object({
                id: Type.String({ format: 'uuid' }),
                number: Type.Integer(),
                slug: Type.String(),
                name: Type.String(),
                plan: Type.Union([Type.Literal('free'), Type.Literal('paid')]),
                createdAt: Type.String({ format: 'date-time' }),
              }),
            ),
          }),
        }),
      },
    },
    async () => ({ data: await listAccounts(ctx.store.db) }),
  );
}
