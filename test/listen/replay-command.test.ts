import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { replayCommand } from '../../src/client/replay-command.js';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { runCommand } from '../support/child.js';
import { Receiver } from '../support/receiver.js';

/** A port nothing listens on: one the system just gave out and took back. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `stockhook <args>` from the sources, to its end, without the settings of the environment it runs in. */
function cli(args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(clean)) if (/^STOCKHOOK_(?!TEST_)/.test(name)) delete clean[name];
  return runCommand(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...clean, ...env }, timeoutMs: 60_000 });
}

describeEachDb(
  'stockhook replay (the CLI command behind it)',
  (env) => {
    let rx: Receiver;
    let base: string;
    beforeAll(async () => {
      rx = await Receiver.start();
      await env().app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(env().app.server.address() as AddressInfo).port}`;
    });
    afterAll(async () => rx.close());

    it('starts a replay over HTTP and prints progress until it is done', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const since = new Date().toISOString();
      // 550 documents = 1,100 events: three pages of 500, so progress moves in steps.
      for (let i = 0; i < 550; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/replayed'), events: ['document.posted'] }, 201);
      const lines: string[] = [];
      const job = await replayCommand({ url: base, token: a.token, webhook: sub.body.id, since, intervalMs: 5, out: { write: (s: string) => lines.push(s) } });
      expect(job).toMatchObject({ status: 'done', eventsTotal: 1100, eventsDone: 1100, deliveries: 550 });
      expect(lines.at(-1)).toBe(`replay ${job.id}: [####################] 100% 1100/1100 events, 550 deliveries, done\n`);
      expect(lines[0]).toMatch(/^replay [0-9a-f-]{36}: \[\.{20}\]   0% 0\/1100 events, 0 deliveries, running\n$/);
      await expect(replayCommand({ url: base, token: a.token, webhook: '00000000-0000-4000-8000-000000000000', since, out: { write: () => 0 } })).rejects.toThrow(
        /^replay of webhook 00000000-0000-4000-8000-000000000000: HTTP 404 NOT_FOUND: \S.*$/,
      );
    });

    it('the real CLI takes its token from STOCKHOOK_TOKEN, and prints a refusal as one line with its code', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const since = new Date().toISOString();
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] });
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/from-cli'), events: ['document.posted'] }, 201);
      const ok = await cli(['replay', '--url', base, '--webhook', sub.body.id, '--since', since], { STOCKHOOK_TOKEN: a.token });
      expect(ok.code, ok.err).toBe(0);
      expect(ok.err.trimEnd().split('\n').at(-1)).toBe('done: 2 events, 1 deliveries queued');
      await rx.waitFor(1, 30_000);

      // A wrong token: the server's code and message, one line, exit 1, no stack trace.
      const refused = await cli(['replay', '--url', base, '--webhook', sub.body.id, '--since', since], { STOCKHOOK_TOKEN: 'not-a-token' });
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(new RegExp(`^stockhook: replay of webhook ${sub.body.id}: HTTP 401 UNAUTHORIZED: \\S[^\\n]*\\n$`));
      // --token wins over the environment.
      const flag = await cli(['replay', '--url', base, '--webhook', sub.body.id, '--since', 'yesterday', '--token', a.token], { STOCKHOOK_TOKEN: 'not-a-token' });
      expect(flag.code).toBe(1);
      expect(flag.err).toMatch(/^stockhook: replay of webhook \S+: HTTP 400 VALIDATION_FAILED: body\.since [^\n]*\n$/);
      // Neither: commander names both ways to give it.
      const none = await cli(['replay', '--url', base, '--webhook', sub.body.id, '--since', since]);
      expect(none.code).toBe(1);
      expect(none.err).toContain("required option '--token <token>' not specified");
      // No server there: says so, in one line.
      const gone = await freePort();
      const closed = await cli(['replay', '--url', `http://127.0.0.1:${gone}`, '--webhook', sub.body.id, '--since', since], { STOCKHOOK_TOKEN: a.token });
      expect(closed).toMatchObject({ code: 1, err: `stockhook: replay of webhook ${sub.body.id}: cannot reach the server (ECONNREFUSED)\n` });
      // Five runs of the CLI from the TypeScript sources: several seconds each on a loaded machine.
    }, 240_000);
  },
  { dispatcher: { pollMs: 100 } },
);
