import type { TagReference } from './types.js';

export const deliveriesReference: TagReference = {
  tag: {
    name: 'deliveries',
    description:
      'The delivery log: one delivery per event and subscription, with every attempt (the request as sent, ' +
      "credentials masked; the response's status, headers and first 8 KiB; the error kind). Failed deliveries can " +
      "be sent again; per-bucket statistics feed the dashboard's charts.",
  },
  operations: {
    'GET /api/v1/deliveries/{id}': {
      summary: 'Get a delivery with its body and every attempt',
      description:
        "The delivery's status and schedule, the exact body sent (the same bytes on every attempt), and each " +
        'attempt: request headers with credentials masked, the response status, headers and first 8 KiB of body, ' +
        "how long it took and what went wrong. An application's token sees only deliveries of its own " +
        'subscriptions.',
      params: { id: '01a24d86-442b-7d7c-8d64-7176669081e3' },
      responses: {
        '200': {
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
          body: '{"id":"01a24d86-442a-7192-b4c2-dff59581c1b1","type":"webhook.test","timestamp":"2026-12-06T22:42:54.634Z","account_id":"1253aba5-440a-4821-ba72-aba556caf609","data":{"webhookId":"be178f82-37c3-48a6-be96-89abe245ae3f","message":"stockhook test event"}}',
          attemptLog: [
            {
              attempt: 1,
              startedAt: '2026-12-06T22:42:54.635Z',
              durationMs: 29.65,
              outcome: 'succeeded',
              request: {
                url: 'https://erp.northwind.example/hooks/stock',
                headers: {
                  'user-agent': 'stockhook/0.1',
                  'content-type': 'application/json',
                  'webhook-id': '01a24d86-442b-7d7c-8d64-7176669081e3',
                  'webhook-timestamp': '1796596974',
                  'webhook-signature': 'v1,MyxlfwE5SlSXdMgC0lKM5zWXk5WCQi/gWC/LfZvwTNE=',
                },
                body: '{"id":"01a24d86-442a-7192-b4c2-dff59581c1b1","type":"webhook.test","timestamp":"2026-12-06T22:42:54.634Z","account_id":"1253aba5-440a-4821-ba72-aba556caf609","data":{"webhookId":"be178f82-37c3-48a6-be96-89abe245ae3f","message":"stockhook test event"}}',
              },
              response: {
                status: 200,
                headers: {
                  'content-type': 'application/json',
                  date: 'Sun, 06 Dec 2026 22:42:54 GMT',
                  connection: 'keep-alive',
                  'keep-alive': 'timeout=5',
                  'transfer-encoding': 'chunked',
                },
                body: '{"ok":true}',
              },
              error: null,
            },
          ],
        },
      },
    },
    'POST /api/v1/deliveries/{id}/retry': {
      summary: 'Send a finished delivery again',
      description:
        'A `write` token. A delivery that has finished (succeeded, failed, dropped or cancelled) is queued again: ' +
        'same id, same bytes, one more attempt, answered 202 with the delivery now `pending`. One already waiting ' +
        'to be sent is 409 `CONFLICT`; one held by a disabled subscription, or whose subscription is disabled or ' +
        'deleted, is 422 `INVALID_STATE`.',
      params: { id: '01a24d86-442b-7d7c-8d64-7176669081e3' },
      responses: {
        '202': {
          id: '01a24d86-442b-7d7c-8d64-7176669081e3',
          webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
          eventId: '01a24d86-442a-7192-b4c2-dff59581c1b1',
          eventType: 'webhook.test',
          status: 'pending',
          attempts: 1,
          nextAttemptAt: '2026-12-06T22:42:56.334Z',
          lastStatusCode: 200,
          lastError: null,
          createdAt: '2026-12-06T22:42:54.634Z',
          completedAt: null,
          url: 'https://erp.northwind.example/hooks/stock',
        },
      },
    },
    'GET /api/v1/deliveries': {
      summary: "The account's delivery log across subscriptions",
      description:
        "Newest first, across every subscription (an application's token: its own). Filter by `webhookId`, " +
        '`status`, `eventType`, `eventId` (the deliveries one event caused) and creation time (`since`, `until`); ' +
        'pages of `limit`, continued with `cursor=<nextCursor>`.',
      query: { webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f', eventType: 'stock.changed', limit: 2 },
      responses: {
        '200': {
          data: [
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
            {
              id: '01a24d86-42b5-74b9-82af-326f003a1bb9',
              webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
              eventId: '01a24d86-42b5-72cd-b073-b95d39004184',
              eventType: 'stock.changed',
              status: 'succeeded',
              attempts: 1,
              nextAttemptAt: null,
              lastStatusCode: 200,
              lastError: null,
              createdAt: '2026-12-06T22:42:54.255Z',
              completedAt: '2026-12-06T22:42:54.452Z',
              url: 'https://erp.northwind.example/hooks/stock',
            },
          ],
          nextCursor: 'MTc5NjU5Njk3NDI1NTowMWEyNGQ4Ni00MmI1LTc0YjktODJhZi0zMjZmMDAzYTFiYjk',
        },
      },
    },
    'GET /api/v1/stats/deliveries': {
      summary: 'Delivery attempts per time bucket',
      description:
        'For charts: per bucket of `bucketSeconds`, the number of attempts, how many succeeded and failed, and ' +
        'the p50 and p95 durations in milliseconds (null without attempts). `since` is at most 7 days back ' +
        '(default: one hour ago), at most 500 buckets, each starting at a multiple of `bucketSeconds`; ' +
        '`webhookId` narrows to one subscription.',
      query: { since: '2026-12-06T22:30:00.000Z', bucketSeconds: 300, webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f' },
      responses: {
        '200': {
          since: '2026-12-06T22:30:00.000Z',
          until: '2026-12-06T22:45:00.000Z',
          bucketSeconds: 300,
          buckets: [
            { at: '2026-12-06T22:30:00.000Z', attempts: 0, succeeded: 0, failed: 0, p50Ms: null, p95Ms: null },
            { at: '2026-12-06T22:35:00.000Z', attempts: 3, succeeded: 2, failed: 1, p50Ms: 182.4, p95Ms: 1504.9 },
            { at: '2026-12-06T22:40:00.000Z', attempts: 14, succeeded: 14, failed: 0, p50Ms: 161.02, p95Ms: 711.21 },
          ],
        },
      },
    },
  },
};
