import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { updateApplication } from '../../applications/application-changes.js';
import { createApplication, installApplication, listApplications, uninstallApplication } from '../../applications/applications.js';
import { principalOf } from '../auth.js';
import { IdParams, responses, Strict, Url } from '../schemas.js';

const Application = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  webhook: Type.Union([
    Type.Object({
      url: Url(),
      objects: Type.Array(Type.String()),
      secret: Type.Optional(Type.String({ description: "Poster's verify secret, shown only at registration" })),
    }),
    Type.Null(),
  ]),
  createdAt: Type.String({ format: 'date-time' }),
});

const ApplicationBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Url({ minLength: 1, maxLength: 2048 }),
          objects: Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 50, description: 'the Poster entities it wants' }),
          secret: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'the verify secret; generated when absent' })),
        },
        { additionalProperties: false, description: "the application's own Poster webhook: every account that installs it is subscribed" },
      ),
    ),
  },
  { additionalProperties: false },
);

const ApplicationChangeBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(Url({ minLength: 1, maxLength: 2048 })),
          objects: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { minItems: 1, maxItems: 50, description: 'the Poster entities it wants' })),
          secret: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'a new verify secret; shown in this answer only' })),
        },
        { additionalProperties: false, minProperties: 1, description: "changes to the application's Poster webhook, applied to every installed account's subscription" },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export function applicationRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const tags = ['applications'];
  app.post(
    '/api/v1/applications',
    {
      onRequest: auth.requireAdmin,
      schema: {
        tags,
        summary: 'Register an integrator application (administrator)',
        body: ApplicationBody,
        response: responses({ 201: Application }),
      },
    },
    async (req, reply) => reply.status(201).send(await createApplication(ctx, req.body)),
  );
  app.get(
    '/api/v1/applications',
    {
      onRequest: auth.requireAdmin,
      schema: { tags, summary: 'List registered applications (administrator)', response: responses({ 200: Type.Object({ data: Type.Array(Application) }) }) },
    },
    async () => ({ data: await listApplications(ctx.store.db) }),
  );
  app.patch(
    '/api/v1/applications/:id',
    {
      onRequest: auth.requireAdmin,
      schema: {
        tags,
        summary: "Change an application's name or its webhook's URL, entities or secret; every installed account's subscription follows (administrator)",
        params: IdParams,
        body: ApplicationChangeBody,
        response: responses({ 200: Application }),
      },
    },
    async (req) => updateApplication(ctx, req.params.id, req.body),
  );
  app.post(
    '/api/v1/applications/:id/install',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags,
        summary: 'Install an application into this account; the access token is shown this once (application.installed carries none)',
        params: IdParams,
        response: responses({
          201: Type.Object({
            applicationId: Type.Integer(),
            accessToken: Type.String({ description: "the application's token for this account; shown once" }),
          }),
        }),
      },
    },
    async (req, reply) => reply.status(201).send(await installApplication(ctx, principalOf(req), req.params.id)),
  );
  app.post(
    '/api/v1/applications/:id/uninstall',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags,
        summary: 'Uninstall an application: its tokens stop working, the subscriptions it created are deleted; emits application.uninstalled',
        params: IdParams,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      await uninstallApplication(ctx, principalOf(req), req.params.id);
      return reply.status(204).send();
    },
  );
}
