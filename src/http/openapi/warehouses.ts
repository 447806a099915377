import type { TagReference } from './types.js';

export const warehousesReference: TagReference = {
  tag: {
    name: 'warehouses',
    description:
      'The places stock is kept. Every document, level and movement names a warehouse; a transfer moves stock ' +
      'between two. An inactive warehouse keeps its stock but takes no new documents (422 `INACTIVE_WAREHOUSE`). ' +
      'Changes emit warehouse.created, warehouse.updated and warehouse.deleted events.',
  },
  operations: {
    'POST /api/v1/warehouses': {
      summary: 'Create a warehouse',
      description:
        "A `write` token. `name` is required; `code` is your own short code (for example the ERP's store code); " +
        '`active` defaults to true. Emits warehouse.created.',
      body: { main: { summary: 'The main warehouse, code MAIN', value: { code: 'MAIN', name: 'Main warehouse' } } },
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
      description:
        'Every warehouse of the account, by id, active or not.',
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
      description:
        "One warehouse by id; another account's id, or one that does not exist, is 404 `NOT_FOUND`.",
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
      description:
        'A `write` token. Changes only the fields sent. `active: false` closes the warehouse to new documents ' +
        '(422 `INACTIVE_WAREHOUSE`) without touching its stock. Emits warehouse.updated.',
      params: { id: 2 },
      body: { rename: { summary: 'Rename the outlet', value: { name: 'City outlet (Kings Road)' } } },
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
      description:
        'A `write` token. Only a warehouse without stock can be removed: one holding stock is 409 ' +
        '`WAREHOUSE_HAS_STOCK` (transfer or write it off first, or set `active: false` instead). Emits ' +
        'warehouse.deleted.',
      params: { id: 3 },
      responses: {},
    },
  },
};
