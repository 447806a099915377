import { expect, it } from 'vitest';
import { BODY_LIMIT } from '../../src/app.js';
import { describeEachDb, type TestEnv } from '../support/env.js';

/*
 * Issue 26.6: authenticate first, then count, then parse and validate. A request without a valid
 * token is 401 whatever its body (the body is never parsed), and the rate limiter counts every
 * request of a token, the ones that validation would refuse included.
 */

const MAX = 4;

const post = (env: TestEnv, url: string, payload: string, authorization?: string) =>
  env.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...(authorization && { authorization }) } });

describeEachDb(
  'order of checks: authentication, rate limit, validation',
  (env) => {
    it('no token or a wrong token with a bad body is 401, not 400 with field details', async () => {
      const bad = JSON.stringify({ code: 5, bogus: true });
      for (const authorization of [undefined, 'Bearer shk_not_a_token', 'Basic dXNlcjpzaGtfbm9wZQ==']) {
        const res = await post(env(), '/api/v1/warehouses', bad, authorization);
        expect([res.statusCode, res.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
        expect(res.json().error.details).toBeUndefined();
      }
      // The administrator's routes and the Kladana routes (in Kladana's shape) alike.
      const admin = await post(env(), '/api/v1/accounts', bad, 'Bearer not-the-admin');
      expect([admin.statusCode, admin.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
      const kladana = await post(env(), '/api/remap/1.2/entity/webhookstock', '{"url": 5}');
      expect(kladana.statusCode).toBe(401);
      expect(kladana.json().errors[0]).toMatchObject({ code: 4010, moreInfo: expect.stringContaining('UNAUTHORIZED') });
    });

    it('the body of a request without a valid token is never parsed: malformed JSON and an oversized body are 401', async () => {
      // Parsed, these would be 400 MALFORMED_JSON and 413 PAYLOAD_TOO_LARGE.
      const malformed = await post(env(), '/api/v1/documents', '{"type": "receipt", ');
      expect([malformed.statusCode, malformed.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
      const huge = `{${'"x": 1, '.repeat(Math.ceil((BODY_LIMIT * 2) / 8))}`;
      expect(huge.length).toBeGreaterThan(BODY_LIMIT * 2);
      for (const authorization of [undefined, 'Bearer shk_not_a_token']) {
        const res = await post(env(), '/api/v1/documents', huge, authorization);
        expect([res.statusCode, res.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
      }
      // With a valid token the same bodies are parsed and refused for what they are.
      const a = await env().newAccount();
      const parsed = await post(env(), '/api/v1/documents', '{"type": "receipt", ', a.auth.authorization);
      expect([parsed.statusCode, parsed.json().error.code]).toEqual([400, 'MALFORMED_JSON']);
      const tooLarge = await post(env(), '/api/v1/documents', huge, a.auth.authorization);
      expect([tooLarge.statusCode, tooLarge.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });

    it('a token counts every request, the invalid ones too: MAX bad bodies reach validation (400), the next is 429', async () => {
      const a = await env().newAccount();
      const statuses: Array<[number, string]> = [];
      for (let i = 0; i < MAX + 2; i++) {
        const res = await post(env(), '/api/v1/warehouses', JSON.stringify({ code: 5 }), a.auth.authorization);
        statuses.push([res.statusCode, res.json().error.code]);
      }
      expect(statuses).toEqual([
        ...Array.from({ length: MAX }, () => [400, 'VALIDATION_FAILED']),
        [429, 'RATE_LIMITED'],
        [429, 'RATE_LIMITED'],
      ]);
      // A malformed body past the limit is 429 too: it is not parsed.
      const malformed = await post(env(), '/api/v1/warehouses', '{', a.auth.authorization);
      expect([malformed.statusCode, malformed.json().error.code]).toEqual([429, 'RATE_LIMITED']);
      // Authentication still comes first: a wrong token is 401, not 429, and opens no bucket.
      const wrong = await post(env(), '/api/v1/warehouses', '{', 'Bearer shk_not_a_token');
      expect(wrong.statusCode).toBe(401);
    });
  },
  { rateLimit: { max: MAX, windowMs: 60_000 } },
);
