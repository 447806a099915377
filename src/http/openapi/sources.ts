import type { TagReference } from './types.js';

/*
 * One story told by every example: a MetaKocka ERP registered as source 1, which books into MAIN
 * (warehouse 1) and must not hear back from the account's MetaKocka subscription. Its first update
 * names three products: TEE-RED-M is found by SKU and booked; the mug and the cap match nothing and
 * wait as unmatched rows until a product with the mug's SKU is created (retry) and the cap is mapped.
 */

const SOURCE_ID = 1;
const URL = 'https://stock.example.com/in/3M3r2dPNtsxxrsF0Vy3LaQZfPrAWveL12mvzV8nQ54s';
const OWN_WEBHOOK = 'be178f82-37c3-48a6-be96-89abe245ae3f';
const REQUEST_ID = '01a24d86-5c1e-7a3d-9f42-3b8e6d1c0a57';

const row = (mkId: string, countCode: string, code: string, title: string, amount: string, extra: Record<string, string> = {}) => ({
  warehouse_id: 'MAIN',
  mk_id: mkId,
  count_code: countCode,
  code,
  title,
  amount,
  reserved_amount: '0',
  free_amount: amount,
  unit: 'pcs',
  ...extra,
});
const MUG = row('1600094901', 'MUG-WHT', 'MUG', 'Enamel mug, white', '24');
const CAP = row('1600094932', 'CAP-BLK', 'CAP', 'Baseball cap, black', '6');
/** MetaKocka's warehouse_product_stock_update as it arrives; opr_time_ms is when MetaKocka sent it. */
const UPDATE = JSON.stringify({
  opr_code: '0',
  opr_time_ms: '1796597020000',
  stock_list_count: '3',
  stock_list: [row('1600094857', 'TEE-RED-M', 'TEE-RED', 'Organic cotton T-shirt, red, M', '14', { size: 'M', micro_location: 'A-01-1' }), MUG, CAP],
});

const source = (health: { lastRequest: { id: string; receivedAt: string; outcome: string } | null; unmatched: number }, changed: object = {}) => ({
  id: SOURCE_ID,
  name: 'MetaKocka ERP',
  format: 'metakocka',
  url: URL,
  mapping: 'sku',
  allowCreate: false,
  defaultWarehouseId: 1,
  ownWebhookIds: [OWN_WEBHOOK],
  enabled: true,
  hasSecret: true,
  hasReportAuthorization: false,
  reportBaseUrl: null,
  health,
  createdAt: '2026-12-06T22:43:10.214Z',
  updatedAt: '2026-12-06T22:43:10.214Z',
  ...changed,
});
const AFTER_FIRST_REQUEST = { lastRequest: { id: REQUEST_ID, receivedAt: '2026-12-06T22:43:41.502Z', outcome: 'booked' }, unmatched: 2 };

export const sourcesReference: TagReference = {
  tag: {
    name: 'sources',
    description:
      "Inbound: a vendor's own webhooks (MetaKocka, Poster, CycleSoftware, Kladana, another stockhook's native " +
      'events) booked as stock. Each source has an unguessable inbound URL, `{publicUrl}/in/{token}`, to paste ' +
      "into the vendor's webhook settings; every request is verified with the vendor's scheme, booked once as a " +
      '`count` document, answered as the vendor expects and logged. Rows that map to no product or warehouse are ' +
      'kept, never dropped, until a mapping places them. See docs/webhooks/sources.md.',
  },
  operations: {
    'POST /api/v1/sources': {
      summary: "Register a source: a vendor's webhooks booked as stock",
      description:
        'A `write` token. `format` (`metakocka`, `poster`, `cyclesoftware`, `kladana`, `native`) never changes ' +
        "later. `secret` is what the vendor signs with and is required for every format but `kladana` (422 " +
        '`VALIDATION_FAILED`, field `secret`); it is never shown again (`hasSecret`). The answer\'s `url` is the ' +
        "inbound URL to give the vendor. Products are found by the explicit mappings, then by `mapping` (`sku`, " +
        'the default; `code`; or `explicit`, the mappings only); `allowCreate` creates products nothing maps. ' +
        '`defaultWarehouseId` takes balances that name no warehouse (Kladana `reportType: all`); `ownWebhookIds` ' +
        "are the vendor's own subscriptions, which are not sent back what it reports. Kladana: " +
        '`reportAuthorization` (never shown again) and `reportBaseUrl` for fetching its reports. A warehouse or ' +
        'subscription of another account is 422 `VALIDATION_FAILED`.',
      body: {
        metakocka: {
          summary: "A MetaKocka ERP booking into MAIN, not echoed to the account's MetaKocka subscription",
          value: { name: 'MetaKocka ERP', format: 'metakocka', secret: 'mk-client-secret-7f3a', defaultWarehouseId: 1, ownWebhookIds: [OWN_WEBHOOK] },
        },
        kladana: {
          summary: 'A Kladana account: its reports fetched with a token, every balance into MAIN',
          value: {
            name: 'Kladana',
            format: 'kladana',
            reportAuthorization: 'Bearer 6f1d2c9a8b7e4f3a2d1c0b9a8e7f6d5c4b3a2f1e',
            defaultWarehouseId: 1,
            mapping: 'code',
          },
        },
      },
      responses: { '201': source({ lastRequest: null, unmatched: 0 }) },
    },
    'GET /api/v1/sources': {
      summary: "List the account's sources with their health",
      description:
        'Every source of the account, oldest first, without secrets (`hasSecret`, `hasReportAuthorization` say ' +
        'whether one is set). `health` shows the last request received (its log id, time and outcome) and how ' +
        'many rows wait for a mapping (`unmatched`). A `read` token.',
      responses: { '200': { data: [source(AFTER_FIRST_REQUEST)] } },
    },
    'GET /api/v1/sources/{id}': {
      summary: 'Get a source with its health',
      description:
        'One source, without secrets, with its `health` (last request, rows waiting for a mapping). A source of ' +
        'another account, or one that does not exist, is 404 `NOT_FOUND`. A `read` token.',
      params: { id: SOURCE_ID },
      responses: { '200': source(AFTER_FIRST_REQUEST) },
    },
    'PATCH /api/v1/sources/{id}': {
      summary: 'Change a source; its format and URL stay',
      description:
        'A `write` token; at least one field, the same fields as creating it. A different `format` is 422 ' +
        '`VALIDATION_FAILED` (create another source); `secret: null` or `reportAuthorization: null` removes one, ' +
        'but a signing vendor cannot be left without a secret. `enabled: false` makes the inbound URL answer ' +
        "with the vendor's failure and book nothing. Rows already kept as unmatched wait for a retry or a mapping. " +
        'The answer carries the source as GET reads it, `health` included.',
      params: { id: SOURCE_ID },
      body: {
        byCode: {
          summary: 'Find products by their code, and create the ones nothing maps',
          value: { mapping: 'code', allowCreate: true },
        },
        rotate: {
          summary: 'The vendor rotated its client secret',
          value: { secret: 'mk-client-secret-91c4' },
        },
        pause: { summary: 'Stop booking what the vendor sends', value: { enabled: false } },
      },
      responses: { '200': source(AFTER_FIRST_REQUEST, { mapping: 'code', allowCreate: true, updatedAt: '2026-12-06T22:44:02.871Z' }) },
    },
    'DELETE /api/v1/sources/{id}': {
      summary: 'Delete a source, its mappings and its log',
      description:
        'A `write` token. The inbound URL stops answering as the source (404), and its mappings, unmatched rows ' +
        'and request log are removed; the documents it booked stay in the ledger. 404 `NOT_FOUND` for a source ' +
        'of another account.',
      params: { id: SOURCE_ID },
      responses: {},
    },
    'GET /api/v1/sources/{id}/mappings': {
      summary: "The source's explicit mappings",
      description:
        "Every explicit mapping of the source: the vendor's product or warehouse id (`externalId`; for MetaKocka " +
        'a product is its `mk_id`, a warehouse its `warehouse_id`) and the product or warehouse it stands for ' +
        '(`targetId`). A `read` token.',
      params: { id: SOURCE_ID },
      responses: { '200': { data: [{ kind: 'product', externalId: '1600094932', targetId: 3, createdAt: '2026-12-06T22:44:31.118Z' }] } },
    },
    'POST /api/v1/sources/{id}/mappings': {
      summary: 'Map an external product or warehouse, and book the rows it places',
      description:
        'A `write` token. Maps the vendor\'s id to one of the account\'s products or warehouses (a mapping of the ' +
        'same kind and id is replaced); a target that is not the account\'s is 422 `VALIDATION_FAILED`. In the ' +
        'same write, the kept unmatched rows the mapping now places are booked, oldest first and still subject to ' +
        'the stale check: the answer says which documents were posted, how many rows were booked and how many ' +
        'still wait, any stale keys skipped, and any products created.',
      params: { id: SOURCE_ID },
      body: {
        product: {
          summary: "MetaKocka's cap (mk_id 1600094932) is product 3",
          value: { kind: 'product', externalId: '1600094932', targetId: 3 },
        },
        warehouse: {
          summary: "MetaKocka's warehouse 1600303267 is MAIN",
          value: { kind: 'warehouse', externalId: '1600303267', targetId: 1 },
        },
      },
      responses: { '200': { documentIds: [6], booked: 1, unmatched: 0, stale: [], createdProductIds: [] } },
    },
    'DELETE /api/v1/sources/{id}/mappings/{kind}/{externalId}': {
      summary: 'Remove an explicit mapping',
      description:
        "A `write` token. Later rows naming this id are found by the source's `mapping` rule again, or kept as " +
        'unmatched; what the mapping booked stays in the ledger. 404 `NOT_FOUND` when the source has no such mapping.',
      params: { id: SOURCE_ID, kind: 'product', externalId: '1600094932' },
      responses: {},
    },
    'GET /api/v1/sources/{id}/unmatched': {
      summary: 'Rows that mapped to nothing, with their raw row',
      description:
        'Oldest first, the rows still waiting: the request that brought each (its log id), the vendor\'s product ' +
        'and warehouse ids, why it was kept (no product or warehouse, a size the product lacks, a negative amount ' +
        'or one below the units reserved at its key), the amount and the row exactly as the vendor sent it. Page ' +
        'with `after=<last id>` and `limit` (at most 500, default 100). A `read` token.',
      params: { id: SOURCE_ID },
      query: { limit: 100 },
      responses: {
        '200': {
          data: [
            {
              id: 1,
              requestId: REQUEST_ID,
              product: '1600094901',
              warehouse: 'MAIN',
              reason: 'product 1600094901 maps to no product (mapping: sku)',
              amount: 24,
              row: MUG,
              createdAt: '2026-12-06T22:43:41.509Z',
            },
            {
              id: 2,
              requestId: REQUEST_ID,
              product: '1600094932',
              warehouse: 'MAIN',
              reason: 'product 1600094932 maps to no product (mapping: sku)',
              amount: 6,
              row: CAP,
              createdAt: '2026-12-06T22:43:41.509Z',
            },
          ],
        },
      },
    },
    'POST /api/v1/sources/{id}/unmatched/retry': {
      summary: 'Try the kept unmatched rows again',
      description:
        "A `write` token; no body. After products or warehouses got the SKU or code the source's rule looks for, " +
        'books every kept row that now maps (up to 1000 per call, oldest first), in one write. The answer says ' +
        'which documents were posted, how many rows were booked and how many still wait. Here a product with SKU ' +
        'MUG-WHT was created, so the mug was booked and the cap still waits.',
      params: { id: SOURCE_ID },
      responses: { '200': { documentIds: [5], booked: 1, unmatched: 1, stale: [], createdProductIds: [] } },
    },
    'GET /api/v1/sources/{id}/requests': {
      summary: "The source's request log, newest first",
      description:
        'Every request the inbound URL received: its headers (credentials hidden), the body (up to 64 KiB, ' +
        '`bodyTruncated` beyond), the vendor\'s delivery id (`deliveryKey`), whether it verified and why not, the ' +
        'answer given, and the outcome (`booked`, `duplicate`, `refused`, `stale`, `unmatched`, `ignored`, ' +
        '`failed`, `pending` while a Kladana report is read or waits for its next try, `fetch_failed` when its ' +
        'tries ran out) with its detail (for a Kladana report: `attempts`, `lastError`, `nextAttemptAt`, and at the ' +
        'end `reason`). Page with `before=<last id>` and ' +
        '`limit` (at most 500, default 50). A `read` token.',
      params: { id: SOURCE_ID },
      query: { limit: 20 },
      responses: {
        '200': {
          data: [
            {
              id: REQUEST_ID,
              receivedAt: '2026-12-06T22:43:41.502Z',
              deliveryKey: 'a3c1f0e2-5d4b-4e8a-9b17-6c2d8e0f4a91',
              headers: {
                host: 'stock.example.com',
                'content-type': 'application/json; charset=utf-8',
                'x-metakocka-event': 'warehouse_product_stock_update',
                'x-metakocka-id': 'a3c1f0e2-5d4b-4e8a-9b17-6c2d8e0f4a91',
                'x-metakocka-signature': 'wPzZXADpPaAlSsdWYcm6I4TWAz0=',
                'content-length': '671',
              },
              body: UPDATE,
              bodyTruncated: false,
              verified: true,
              verifyReason: null,
              answer: { status: 200, body: '{"status":"ok"}' },
              outcome: 'booked',
              detail: { documentIds: [4], booked: 1, unmatched: 2, stale: [], createdProductIds: [] },
            },
          ],
        },
      },
    },
  },
};
