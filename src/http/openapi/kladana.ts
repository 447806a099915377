import type { TagReference } from './types.js';

export const kladanaReference: TagReference = {
  tag: { name: 'kladana', description: 'TODO-TAG' },
  operations: {
    'GET /api/remap/1.2/report/stock/all/current': {
      summary: 'Current balance of each product (changed since a time, zeros included)',
      description: 'TODO-DESCRIBE',
      query: { changedSince: '2026-12-01 00:00:00' },
      responses: { '200': [{ assortmentId: 1, stock: 23 }, { assortmentId: 2, stock: 5 }] },
    },
    'GET /api/remap/1.2/report/stock/bystore/current': {
      summary: 'Current balance of each product per warehouse (changed since a time, zeros included)',
      description: 'TODO-DESCRIBE',
      query: { changedSince: '2026-12-01 00:00:00' },
      responses: {
        '200': [
          { assortmentId: 1, storeId: 1, stock: 20 },
          { assortmentId: 1, storeId: 2, stock: 3 },
          { assortmentId: 2, storeId: 1, stock: 5 },
        ],
      },
    },
    'GET /api/remap/1.2/entity/webhookstock': {
      summary: 'List the webhooks for changing balances',
      description: 'TODO-DESCRIBE',
      query: { limit: 100, offset: 0 },
      responses: {
        '200': {
          context: {
            employee: {
              meta: {
                href: 'https://stock.example.com/api/remap/1.2/context/employee',
                metadataHref: 'https://stock.example.com/api/remap/1.2/entity/employee/metadata',
                type: 'employee',
                mediaType: 'application/json',
              },
            },
          },
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock',
            metadataHref: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/metadata',
            type: 'webhookstock',
            mediaType: 'application/json',
            size: 2,
            limit: 100,
            offset: 0,
          },
          rows: [
            {
              meta: {
                href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/0158f533-3194-4d55-9dfa-d9b9295a150f',
                metadataHref: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/metadata',
                type: 'webhookstock',
                mediaType: 'application/json',
              },
              id: '0158f533-3194-4d55-9dfa-d9b9295a150f',
              accountId: '1253aba5-440a-4821-ba72-aba556caf609',
              stockType: 'stock',
              reportType: 'all',
              url: 'https://erp.northwind.example/kladana/stock',
              enabled: false,
            },
            {
              meta: {
                href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/7a6999f7-9828-4044-9133-2d4238e96031',
                metadataHref: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/metadata',
                type: 'webhookstock',
                mediaType: 'application/json',
              },
              id: '7a6999f7-9828-4044-9133-2d4238e96031',
              accountId: '1253aba5-440a-4821-ba72-aba556caf609',
              stockType: 'stock',
              reportType: 'bystore',
              url: 'https://erp.northwind.example/kladana/bystore',
              enabled: true,
            },
          ],
        },
      },
    },
    'POST /api/remap/1.2/entity/webhookstock': {
      summary: 'Create one webhook (object), or create and update several in one transaction (array; items with meta.href are updates)',
      description: 'TODO-DESCRIBE',
      body: {
        one: {
          summary: 'TODO-EX',
          value: { url: 'https://erp.northwind.example/kladana/stock', stockType: 'stock', reportType: 'all' },
        },
        bulk: {
          summary: 'TODO-EX',
          value: [
            { url: 'https://erp.northwind.example/kladana/bystore', stockType: 'stock', reportType: 'bystore' },
            {
              meta: {
                href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/0158f533-3194-4d55-9dfa-d9b9295a150f',
              },
              enabled: false,
            },
          ],
        },
        app: {
          summary: 'TODO-EX',
          value: { url: 'https://erp.northwind.example/shipfast/stock', stockType: 'stock', reportType: 'all' },
        },
      },
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/0158f533-3194-4d55-9dfa-d9b9295a150f',
            metadataHref: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/metadata',
            type: 'webhookstock',
            mediaType: 'application/json',
          },
          id: '0158f533-3194-4d55-9dfa-d9b9295a150f',
          accountId: '1253aba5-440a-4821-ba72-aba556caf609',
          stockType: 'stock',
          reportType: 'all',
          url: 'https://erp.northwind.example/kladana/stock',
          enabled: true,
        },
      },
    },
    'POST /api/remap/1.2/entity/webhookstock/delete': {
      summary: 'Delete several webhooks in one transaction',
      description: 'TODO-DESCRIBE',
      body: {
        example: {
          summary: 'TODO-EX',
          value: [
            {
              meta: {
                href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/7a6999f7-9828-4044-9133-2d4238e96031',
              },
            },
          ],
        },
      },
      responses: {
        '200': [
          { info: 'Entity \'webhookstock\' with UUID: 7a6999f7-9828-4044-9133-2d4238e96031 successfully deleted' },
        ],
      },
    },
    'GET /api/remap/1.2/entity/webhookstock/{id}': {
      summary: 'Get one webhook for changing balances',
      description: 'TODO-DESCRIBE',
      params: { id: '0158f533-3194-4d55-9dfa-d9b9295a150f' },
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/0158f533-3194-4d55-9dfa-d9b9295a150f',
            metadataHref: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/metadata',
            type: 'webhookstock',
            mediaType: 'application/json',
          },
          id: '0158f533-3194-4d55-9dfa-d9b9295a150f',
          accountId: '1253aba5-440a-4821-ba72-aba556caf609',
          stockType: 'stock',
          reportType: 'all',
          url: 'https://erp.northwind.example/kladana/stock',
          enabled: false,
        },
      },
    },
    'PUT /api/remap/1.2/entity/webhookstock/{id}': {
      summary: 'Change a webhook (url, stockType, reportType); {"enabled": false} disables it',
      description: 'TODO-DESCRIBE',
      params: { id: '0158f533-3194-4d55-9dfa-d9b9295a150f' },
      body: { example: { summary: 'TODO-EX', value: { reportType: 'bystore', enabled: true } } },
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/0158f533-3194-4d55-9dfa-d9b9295a150f',
            metadataHref: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/metadata',
            type: 'webhookstock',
            mediaType: 'application/json',
          },
          id: '0158f533-3194-4d55-9dfa-d9b9295a150f',
          accountId: '1253aba5-440a-4821-ba72-aba556caf609',
          stockType: 'stock',
          reportType: 'bystore',
          url: 'https://erp.northwind.example/kladana/stock',
          enabled: true,
        },
      },
    },
    'DELETE /api/remap/1.2/entity/webhookstock/{id}': {
      summary: 'Delete a webhook for changing balances: 200 application/json, the same info object as one item of a bulk delete',
      description: 'TODO-DESCRIBE',
      params: { id: '0158f533-3194-4d55-9dfa-d9b9295a150f' },
      responses: {
        '200': {
          info: 'Entity \'webhookstock\' with UUID: 0158f533-3194-4d55-9dfa-d9b9295a150f successfully deleted',
        },
      },
    },
    'GET /api/remap/1.2/context/employee': {
      summary: 'The caller as Kladana\'s employee: stockhook has no staff users, so the account (its UUID and name)',
      description: 'TODO-DESCRIBE',
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/context/employee',
            metadataHref: 'https://stock.example.com/api/remap/1.2/entity/employee/metadata',
            type: 'employee',
            mediaType: 'application/json',
          },
          id: '1253aba5-440a-4821-ba72-aba556caf609',
          accountId: '1253aba5-440a-4821-ba72-aba556caf609',
          name: 'Northwind Apparel',
        },
      },
    },
    'GET /api/remap/1.2/entity/application/{id}': {
      summary: 'A webhook\'s authorApplication: an application installed in this account or author of one of its webhooks, else 404',
      description: 'TODO-DESCRIBE',
      params: { id: '1' },
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/application/1',
            metadataHref: 'https://stock.example.com/api/remap/1.2/entity/application/metadata',
            type: 'application',
            mediaType: 'application/json',
          },
          id: 1,
          accountId: '1253aba5-440a-4821-ba72-aba556caf609',
          name: 'ShipFast Labels',
        },
      },
    },
    'GET /api/remap/1.2/entity/webhookstock/metadata': {
      summary: 'Kladana metadata of webhookstock (no custom attributes)',
      description: 'TODO-DESCRIBE',
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/webhookstock/metadata',
            mediaType: 'application/json',
          },
          attributes: [],
          createShared: false,
        },
      },
    },
    'GET /api/remap/1.2/entity/employee/metadata': {
      summary: 'Kladana metadata of employee (no custom attributes)',
      description: 'TODO-DESCRIBE',
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/employee/metadata',
            mediaType: 'application/json',
          },
          attributes: [],
          createShared: false,
        },
      },
    },
    'GET /api/remap/1.2/entity/application/metadata': {
      summary: 'Kladana metadata of application (no custom attributes)',
      description: 'TODO-DESCRIBE',
      responses: {
        '200': {
          meta: {
            href: 'https://stock.example.com/api/remap/1.2/entity/application/metadata',
            mediaType: 'application/json',
          },
          attributes: [],
          createShared: false,
        },
      },
    },
  },
};
