import type { TagReference } from './types.js';

export const tokensReference: TagReference = {
  tag: {
    name: 'tokens',
    description:
      'Named credentials of an account. A `write` token does everything in its account; a `read` token only GET ' +
      'and HEAD (give one to the dashboard and to reporting tools). Secrets are shown once, when created or ' +
      'rotated, and stored only as hashes; a rotated or revoked secret is refused by the next request in every ' +
      "process. The routes under /api/v1/tokens act on the calling token's own account; those under " +
      '/api/v1/accounts/{id}/tokens take the account, for the administrator. Rules and threat model: ' +
      'docs/security.md.',
  },
  operations: {
    'GET /api/v1/accounts/{id}/tokens': {
      summary: "List an account's tokens, without their secrets",
      description:
        'The administrator, or a `write` token of that account. Every token of the account, oldest first: user ' +
        "tokens and installed applications' tokens (kind `application`, with its applicationId), each with its " +
        'scope, when it was created and when it was last used (to the minute; null if never). Use lastUsedAt to ' +
        'find tokens nobody uses any more and revoke them.',
      params: { id: '1253aba5-440a-4821-ba72-aba556caf609' },
      responses: {
        '200': {
          data: [
            {
              id: 'tok_WCf6VPPviv475YaI',
              name: 'default',
              kind: 'user',
              scope: 'write',
              applicationId: null,
              createdAt: '2026-12-06T22:42:52.142Z',
              lastUsedAt: null,
            },
            {
              id: 'tok_BqvZLKHsCym9suUx',
              name: 'dashboard',
              kind: 'user',
              scope: 'read',
              applicationId: null,
              createdAt: '2026-12-06T22:42:52.170Z',
              lastUsedAt: null,
            },
          ],
        },
      },
    },
    'POST /api/v1/accounts/{id}/tokens': {
      summary: 'Create a token for an account',
      description:
        'The administrator, or a `write` token of that account. A named token with scope `read` (GET and HEAD ' +
        'only) or `write`; its secret (`token`) is in this answer only, so store it now. The administrator uses ' +
        'this to give an account a new `write` token after revoking a leaked last one. A name is 1 to 100 ' +
        'characters without control characters; any other field is 400 `VALIDATION_FAILED`.',
      params: { id: '1253aba5-440a-4821-ba72-aba556caf609' },
      body: { dashboard: { summary: 'A read-only token for the dashboard', value: { name: 'dashboard', scope: 'read' } } },
      responses: {
        '201': {
          id: 'tok_BqvZLKHsCym9suUx',
          name: 'dashboard',
          kind: 'user',
          scope: 'read',
          applicationId: null,
          createdAt: '2026-12-06T22:42:52.170Z',
          lastUsedAt: null,
          token: 'shk_MG8z_pU0ZOwpEQkC20zygra_zd43zHB5',
        },
      },
    },
    'POST /api/v1/accounts/{id}/tokens/{tokenId}/rotate': {
      summary: 'Rotate a token: a new secret, the old one refused at once',
      description:
        'The administrator, or a `write` token of that account. The token keeps its id, name and scope and gets a ' +
        'new secret, shown in this answer only; every process refuses the old secret from the moment this ' +
        "commits, so update the client first. An application's token is 422 `INVALID_STATE`: uninstall the " +
        'application instead.',
      params: { id: '1253aba5-440a-4821-ba72-aba556caf609', tokenId: 'tok_BqvZLKHsCym9suUx' },
      responses: {
        '200': {
          id: 'tok_BqvZLKHsCym9suUx',
          name: 'dashboard',
          kind: 'user',
          scope: 'read',
          applicationId: null,
          createdAt: '2026-12-06T22:42:52.170Z',
          lastUsedAt: null,
          token: 'shk_NbJWdMUDulOWabdndSA8dYZFt26lgW7g',
        },
      },
    },
    'DELETE /api/v1/accounts/{id}/tokens/{tokenId}': {
      summary: 'Revoke a token, at once in every process',
      description:
        'The administrator, or a `write` token of that account. The token is refused by the very next request in ' +
        "every process serving the database. An account's own token cannot revoke its last `write` token (409 " +
        '`LAST_WRITE_TOKEN`: it would lock the account out of writing and of managing tokens); the administrator ' +
        "can, and then issues a new one. An application's token is 422 `INVALID_STATE`: uninstall the application " +
        'instead.',
      params: { id: '1253aba5-440a-4821-ba72-aba556caf609', tokenId: 'tok_nIjQ92pTNvkwzg5J' },
      responses: {},
    },
    'GET /api/v1/tokens/current': {
      summary: 'Which token this request was sent with',
      description:
        "Any account token, `read` included, and an application's token. Its id, name, kind, scope and account, " +
        'never the secret: a client such as the dashboard reads the scope here to offer only what the token may ' +
        'do.',
      responses: {
        '200': {
          id: 'tok_oZ_C7iTTqYHWE3Fl',
          name: 'reporting',
          kind: 'user',
          scope: 'read',
          applicationId: null,
          createdAt: '2026-12-06T22:42:52.247Z',
          lastUsedAt: '2026-12-06T22:42:52.305Z',
          accountId: '1253aba5-440a-4821-ba72-aba556caf609',
        },
      },
    },
    'GET /api/v1/tokens': {
      summary: "List this account's tokens",
      description:
        "Same as the route under /api/v1/accounts/{id}/tokens, for the calling token's own account, without " +
        'knowing its id: a `write` token of the account (a `read` token is 403 `INSUFFICIENT_SCOPE`, an ' +
        "application's token 403 `FORBIDDEN`). Oldest first, with scope and last use, never a secret.",
      responses: {
        '200': {
          data: [
            {
              id: 'tok_WCf6VPPviv475YaI',
              name: 'default',
              kind: 'user',
              scope: 'write',
              applicationId: null,
              createdAt: '2026-12-06T22:42:52.142Z',
              lastUsedAt: '2026-12-06T22:42:52.246Z',
            },
            {
              id: 'tok_BqvZLKHsCym9suUx',
              name: 'dashboard',
              kind: 'user',
              scope: 'read',
              applicationId: null,
              createdAt: '2026-12-06T22:42:52.170Z',
              lastUsedAt: null,
            },
          ],
        },
      },
    },
    'POST /api/v1/tokens': {
      summary: 'Create a token for this account',
      description:
        "Same as the route under /api/v1/accounts/{id}/tokens, for the calling token's own account, without " +
        'knowing its id: a `write` token of the account (a `read` token is 403 `INSUFFICIENT_SCOPE`, an ' +
        "application's token 403 `FORBIDDEN`). The secret is in this answer only.",
      body: { reporting: { summary: 'A read-only token for a reporting tool', value: { name: 'reporting', scope: 'read' } } },
      responses: {
        '201': {
          id: 'tok_oZ_C7iTTqYHWE3Fl',
          name: 'reporting',
          kind: 'user',
          scope: 'read',
          applicationId: null,
          createdAt: '2026-12-06T22:42:52.247Z',
          lastUsedAt: null,
          token: 'shk_iU9w-P5ObHQv2NgzEzRCsj_JZrjipVYW',
        },
      },
    },
    'POST /api/v1/tokens/{tokenId}/rotate': {
      summary: "Rotate one of this account's tokens",
      description:
        "Same as the route under /api/v1/accounts/{id}/tokens, for the calling token's own account, without " +
        'knowing its id: a `write` token of the account (a `read` token is 403 `INSUFFICIENT_SCOPE`, an ' +
        "application's token 403 `FORBIDDEN`). The old secret is refused from the moment this commits; the new one " +
        'is in this answer only.',
      params: { tokenId: 'tok_oZ_C7iTTqYHWE3Fl' },
      responses: {
        '200': {
          id: 'tok_oZ_C7iTTqYHWE3Fl',
          name: 'reporting',
          kind: 'user',
          scope: 'read',
          applicationId: null,
          createdAt: '2026-12-06T22:42:52.247Z',
          lastUsedAt: null,
          token: 'shk_xpYfVJ7-3ROot2CUMF1mJmHsXuIREGSk',
        },
      },
    },
    'DELETE /api/v1/tokens/{tokenId}': {
      summary: "Revoke one of this account's tokens",
      description:
        "Same as the route under /api/v1/accounts/{id}/tokens, for the calling token's own account, without " +
        'knowing its id: a `write` token of the account (a `read` token is 403 `INSUFFICIENT_SCOPE`, an ' +
        "application's token 403 `FORBIDDEN`). The account's last `write` token cannot be revoked this way (409 " +
        '`LAST_WRITE_TOKEN`): create another `write` token first, or ask the administrator.',
      params: { tokenId: 'tok_oZ_C7iTTqYHWE3Fl' },
      responses: {},
    },
  },
};
