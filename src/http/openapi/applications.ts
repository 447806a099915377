import type { TagReference } from './types.js';

export const applicationsReference: TagReference = {
  tag: {
    name: 'applications',
    description:
      'Integrator applications (a Poster-style app, a label printer, a marketplace connector): registered once by ' +
      'the administrator, installed by each account that wants one. Installing issues the application its own ' +
      'token for that account, which sees only the webhook subscriptions the application created; uninstalling ' +
      'revokes it and deletes them. See docs/webhooks/applications.md.',
  },
  operations: {
    'POST /api/v1/applications': {
      summary: 'Register an integrator application (administrator)',
      description:
        'Administrator token only. With `webhook: {url, objects, secret?}` it is a Poster application: every ' +
        'account that installs it is subscribed (format `poster`) to that URL for those entities, and the first ' +
        'hook it gets is `application`/`added` carrying its access token (docs/formats/poster.md). Without ' +
        "`webhook`, it only gets tokens. The secret is in this answer and the application's own hooks, never in a " +
        'listing.',
      body: {
        poster: {
          summary: 'A Poster-style application told of stock changes',
          value: {
            name: 'ShipFast Labels',
            webhook: {
              url: 'https://hooks.shipfast.example/install',
              objects: ['stock'],
              secret: 'shipfast-install-secret-2026',
            },
          },
        },
      },
      responses: {
        '201': {
          id: 1,
          name: 'ShipFast Labels',
          webhook: {
            url: 'https://hooks.shipfast.example/install',
            objects: ['stock'],
            secret: 'shipfast-install-secret-2026',
          },
          createdAt: '2026-12-06T22:42:52.381Z',
        },
      },
    },
    'GET /api/v1/applications': {
      summary: 'List registered applications (administrator)',
      description:
        'Administrator token only. Every registered application with its webhook URL and objects; the webhook ' +
        'secret is never listed.',
      responses: {
        '200': {
          data: [
            {
              id: 1,
              name: 'ShipFast Labels',
              webhook: { url: 'https://hooks.shipfast.example/install', objects: ['stock'] },
              createdAt: '2026-12-06T22:42:52.381Z',
            },
          ],
        },
      },
    },
    'PATCH /api/v1/applications/{id}': {
      summary: 'Change an application (administrator)',
      description:
        "Administrator token only. Changes the name and the Poster webhook's `url`, `objects` (entities) or " +
        '`secret`; the webhook change reaches every account that installed the application, in the same ' +
        'transaction: the subscription each install made takes the new values and its waiting hooks go to the new ' +
        'URL (a subscription an account has since pointed elsewhere stays as it is). A new secret is in this ' +
        'answer only. An application registered without a webhook cannot be given one (400 `VALIDATION_FAILED`).',
      params: { id: 1 },
      body: {
        move: {
          summary: 'Rename it and move its hooks to a new URL, for stock and product changes',
          value: {
            name: 'ShipFast Labels & Returns',
            webhook: { url: 'https://hooks.shipfast.example/v2/hooks', objects: ['stock', 'product'] },
          },
        },
      },
      responses: {
        '200': {
          id: 1,
          name: 'ShipFast Labels & Returns',
          webhook: { url: 'https://hooks.shipfast.example/v2/hooks', objects: ['stock', 'product'] },
          createdAt: '2026-12-06T22:42:52.381Z',
        },
      },
    },
    'POST /api/v1/applications/{id}/install': {
      summary: 'Install an application into this account',
      description:
        "A `write` user token of the account (an application's token cannot install). Issues the application's " +
        'token for this account and answers it as `accessToken`, this once: it is stored as a hash. The ' +
        'application.installed event names the application, never the token. With that token the application may ' +
        'do what a `write` token may, except manage tokens and install applications, and it sees only the ' +
        'subscriptions it creates.',
      params: { id: 1 },
      responses: { '201': { applicationId: 1, accessToken: 'shk_kK5IXBwR9T77SjeUSnm8WZJWLV2l9lLD' } },
    },
    'POST /api/v1/applications/{id}/uninstall': {
      summary: 'Uninstall an application',
      description:
        "The account's `write` token or the application's own token. Revokes the application's token at once, " +
        'cancels a waiting `application`/`added` hook, and deletes every subscription the application created, ' +
        'cancelling their waiting deliveries; a Poster subscription that lists `application` is sent ' +
        '`application`/`removed` first. Emits application.uninstalled.',
      params: { id: 1 },
      responses: {},
    },
  },
};
