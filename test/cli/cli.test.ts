import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliErrorLines } from '../../src/cli-errors.js';
import { describeEachDb } from '../support/env.js';
import { runCommand } from '../support/child.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `stockhook <args>` from the sources, to its end, with settings as on a fresh machine. */
function cli(args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(clean)) if (/^STOCKHOOK_(?!TEST_)/.test(name)) delete clean[name];
  return runCommand(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...clean, ...env }, timeoutMs: 60_000 });
}

describe('stockhook --version', () => {
  it("prints package.json's version, read when it runs", async () => {
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      const run = await cli([flag]);
      expect(run).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    }
  });
});

describe('a port that is already taken', () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('listen says so in one line and exits 1, without a stack trace', async () => {
    const run = await cli(['listen', '--port', String(port)]);
    expect(run).toEqual({ code: 1, out: '', err: `stockhook: port ${port} is in use (127.0.0.1:${port}); pick another with --port\n` });
  });

  it('serve says so in one line, naming the flag and the variable, and exits 1', async () => {
    // A given administrator token: without one, a start writes the generated one to a file beside the database.
    const env = { STOCKHOOK_LOG_LEVEL: 'warn', STOCKHOOK_LOG_FORMAT: 'json', STOCKHOOK_ADMIN_TOKEN: 'busy-port-admin-token-0123456789abcdef' };
    const run = await cli(['serve', '--db', ':memory:', '--port', String(port)], env);
    expect(run.code, run.err).toBe(1);
    expect(run.err).toBe(`stockhook: port ${port} is in use (127.0.0.1:${port}); pick another with --port or STOCKHOOK_PORT\n`);
    expect(run.out).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });
});

describe('cliErrorLines', () => {
  const listenError = (code: string, port: number, address = '127.0.0.1') =>
    Object.assign(new Error(`listen ${code}: ${address}:${port}`), { code, syscall: 'listen', port, address });

  it('turns the errors of a listen into what to do, and keeps every line of any other error', () => {
    expect(cliErrorLines(listenError('EACCES', 80))).toEqual(['port 80 needs privileges to listen on (127.0.0.1:80); pick one above 1023 with --port']);
    expect(cliErrorLines(listenError('EADDRNOTAVAIL', 3000, '10.9.9.9'))).toEqual(['cannot listen on 10.9.9.9: it is not an address of this machine; pick another with --host']);
    expect(cliErrorLines(new Error('STOCKHOOK_PORT: not a number\nSTOCKHOOK_ROLE: one of all, api, worker'))).toEqual([
      'STOCKHOOK_PORT: not a number',
      'STOCKHOOK_ROLE: one of all, api, worker',
    ]);
    expect(cliErrorLines('a thrown string')).toEqual(['a thrown string']);
  });
});

describeEachDb('GET /', (env) => {
  it('redirects to the dashboard', async () => {
    const res = await env().app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/ui/');
    const ui = await env().app.inject({ method: 'GET', url: res.headers.location as string });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(ui.body).toContain('<script type="module" src="/ui/app.js"></script>');
  });
});
