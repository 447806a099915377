import type { TagReference } from './types.js';

export const tokensReference: TagReference = {
  tag: { name: 'tokens', description: 'TODO-TAG' },
  operations: {
    'GET /api/v1/accounts/{id}/tokens': {
      summary: 'List an account\'s tokens, without their secrets',
      description: 'User and application tokens, oldest first, each with its scope and last use (to the minute). The administrator, or the account\'s own write token.',
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
      description: 'A named `read` (GET and HEAD only) or `write` token; its secret is in this answer only. The administrator, or the account\'s own write token.',
      params: { id: '1253aba5-440a-4821-ba72-aba556caf609' },
      body: { example: { summary: 'TODO-EX', value: { name: 'dashboard', scope: 'read' } } },
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
      summary: 'Give a token a new secret; the old one is refused at once',
      description: 'Same id, name and scope; every process refuses the old secret from the commit on. An application\'s token is 422 INVALID_STATE: uninstall the application instead.',
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
      summary: 'Revoke a token: refused at once by every process',
      description: 'An account token cannot revoke the account\'s last write token (409 LAST_WRITE_TOKEN); the administrator can.',
      params: { id: '1253aba5-440a-4821-ba72-aba556caf609', tokenId: 'tok_nIjQ92pTNvkwzg5J' },
      responses: {},
    },
    'GET /api/v1/tokens/current': {
      summary: 'The token this request was sent with (any scope)',
      description: 'Its id, name, kind, scope and account: the dashboard reads the scope here to offer only what the token may do.',
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
      summary: 'List this account\'s tokens (write token)',
      description: 'The calling token\'s account, as the route under /api/v1/accounts/{id} does for any account.',
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
      summary: 'Create a token for this account (write token)',
      description: 'The calling token\'s account, as the route under /api/v1/accounts/{id} does for any account.',
      body: { example: { summary: 'TODO-EX', value: { name: 'reporting', scope: 'read' } } },
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
      summary: 'Rotate one of this account\'s tokens (write token)',
      description: 'The calling token\'s account, as the route under /api/v1/accounts/{id} does for any account.',
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
      summary: 'Revoke one of this account\'s tokens (write token)',
      description: 'The calling token\'s account, as the route under /api/v1/accounts/{id} does for any account. The account\'s last write token cannot be revoked this way (409 LAST_WRITE_TOKEN).',
      params: { tokenId: 'tok_oZ_C7iTTqYHWE3Fl' },
      responses: {},
    },
  },
};
