import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnv, type TestAccount, type TestEnv } from '../support/env.js';
import { call, product, warehouse } from '../support/fixtures.js';
import { LEVEL, recordingLogger, type LogRecord } from '../support/log-records.js';
import { eventually } from '../support/wait.js';

/*
 * One log record per request, at a level that depends on how it ended (http/request-log.ts): a
 * success at debug (so a dashboard polling the API writes nothing at the default level), a refusal
 * at info with its error code (a refused document as `document.refused`), a 5xx at error, a slow
 * success at info. Fastify's own "incoming request" / "request completed" pair is off.
 */

type Env = TestEnv & { close(): Promise<void> };

describe('request log records', () => {
  const rec = recordingLogger();
  let env: Env;
  let a: TestAccount;
  beforeAll(async () => {
    // A loaded machine must not make a success "slow": that threshold is the second suite's.
    env = await createEnv('sqlite', { logger: rec.logger, slowRequestMs: 60_000 });
    a = await env.newAccount();
  });
  afterAll(async () => env.close());

  /** The records of requests to `url` (with its query), once its record is written (after the answer). */
  const recordsOf = (url: string, method = 'GET') =>
    eventually(() => {
      const found = rec.records.filter((r) => r.url === url && r.method === method);
      return found.length > 0 && found;
    });

  it('a success is one record at debug, with method, URL, status, time and request id; fastify writes none of its own', async () => {
    await call(env, a, 'GET', '/api/v1/warehouses', undefined, 200);
    const [r, ...more] = await recordsOf('/api/v1/warehouses');
    expect(more).toEqual([]);
    expect(r).toMatchObject({ level: LEVEL.debug, code: 'request.completed', statusCode: 200, reqId: expect.any(String) });
    expect(r.responseTimeMs).toEqual(expect.any(Number));
    expect(r.msg).toMatch(/^GET \/api\/v1\/warehouses 200 in [\d.]+ ms$/);
    expect(rec.records.filter((x) => x.msg === 'incoming request' || x.msg === 'request completed')).toEqual([]);
  });

  it('a refusal is at info with its error code, on the Kladana routes too (whose body has another shape)', async () => {
    await call(env, a, 'GET', '/api/v1/no-such-thing', undefined, 404);
    expect(await recordsOf('/api/v1/no-such-thing')).toMatchObject([{ level: LEVEL.info, code: 'request.rejected', statusCode: 404, errorCode: 'ROUTE_NOT_FOUND' }]);
    await call(env, null, 'GET', '/api/v1/products', undefined, 401);
    expect(await recordsOf('/api/v1/products')).toMatchObject([{ level: LEVEL.info, code: 'request.rejected', statusCode: 401, errorCode: 'UNAUTHORIZED' }]);
    const kladana = await call(env, null, 'GET', '/api/remap/1.2/report/stock/all/current', undefined, 401);
    expect(kladana.body.errors[0].code).toBe(4010);
    expect(await recordsOf('/api/remap/1.2/report/stock/all/current')).toMatchObject([{ level: LEVEL.info, statusCode: 401, errorCode: 'UNAUTHORIZED' }]);
  });

  it('a refused document is one record, document.refused at info, with its code, type, warehouse and account', async () => {
    const w = await warehouse(env, a);
    const p = await product(env, a);
    const before = rec.records.length;
    const res = await call(env, a, 'POST', '/api/v1/documents', { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 3 }] }, 422);
    expect(res.body.error.code).toBe('INSUFFICIENT_STOCK');
    const mine = await eventually(() => {
      const found = rec.records.slice(before).filter((r) => r.url === '/api/v1/documents');
      return found.length > 0 && found;
    });
    expect(mine).toMatchObject([
      { level: LEVEL.info, code: 'document.refused', errorCode: 'INSUFFICIENT_STOCK', type: 'sale', warehouseId: w, account: a.id, statusCode: 422, reason: res.body.error.message },
    ]);
    expect(mine[0].msg).toBe(`document refused: INSUFFICIENT_STOCK: ${res.body.error.message}`);
  });

  it('credentials in the query string are not logged', async () => {
    await call(env, a, 'GET', '/api/v1/stock?access_token=hunter2-in-url');
    const [r] = await recordsOf('/api/v1/stock?access_token=[REDACTED]');
    expect(r.code).toMatch(/^request\./);
    expect(JSON.stringify(rec.records)).not.toContain('hunter2-in-url');
  });
});

describe('slow and failed requests', () => {
  const rec = recordingLogger();
  let env: Env;
  beforeAll(async () => {
    // Every request counts as slow: the threshold is what is under test, not the machine's speed.
    env = await createEnv('sqlite', { logger: rec.logger, slowRequestMs: 0 });
  });
  afterAll(async () => {
    await env.app.close();
    rmSync(dirname(env.url), { recursive: true, force: true });
  });

  it('a slow success is at info; a 5xx at error with its code', async () => {
    const a = await env.newAccount();
    const slow = await eventually(() => rec.records.find((r: LogRecord) => r.url === '/api/v1/accounts'));
    expect(slow).toMatchObject({ level: LEVEL.info, code: 'request.slow', statusCode: 201 });
    // The database is gone under the app: the request fails on the server's side.
    await env.store.close();
    const res = await call(env, a, 'GET', '/api/v1/warehouses');
    expect(res.status).toBeGreaterThanOrEqual(500);
    const failed = await eventually(() => rec.records.find((r) => r.url === '/api/v1/warehouses' && r.code === 'request.failed'));
    expect(failed).toMatchObject({ level: LEVEL.error, statusCode: res.status, errorCode: res.body.error.code });
  });
});
