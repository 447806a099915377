import type { TagReference } from './types.js';

export const accountsReference: TagReference = {
  tag: { name: 'accounts', description: 'TODO-TAG' },
  operations: {
    'POST /api/v1/accounts': {
      summary: 'Create an account and its first token (administrator)',
      description: 'TODO-DESCRIBE',
      body: {
        example: { summary: 'TODO-EX', value: { name: 'Northwind Apparel', plan: 'paid', slug: 'northwind' } },
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
      description: 'Every account, by number, without tokens (GET /api/v1/accounts/{id}/tokens lists those).',
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
