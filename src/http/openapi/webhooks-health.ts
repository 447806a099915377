import type { OperationReference } from './types.js';

/** The webhooks tag's health entry, apart from webhooks.ts only to keep that file short. */
export const webhookHealthOperations: Record<string, OperationReference> = {
  'GET /api/v1/webhooks/health': {
    summary: "Each subscription's endpoint health",
    description:
      'One row per subscription of the account (an application token: only its own), in creation order: `state` ' +
      'is `disabled`, `paused` (the circuit breaker holds its deliveries until `pausedUntil`), `failing` (every ' +
      'attempt since `failingSince` failed) or `healthy`; `lastAttempt` with its outcome, status code or error; ' +
      "`nextAttemptAt`, the earliest pending delivery's next try (never before the pause ends); and how many " +
      'deliveries are `pending` or `held`. A `read` token. The dashboard draws its endpoint list from it.',
    responses: {
      '200': {
        data: [
          {
            webhookId: 'be178f82-37c3-48a6-be96-89abe245ae3f',
            state: 'healthy',
            disabledReason: null,
            failingSince: null,
            pausedUntil: null,
            lastAttempt: { at: '2026-12-06T22:42:53.412Z', outcome: 'succeeded', statusCode: 200, error: null },
            nextAttemptAt: null,
            pending: 0,
            held: 0,
          },
          {
            webhookId: '7c2e91d4-0a3b-4f6e-8d15-b94f2c6a1e08',
            state: 'paused',
            disabledReason: null,
            failingSince: '2026-12-06T22:31:07.905Z',
            pausedUntil: '2026-12-06T22:52:53.118Z',
            lastAttempt: { at: '2026-12-06T22:42:53.118Z', outcome: 'retry', statusCode: 503, error: 'bad_status: HTTP 503' },
            nextAttemptAt: '2026-12-06T22:52:53.118Z',
            pending: 6,
            held: 0,
          },
        ],
      },
    },
  },
};
