import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_EVENTS } from '../../src/log-events.js';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { LEVEL, type LogRecord } from '../support/log-records.js';
import { eventually } from '../support/wait.js';

/*
 * The logs of a real `stockhook serve` (docs/operations/metrics-and-logs.md): in JSON every line
 * of stdout is a JSON record, from the first start's migrations to the SIGTERM, and the generated
 * administrator token is in none of them (it goes to a 0600 file when stdout is not a terminal,
 * and to the terminal when it is); in pretty mode one line per record, and requests that succeed
 * (a dashboard polling) write nothing at the default level.
 */

const dir = mkdtempSync(join(tmpdir(), 'stockhook-logs-'));
const children: Child[] = [];
afterAll(async () => {
  await killAll(children);
  rmSync(dir, { recursive: true, force: true });
});

const ADMIN = 'logs-admin-token-0123456789abcdef0123456789';

const parse = (out: string): LogRecord[] =>
  out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogRecord);

describe('stockhook serve logs', () => {
  it('JSON: every stdout line is a record for a whole start, requests and SIGTERM; the token only in its 0600 file', { timeout: 600_000 }, async () => {
    const db = join(dir, 'json.db');
    const c = await startCli(['serve', '--db', db, '--port', '0'], { STOCKHOOK_LOG_LEVEL: 'debug', STOCKHOOK_LOG_FORMAT: 'json' });
    children.push(c);
    const file = `${db}.admin-token`;
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^shk_admin_/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const account = await api<{ token: string; id: string }>(c.url, token, 'POST', '/api/v1/accounts', { name: 'Logs' }, 201);
    const w = (await api<{ id: number }>(c.url, account.token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).id;
    const p = (await api<{ id: number }>(c.url, account.token, 'POST', '/api/v1/products', { title: 'Widget' }, 201)).id;
    await api(c.url, account.token, 'POST', '/api/v1/documents', { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 2 }] }, 422);
    await eventually(() => c.stdout().includes('"code":"document.refused"'));
    c.proc.kill('SIGTERM');
    expect(await c.closed).toEqual({ code: 0, signal: null });

    const records = parse(c.stdout());
    expect(c.stderr()).toBe('');
    expect(c.stdout() + c.stderr()).not.toContain(token);
    const codes = records.map((r) => r.code).filter((x) => x !== undefined);
    // In the order they happened: migrations, the token's file, the startup line, requests, the stop.
    expect(codes.slice(0, 4)).toEqual(['migration.start', 'migration.end', 'admin_token.written', 'server.started']);
    expect(codes[codes.length - 1]).toBe('server.stopping');
    const [start, end] = [records.find((r) => r.code === 'migration.start'), records.find((r) => r.code === 'migration.end')];
    expect(start).toMatchObject({ level: LEVEL.info, applied: 0 });
    expect(end).toMatchObject({ level: LEVEL.info, ran: start?.pending, total: start?.pending });
    expect(records.find((r) => r.code === 'admin_token.written')).toMatchObject({ level: LEVEL.info, path: file });
    // A success is at debug, or at info when it took a second or more (this machine may be that loaded).
    const successes = records.filter((r) => r.code === 'request.completed' || r.code === 'request.slow');
    expect(successes.map((r) => [r.method, r.url, r.statusCode])).toEqual([
      ['POST', '/api/v1/accounts', 201],
      ['POST', '/api/v1/warehouses', 201],
      ['POST', '/api/v1/products', 201],
    ]);
    for (const r of successes) expect([r.code, r.level]).toEqual(Number(r.responseTimeMs) >= 1000 ? ['request.slow', LEVEL.info] : ['request.completed', LEVEL.debug]);
    expect(records.filter((r) => r.code === 'document.refused')).toMatchObject([
      { level: LEVEL.info, errorCode: 'INSUFFICIENT_STOCK', type: 'sale', warehouseId: w, account: account.id, statusCode: 422 },
    ]);
    expect(records.find((r) => r.code === 'server.stopping')).toMatchObject({ level: LEVEL.info, signal: 'SIGTERM' });

    // The second start has nothing to migrate and no token to write.
    const again = await startCli(['serve', '--db', db, '--port', '0'], { STOCKHOOK_LOG_LEVEL: 'info', STOCKHOOK_LOG_FORMAT: 'json' });
    children.push(again);
    again.proc.kill('SIGTERM');
    expect(await again.closed).toEqual({ code: 0, signal: null });
    expect(parse(again.stdout()).map((r) => r.code)).toEqual(['server.started', 'server.stopping']);
  });

  it('pretty: one line per record; polling requests write nothing at info, a refusal one line with its code', { timeout: 600_000 }, async () => {
    const c = await startCli(['serve', '--db', join(dir, 'pretty.db'), '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: ADMIN, STOCKHOOK_LOG_LEVEL: 'info', STOCKHOOK_LOG_FORMAT: 'pretty' });
    children.push(c);
    const account = await api<{ token: string }>(c.url, ADMIN, 'POST', '/api/v1/accounts', { name: 'Pretty' }, 201);
    // What the Live-events tab and the dashboard ask every few seconds.
    for (let i = 0; i < 20; i++) {
      await api(c.url, account.token, 'GET', '/api/v1/events?after=0');
      await api(c.url, account.token, 'GET', '/api/v1/deliveries');
    }
    const missing = await fetch(`${c.url}/api/v1/nothing-here`, { headers: { authorization: `Bearer ${account.token}` } });
    expect(missing.status).toBe(404);
    // Written after every polling request's record would have been.
    const refusal = await eventually(() => c.stdout().split('\n').find((l) => l.includes('/api/v1/nothing-here')));
    expect(refusal).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/api\/v1\/nothing-here 404 in [\d.]+ ms \[request\.rejected\] \{"errorCode":"ROUTE_NOT_FOUND"\}$/);
    c.proc.kill('SIGTERM');
    expect(await c.closed).toEqual({ code: 0, signal: null });
    const lines = c.stdout().trimEnd().split('\n');
    expect(lines.filter((l) => !/^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/.test(l))).toEqual([]);
    // A success shows at info only when it took a second or more (request.slow): this machine may be that loaded.
    const slow = (l: string) => / 20\d in (\d+(?:\.\d)?) ms \[request\.slow\]$/.exec(l);
    const requests = lines.filter((l) => l.includes('/api/v1/events') || l.includes('/api/v1/deliveries') || l.includes('/api/v1/accounts'));
    expect(requests.filter((l) => !(slow(l) && Number(slow(l)?.[1]) >= 1000))).toEqual([]);
    const others = lines.filter((l) => !requests.includes(l));
    expect(others.map((l) => /\[([a-z_.]+)\]( \{.*\})?$/.exec(l)?.[1])).toEqual(['migration.start', 'migration.end', 'server.started', 'request.rejected', 'server.stopping']);
  });

  it('at a terminal, the generated token is shown there and no file is written', { timeout: 600_000 }, async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const db = join(dir, 'tty.db');
    const cmd = `'${process.execPath}' --import tsx src/cli.ts serve --db '${db}' --port 0`;
    const env: NodeJS.ProcessEnv = { ...process.env, STOCKHOOK_LOG_LEVEL: 'warn', STOCKHOOK_LOG_FORMAT: 'json' };
    delete env.STOCKHOOK_ADMIN_TOKEN;
    // script(1) gives the server a real pseudo-terminal.
    const proc = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise((resolve) => proc.on('close', resolve));
    try {
      const token = await eventually(() => /administrator token \(shown once, keep it\): (shk_admin_\S+)/.exec(out)?.[1], 60_000);
      await eventually(() => out.includes('"code":"server.started"'), 60_000);
      expect(existsSync(`${db}.admin-token`)).toBe(false);
      // Shown once, and in no log record.
      expect(out.split(token)).toHaveLength(2);
      expect(out).not.toContain('admin_token.written');
    } finally {
      // script(1) and the server under it form one process group, started here.
      if (proc.pid) process.kill(-proc.pid, 'SIGTERM');
      await closed;
    }
  });
});

describe('the log codes in docs/operations/metrics-and-logs.md', () => {
  it('lists every code with the level it is logged at, and nothing else', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/operations/metrics-and-logs.md', import.meta.url)), 'utf8');
    const table = /<!-- log-codes:start -->\n([\s\S]*?)<!-- log-codes:end -->/.exec(doc)?.[1] ?? '';
    const rows = [...table.matchAll(/^\| `([a-z_.]+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(LOG_EVENTS));
  });
});
