import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call } from '../support/fixtures.js';
import { documents, listening, requests, source } from './helpers.js';
import { metakocka, send } from './senders.js';

/*
 * What the inbound URL does with requests a vendor's document says it never sends, built on
 * MetaKocka's headers (seed 000_7b98ce3caed45c8a.txt): each is answered without booking, and logged.
 */

const SECRET = 'mk-secret';
const signed = (path: string, raw: string, event = 'warehouse_product_stock_update') => ({
  path,
  headers: { 'content-type': 'application/json', 'X-MetaKocka-Event': event, 'X-MetaKocka-Id': `id-${raw.length}-${event}`, 'X-MetaKocka-Signature': createHmac('sha1', SECRET).update(raw).digest('base64') },
  body: raw,
});

describeEachDb('the inbound URL under hostile input', (env) => {
  it('answers a signed body that is not JSON, or not a stock list, with 400; an other event is ignored; a disabled source refuses; nothing is booked', async () => {
    const a = await env().newAccount();
    const s = await source(env(), a, { name: 'MK', format: 'metakocka', secret: SECRET });
    const base = await listening(env());
    const notJson = await send(base, signed(s.path, '{"stock_list": ['));
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toEqual({ error: 'the body is not UTF-8 JSON' });
    const noList = await send(base, signed(s.path, JSON.stringify({ opr_code: '0', stock_list: 'all' })));
    expect(noList.status).toBe(400);
    expect(JSON.parse(noList.body)).toEqual({ error: 'stock_list is missing' });
    const badAmount = await send(base, signed(s.path, JSON.stringify({ stock_list: [{ warehouse_id: '1', mk_id: '2', amount: '1e400' }] })));
    expect(JSON.parse(badAmount.body)).toEqual({ error: 'stock_list[0].amount is not a number' });
    const other = await send(base, signed(s.path, JSON.stringify({ id: 1 }), 'warehouse_document_update'));
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body)).toEqual({ status: 'ok' });
    await call(env(), a, 'PATCH', `/api/v1/sources/${s.id}`, { enabled: false }, 200);
    const disabled = await send(base, metakocka(s.path, SECRET, { stock_list: [] }));
    expect(disabled.status).toBe(401);
    const log = (await requests(env(), a, s.id)).reverse();
    expect(log.map((r) => [r.outcome, r.answer.status])).toEqual([
      ['failed', 400],
      ['failed', 400],
      ['failed', 400],
      ['ignored', 200],
      ['refused', 401],
    ]);
    expect(log[4].detail).toEqual({ reason: 'the source is disabled' });
    expect(await documents(env(), a)).toEqual([]);
  });

  it('refuses a body over 1 MiB before reading it whole, and keeps at most 64 KiB of a body in the log', async () => {
    const a = await env().newAccount();
    const s = await source(env(), a, { name: 'MK', format: 'metakocka', secret: SECRET });
    const base = await listening(env());
    const huge = await send(base, signed(s.path, JSON.stringify({ stock_list: [], pad: 'x'.repeat(1024 * 1024) })));
    expect(huge.status).toBe(413);
    const big = await send(base, signed(s.path, JSON.stringify({ opr_code: '0', stock_list: [], pad: 'y'.repeat(100_000) })));
    expect(big.status).toBe(200);
    const log = await requests(env(), a, s.id);
    expect(log).toHaveLength(1);
    expect(log[0].bodyTruncated).toBe(true);
    expect(log[0].body.length).toBe(64 * 1024);
  });
});
