import type { TagReference } from './types.js';

export const kladanaReference: TagReference = {
  tag: {
    name: 'kladana',
    description:
      "Kladana's (MoySklad's) own API for stock webhooks and the balance reports its notifications point to, " +
      'shaped as Kladana answers them, so a Kladana client works unchanged (docs/formats/kladana.md). Clients ' +
      'send the account token as the HTTP Basic password (any login); errors take Kladana\'s shape `{"errors": ' +
      '[{error, code, moreInfo}]}` with numeric codes. Webhooks made here are `kladana` subscriptions, also ' +
      'visible under /api/v1/webhooks.',
  },
  operations: {
    'GET /api/remap/1.2/report/stock/all/current': {
      summary: 'Current balance of each product changed since a time',
      description:
        "Kladana's `all` report: `[{assortmentId, stock}]`, one row per product whose amount changed since " +
        "`changedSince` (or `fromDate`, as the notification's `reportUrl` writes it), zeros included; `YYYY-MM-DD " +
        "HH:mm:ss`, read as UTC. Ids are stockhook's integer product ids. This is the URL a `kladana` " +
        'notification tells the receiver to fetch.',
      query: { changedSince: '2026-12-01 00:00:00' },
      responses: { '200': [{ assortmentId: 1, stock: 23 }, { assortmentId: 2, stock: 5 }] },
    },
    'GET /api/remap/1.2/report/stock/bystore/current': {
      summary: 'Current balance of each product per warehouse, changed since a time',
      description:
        "Kladana's `bystore` report: `[{assortmentId, storeId, stock}]`, one row per product and warehouse whose " +
        'amount changed since `changedSince` (or `fromDate`), zeros included; `YYYY-MM-DD HH:mm:ss`, read as UTC. ' +
        "Ids are stockhook's integer product and warehouse ids.",
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
      summary: 'List the stock webhooks',
      description:
        "The account's `kladana` subscriptions as Kladana's webhookstock entities (an application's token: its " +
        "own), with Kladana's `context` and `meta` (size, limit, offset). Page with `limit` (at most 1000) and " +
        '`offset`.',
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
      summary: 'Create a stock webhook, or create and update several at once',
      description:
        'With an object: creates one webhook and answers the entity. With an array: items with `meta.href` update ' +
        'that webhook, the others are created, all in one transaction: one refused item changes nothing, and the ' +
        'error answer is an array with one `{"errors": [...]}` per item. `stockType` is `stock`, `reportType` ' +
        '`all` or `bystore` (both required when creating), `url` at most 255 characters; (stockType, reportType, ' +
        'url) is unique in the account (409), at most 5 webhooks per stockType and reportType for users and 1 per ' +
        'application (422 `WEBHOOK_LIMIT_REACHED`); a free plan cannot create, change or delete them (403).',
      body: {
        one: {
          summary: 'Create one webhook for the all-products report',
          value: { url: 'https://erp.northwind.example/kladana/stock', stockType: 'stock', reportType: 'all' },
        },
        bulk: {
          summary: 'Create a bystore webhook and disable an existing one, in one transaction',
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
          summary: 'An installed application creates its own webhook (its token as the password)',
          value: { url: 'https://hooks.shipfast.example/stock', stockType: 'stock', reportType: 'all' },
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
      summary: 'Delete several stock webhooks',
      description:
        'Deletes the webhooks named by `meta.href`, all or none, and answers one `{info}` line per webhook. Their ' +
        'waiting notifications are cancelled.',
      body: {
        byHref: {
          summary: 'Delete a webhook named by its href',
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
      summary: 'Get one stock webhook',
      description:
        "The webhook as Kladana's entity; an unknown id, or a subscription of another format, is 404.",
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
      summary: 'Change a stock webhook',
      description:
        'Changes any of `url`, `stockType`, `reportType` and `enabled`; `{"enabled": false}` disables it (its ' +
        'waiting notifications are held). The read-only fields a client read (`id`, `accountId`, `meta`) may be ' +
        'sent back and are ignored. `stockType` is `stock`, `reportType` `all` or `bystore` (both required when ' +
        'creating), `url` at most 255 characters; (stockType, reportType, url) is unique in the account (409), at ' +
        'most 5 webhooks per stockType and reportType for users and 1 per application (422 ' +
        '`WEBHOOK_LIMIT_REACHED`); a free plan cannot create, change or delete them (403).',
      params: { id: '0158f533-3194-4d55-9dfa-d9b9295a150f' },
      body: { bystore: { summary: 'Switch to the per-warehouse report and enable it', value: { reportType: 'bystore', enabled: true } } },
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
      summary: 'Delete a stock webhook',
      description:
        "Answers 200 with the same `{info}` object as one item of a bulk delete (Kladana's document shows no " +
        'body), so a client that parses it and one that ignores it both work.',
      params: { id: '0158f533-3194-4d55-9dfa-d9b9295a150f' },
      responses: {
        '200': {
          info: 'Entity \'webhookstock\' with UUID: 0158f533-3194-4d55-9dfa-d9b9295a150f successfully deleted',
        },
      },
    },
    'GET /api/remap/1.2/context/employee': {
      summary: "The caller, as Kladana's employee",
      description:
        "The href the webhook list's `context.employee` points to. stockhook has no staff users, so the employee " +
        'is the account: its UUID as `id` and `accountId`, and its name.',
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
      summary: 'The application that created a webhook',
      description:
        "The href a webhook's `authorApplication` points to: an application installed in this account or author " +
        "of one of its webhooks, by stockhook's integer application id; any other is 404 (to an application's " +
        'token, any application but itself).',
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
      summary: 'Metadata of webhookstock',
      description:
        "Kladana's metadata object for the entity, as its `metadataHref` promises; stockhook has no custom " +
        'attributes, so `attributes` is empty.',
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
      summary: 'Metadata of employee',
      description:
        "Kladana's metadata object for the employee entity (the context employee's `metadataHref`); `attributes` " +
        'is empty.',
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
      summary: 'Metadata of application',
      description:
        "Kladana's metadata object for the application entity (an authorApplication's `metadataHref`); " +
        '`attributes` is empty.',
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
