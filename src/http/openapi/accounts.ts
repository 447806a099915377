import type { TagReference } from './types.js';

export const accountsReference: TagReference = {
  tag: {
    name: 'accounts',
    description:
      'Accounts are the tenants: each has its own warehouses, products, ledger, events and webhooks, and every ' +
      "request sees only its token's account (another account's objects answer 404). Only the administrator token " +
      'creates and lists them; creating one returns its first `write` token.',
  },
  operations: {
    'POST /api/v1/accounts': {
      summary: 'Create an account and its first token (administrator)',
      description:
        'Administrator token only. Creates the account and a `write` token named `default`, whose secret is in this ' +
        'answer only: hand it to the ERP or the account owner, who can then create more tokens with ' +
        '`POST /api/v1/tokens`. `plan` is `paid` unless given; a `free` account keeps a ledger but cannot subscribe ' +
        'webhooks (403 `PLAN_FORBIDS_WEBHOOKS`). `slug` is a short URL-safe name, made from the name when not ' +
        'given; a slug that is taken is 409 `CONFLICT`.',
      body: {
        paid: { summary: 'A shop with webhooks', value: { name: 'Northwind Apparel', plan: 'paid', slug: 'northwind' } },
        free: { summary: 'A ledger-only account (slug made from the name)', value: { name: 'Harbor Outdoor', plan: 'free' } },
      },
      responses: {
        '201': {
          id: '1253aba5-440a-4821-ba72-aba556caf609',
          number: 1,
          slug: 'northwind',
          name: 'Northwind Apparel',
          plan: 'paid',
          token: 'shk_vk65yTjmlTPsJtL-N2mtwLlJzTXHfe1N',
        },
      },
    },
    'GET /api/v1/accounts': {
      summary: 'List accounts (administrator)',
      description:
        'Administrator token only. Every account, by number, without its tokens: ' +
        '`GET /api/v1/accounts/{id}/tokens` lists those (never their secrets).',
      responses: {
        '200': {
          data: [
            {
              id: '1253aba5-440a-4821-ba72-aba556caf609',
              number: 1,
              slug: 'northwind',
              name: 'Northwind Apparel',
              plan: 'paid',
              createdAt: '2026-12-06T22:42:52.142Z',
            },
            {
              id: '1c30edec-a182-452e-ad7b-729e11ccdb76',
              number: 2,
              slug: 'harbor-outdoor',
              name: 'Harbor Outdoor',
              plan: 'free',
              createdAt: '2026-12-06T22:42:52.153Z',
            },
          ],
        },
      },
    },
  },
};
