import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListener } from '../../src/listen/listener.js';
import { killAll, startCli, type Child } from '../support/child.js';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually } from '../support/receiver.js';

describeEachDb(
  'stockhook listen (the CLI, as a child process)',
  (env) => {
    let child: Child | undefined;
    afterAll(async () => {
      if (child) await killAll([child]);
    });

    it('prints each webhook with headers and pretty body, says the signature is valid, and answers 200', async () => {
      const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
      child = await startCli(['listen', '--port', '0', '--format', 'native', '--secret', secret]);
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const c = child;
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: `${c.url}/hook`, secret, events: ['stock.changed'] }, 201);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 3 }] });
      // The listener prints a request before it answers, and stockhook records success only after the
      // answer: once the log says succeeded, the output is complete.
      const [delivery] = await eventually(async () => {
        const l = (await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries?status=succeeded`, undefined, 200)).body.data as any[];
        return l.length === 1 && l;
      });
      expect(delivery).toMatchObject({ attempts: 1, lastStatusCode: 200 });
      // Written to the pipe before the answer; read here as soon as this process gets to it.
      await eventually(() => c.stdout().includes('→ answered'));
      const out = c.stdout();
      expect(out).toMatch(/── #1 POST \/hook ── \d{4}-/);
      expect(out).toContain(`  webhook-id: ${delivery.id}\n`);
      expect(out).toMatch(/ {2}webhook-signature: v1,/);
      expect(out).toContain('    "type": "stock.changed",');
      expect(out).toContain('signature (native): valid');
      expect(out).toContain('→ answered 200 {"ok":true}');
    });
  },
  { dispatcher: { pollMs: 100 } },
);

describe('startListener', () => {
  const printed: string[] = [];
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    let i = 0;
    const l = await startListener({ port: 0, format: 'metakocka', secret: 'client-secret', failRate: 0.5, random: () => [0.9, 0.1][i++ % 2] }, (t) => printed.push(t));
    base = l.url;
    close = l.close;
  });
  afterAll(async () => close());

  it('answers as the format expects, fails the requested share, and flags a bad signature', async () => {
    const first = await fetch(`${base}/mk`, { method: 'POST', body: '{"opr_code":"0"}', headers: { 'x-metakocka-signature': 'wrong' } });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: 'ok' });
    const second = await fetch(`${base}/mk`, { method: 'POST', body: '{}' });
    expect(second.status).toBe(500);
    expect(printed[0]).toContain('signature (metakocka): INVALID (X-MetaKocka-Signature does not match)');
    expect(printed[1]).toContain('signature (metakocka): INVALID (missing X-MetaKocka-Signature)');
    expect(printed[1]).toContain('→ answered 500 {"error":"--fail-rate"}');
  });

  it('--status and --delay-ms', async () => {
    const l = await startListener({ port: 0, format: 'kladana', status: 503, delayMs: 50 }, (t) => printed.push(t));
    const t0 = Date.now();
    const res = await fetch(`${l.url}/k?requestId=x`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(printed.at(-1)).toContain('→ answered 503 {"error":"--status"} after 50 ms');
    await l.close();
    const ok = await startListener({ port: 0, format: 'kladana' }, (t) => printed.push(t));
    expect((await fetch(`${ok.url}/k`, { method: 'POST', body: '{}' })).status).toBe(204);
    await ok.close();
  });
});
