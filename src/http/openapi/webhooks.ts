import type { TagReference } from './types.js';
import { webhookHealthOperations } from './webhooks-health.js';

export const webhooksReference: TagReference = {
  tag: {
    name: 'webhooks',
    description:
      'Subscriptions: where to send which events, in which format (native Standard Webhooks, metakocka, kladana, ' +
      'poster, cyclesoftware, marketplace). A change and its deliveries commit together, so no change is lost; ' +
      "each delivery is signed, retried on the format's schedule with the same bytes, and logged with every " +
      'attempt. A paid plan is needed (403 `PLAN_FORBIDS_WEBHOOKS`). Guarantees: docs/webhooks/guarantees.md; ' +
      'formats: docs/formats/.',
  },
  operations: {
    ...webhookHealthOperations,
    'POST /api/v1/webhooks': {
      summary: 'Subscribe an endpoint to events',
      description:
        "A `write` token (or an application's token: the subscription is then the application's). `url` must be " +
        'http(s) and reach a public address: loopback, private and other non-public targets are 422 ' +
        '`TARGET_NOT_ALLOWED` unless the operator sets `STOCKHOOK_ALLOW_PRIVATE_TARGETS=1`. `format` defaults to ' +
        '`native`; `events` to every event the format sends. The answer shows the signing `secret` (generated ' +
        'unless given) this once. Optional: `basicAuth` or `bearerToken` sent with each request, `retrySchedule` ' +
        "(seconds) overriding the format's schedule, `coalesceSeconds` (`kladana` only: its notification window, " +
        '60-300 s), `maxInFlight` (deliveries in flight at once, default 16).',
      body: {
        native: {
          summary: 'Native format: stock changes and posted documents to the ERP',
          value: {
            url: 'https://erp.northwind.example/hooks/stock',
            format: 'native',
            events: ['stock.changed', 'document.posted'],
            maxInFlight: 4,
          },
        },
        metakocka: {
          summary: 'MetaKocka format with its shared secret',
          value: {
            url: 'https://erp.northwind.example/metakocka',
            format: 'metakocka',
            secret: 'mk-shared-secret-2f9c1e',
          },
        },
      },
      responses: {
        '201': {
          id: 'be178f82-37c3-48a6-be96-89abe245ae3f',
          url: 'https://erp.northwind.example/hooks/stock',
          format: 'native',
          events: ['stock.changed', 'document.posted'],
          enabled: true,
          disabledReason: null,
          basicAuth: null,
          bearerToken: false,
          retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000],
          followsVendorSchedule: true,
          coalesceSeconds: null,
          maxInFlight: 4,
          options: {},
          failingSince: null,
          pausedUntil: null,
          createdAt: '2026-12-06T22:42:52.583Z',
          updatedAt: '2026-12-06T22:42:52.583Z',
          secret: 'whsec_qOdTfmKPjdNLT31MJiR42WiaVbsEN84g',
        },
      },
    },
    'GET /api/v1/webhooks': {
      summary: 'List subscriptions',
      description:
        "Every subscription of the account (an application's token: only its own), without secrets: `bearerToken` " +
        'says only whether one is set. `failingSince` and `pausedUntil` show an endpoint in trouble; ' +
        '`disabledReason` why one was disabled.',
      responses: {
        '200': {
          data: [
            {
              id: 'be178f82-37c3-48a6-be96-89abe245ae3f',
              url: 'https://erp.northwind.example/hooks/stock',
              format: 'native',
              events: ['stock.changed', 'document.posted'],
              enabled: true,
              disabledReason: null,
              basicAuth: null,
              bearerToken: false,
              retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000],
              followsVendorSchedule: true,
              coalesceSeconds: null,
              maxInFlight: 4,
              options: {},
              failingSince: null,
              pausedUntil: null,
              createdAt: '2026-12-06T22:42:52.583Z',
              updatedAt: '2026-12-06T22:42:52.583Z',
            },
          ],
        },
      },
    },
    'GET /api/v1/webhooks/{id}': {
      summary: 'Get a subscription',
      description:
        "One subscription, without its secret. Another account's, or another application's, is 404 `NOT_FOUND`.",
      params: { id: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      responses: {
        '200': {
          id: 'be178f82-37c3-48a6-be96-89abe245ae3f',
          url: 'https://erp.northwind.example/hooks/stock',
          format: 'native',
          events: ['stock.changed', 'document.posted'],
          enabled: true,
          disabledReason: null,
          basicAuth: null,
          bearerToken: false,
          retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000],
          followsVendorSchedule: true,
          coalesceSeconds: null,
          maxInFlight: 4,
          options: {},
          failingSince: null,
          pausedUntil: null,
          createdAt: '2026-12-06T22:42:52.583Z',
          updatedAt: '2026-12-06T22:42:52.583Z',
        },
      },
    },
    'PATCH /api/v1/webhooks/{id}': {
      summary: 'Change a subscription',
      description:
        'A `write` token. Changes only the fields sent. `enabled: false` holds its waiting deliveries (status ' +
        '`held`) and `enabled: true` sends them. Moving `url` to another origin drops `basicAuth` and ' +
        "`bearerToken` unless new ones are sent with it. `retrySchedule: null` returns to the format's own " +
        'schedule.',
      params: { id: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      body: {
        events: {
          summary: 'Also send cancellations, and retry sooner',
          value: {
            events: ['stock.changed', 'document.posted', 'document.cancelled'],
            retrySchedule: [10, 60, 300, 1800, 7200],
          },
        },
      },
      responses: {
        '200': {
          id: 'be178f82-37c3-48a6-be96-89abe245ae3f',
          url: 'https://erp.northwind.example/hooks/stock',
          format: 'native',
          events: ['stock.changed', 'document.posted', 'document.cancelled'],
          enabled: true,
          disabledReason: null,
          basicAuth: null,
          bearerToken: false,
          retrySchedule: [10, 60, 300, 1800, 7200],
          followsVendorSchedule: false,
          coalesceSeconds: null,
          maxInFlight: 4,
          options: {},
          failingSince: null,
          pausedUntil: null,
          createdAt: '2026-12-06T22:42:52.583Z',
          updatedAt: '2026-12-06T22:42:54.570Z',
        },
      },
    },
    'DELETE /api/v1/webhooks/{id}': {
      summary: 'Delete a subscription',
      description:
        'A `write` token. The subscription is gone at once and its waiting deliveries (pending or held) are ' +
        'cancelled: nothing more is sent to the endpoint.',
      params: { id: '207b8396-ede6-4049-8f04-4e70e3fc3387' },
      responses: {},
    },
    'POST /api/v1/webhooks/{id}/rotate-secret': {
      summary: 'Replace the signing secret',
      description:
        'A `write` token. The new secret is in this answer only. `native` and `marketplace` (Standard Webhooks) ' +
        'sign with both the new and the old secret for `gracePeriodSeconds` (`webhook-signature: v1,<new> ' +
        'v1,<old>`), so receivers can switch without losing a delivery; the other formats sign with the new ' +
        'secret at once. The body is optional.',
      params: { id: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      body: { grace: { summary: 'Keep the old secret valid for one day', value: { gracePeriodSeconds: 86400 } } },
      responses: {
        '200': {
          id: 'be178f82-37c3-48a6-be96-89abe245ae3f',
          url: 'https://erp.northwind.example/hooks/stock',
          format: 'native',
          events: ['stock.changed', 'document.posted', 'document.cancelled'],
          enabled: true,
          disabledReason: null,
          basicAuth: null,
          bearerToken: false,
          retrySchedule: [10, 60, 300, 1800, 7200],
          followsVendorSchedule: false,
          coalesceSeconds: null,
          maxInFlight: 4,
          options: {},
          failingSince: null,
          pausedUntil: null,
          createdAt: '2026-12-06T22:42:52.583Z',
          updatedAt: '2026-12-06T22:42:56.157Z',
          secret: 'whsec_ZpEYI14BvM6brm9ev3jDv0SnGjFISejE',
        },
      },
    },
    'POST /api/v1/webhooks/{id}/test': {
      summary: 'Send a test delivery',
      description:
        'A `write` token. Writes a webhook.test event and one delivery of it, to this subscription only, and ' +
        'answers at once with their ids; follow the delivery at GET /api/v1/deliveries/{id}. Useful after setting ' +
        'up a receiver or rotating a secret.',
      params: { id: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      responses: {
        '202': {
          eventId: '01a24d86-442a-7192-b4c2-dff59581c1b1',
          deliveryId: '01a24d86-442b-7d7c-8d64-7176669081e3',
        },
      },
    },
    'POST /api/v1/webhooks/{id}/replay': {
      summary: 'Re-sync: send every matching event since a time again',
      description:
        'A `write` token. Starts a background job that sends this subscription every event since `since` that it ' +
        'would have received, as new deliveries, and answers 202 at once with the job; follow it at GET ' +
        '/api/v1/replays/{id}. `since` cannot reach before the retained event history (410 `HISTORY_PRUNED`). A ' +
        'disabled subscription is 422 `INVALID_STATE`; a second replay while one runs is 409 `CONFLICT` (the operator ' +
        'can allow more with `STOCKHOOK_MAX_REPLAYS_PER_WEBHOOK`).',
      params: { id: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      body: { hour: { summary: 'Everything from the last hour', value: { since: '2026-12-06T21:42:56.376Z' } } },
      responses: {
        '202': {
          id: '01a24d86-4b04-7968-b790-37240e27e3c3',
          webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
          status: 'running',
          since: '2026-12-06T21:42:56.376Z',
          eventsTotal: 34,
          eventsDone: 0,
          deliveries: 0,
          error: null,
          startedAt: '2026-12-06T22:42:56.388Z',
          finishedAt: null,
        },
      },
    },
    'GET /api/v1/webhooks/{id}/deliveries': {
      summary: "A subscription's delivery log",
      description:
        'Newest first: each delivery with its event, status (pending, succeeded, failed, dropped, held, ' +
        "cancelled), attempts so far, the next attempt's time and the last status code or error. Filter by " +
        '`status`, `eventType`, and creation time (`since`, `until`); pages of `limit`, continued with ' +
        '`cursor=<nextCursor>`.',
      params: { id: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      query: { status: 'succeeded', limit: 2 },
      responses: {
        '200': {
          data: [
            {
              id: '01a24d86-442b-7d7c-8d64-7176669081e3',
              webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
              eventId: '01a24d86-442a-7192-b4c2-dff59581c1b1',
              eventType: 'webhook.test',
              status: 'succeeded',
              attempts: 1,
              nextAttemptAt: null,
              lastStatusCode: 200,
              lastError: null,
              createdAt: '2026-12-06T22:42:54.634Z',
              completedAt: '2026-12-06T22:42:54.683Z',
              url: 'https://erp.northwind.example/hooks/stock',
            },
            {
              id: '01a24d86-42ef-7f26-8e38-29317ae49547',
              webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
              eventId: '01a24d86-42ef-700d-8dd7-4bf469b75a87',
              eventType: 'stock.changed',
              status: 'succeeded',
              attempts: 1,
              nextAttemptAt: null,
              lastStatusCode: 200,
              lastError: null,
              createdAt: '2026-12-06T22:42:54.298Z',
              completedAt: '2026-12-06T22:42:54.465Z',
              url: 'https://erp.northwind.example/hooks/stock',
            },
          ],
          nextCursor: 'MTc5NjU5Njk3NDI5ODowMWEyNGQ4Ni00MmVmLTdmMjYtOGUzOC0yOTMxN2FlNDk1NDc',
        },
      },
    },
    'GET /api/v1/replays/{id}': {
      summary: "A replay job's progress",
      description:
        'Status (`running`; `done`; `failed`, with its `error`; or `interrupted`, when the process running it ' +
        'stopped before it finished: start it again), how many events it has gone through of how many, and how ' +
        'many deliveries it created.',
      params: { id: '01a24d86-4b04-7968-b790-37240e27e3c3' },
      responses: {
        '200': {
          id: '01a24d86-4b04-7968-b790-37240e27e3c3',
          webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
          status: 'done',
          since: '2026-12-06T21:42:56.376Z',
          eventsTotal: 34,
          eventsDone: 34,
          deliveries: 14,
          error: null,
          startedAt: '2026-12-06T22:42:56.388Z',
          finishedAt: '2026-12-06T22:42:56.417Z',
        },
      },
    },
    'GET /api/v1/replays': {
      summary: 'The latest replay jobs',
      description:
        "The account's most recent replay jobs, newest first, optionally of one subscription (`webhookId`).",
      query: { webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      responses: {
        '200': {
          data: [
            {
              id: '01a24d86-4b04-7968-b790-37240e27e3c3',
              webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
              status: 'done',
              since: '2026-12-06T21:42:56.376Z',
              eventsTotal: 34,
              eventsDone: 34,
              deliveries: 14,
              error: null,
              startedAt: '2026-12-06T22:42:56.388Z',
              finishedAt: '2026-12-06T22:42:56.417Z',
            },
          ],
        },
      },
    },
  },
};
