import type { TagReference } from './types.js';

export const warehousesReference: TagReference = {
  tag: { name: 'warehouses', description: 'TODO-TAG' },
  operations: {
    'POST /api/v1/warehouses': {
      summary: 'Create a warehouse',
      description: 'TODO-DESCRIBE',
      body: { example: { summary: 'TODO-EX', value: { code: 'MAIN', name: 'Main warehouse' } } },
      responses: {
        '201': {
          id: 1,
          code: 'MAIN',
          name: 'Main warehouse',
          active: true,
          createdAt: '2026-12-06T22:42:52.444Z',
          updatedAt: '2026-12-06T22:42:52.444Z',
        },
      },
    },
    'GET /api/v1/warehouses': {
      summary: 'List warehouses',
      description: 'TODO-DESCRIBE',
      responses: {
        '200': {
          data: [
            {
              id: 1,
              code: 'MAIN',
              name: 'Main warehouse',
              active: true,
              createdAt: '2026-12-06T22:42:52.444Z',
              updatedAt: '2026-12-06T22:42:52.444Z',
            },
            {
              id: 2,
              code: 'OUTLET',
              name: 'City outlet',
              active: true,
              createdAt: '2026-12-06T22:42:52.463Z',
              updatedAt: '2026-12-06T22:42:52.463Z',
            },
          ],
        },
      },
    },
    'GET /api/v1/warehouses/{id}': {
      summary: 'Get a warehouse',
      description: 'TODO-DESCRIBE',
      params: { id: 1 },
      responses: {
        '200': {
          id: 1,
          code: 'MAIN',
          name: 'Main warehouse',
          active: true,
          createdAt: '2026-12-06T22:42:52.444Z',
          updatedAt: '2026-12-06T22:42:52.444Z',
        },
      },
    },
    'PATCH /api/v1/warehouses/{id}': {
      summary: 'Change a warehouse',
      description: 'TODO-DESCRIBE',
      params: { id: 2 },
      body: { example: { summary: 'TODO-EX', value: { name: 'City outlet (Kings Road)' } } },
      responses: {
        '200': {
          id: 2,
          code: 'OUTLET',
          name: 'City outlet (Kings Road)',
          active: true,
          createdAt: '2026-12-06T22:42:52.463Z',
          updatedAt: '2026-12-06T22:42:52.473Z',
        },
      },
    },
    'DELETE /api/v1/warehouses/{id}': {
      summary: 'Remove an empty warehouse',
      description: 'TODO-DESCRIBE',
      params: { id: 3 },
      responses: {},
    },
  },
};
