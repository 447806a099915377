import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { databaseLabel } from '../../src/storage/database-label.js';
import { killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { eventually } from '../support/wait.js';

/*
 * Logs for people (issue 14.5): the real CLI prints one startup line on stdout naming the URL, the
 * database (never its password), the role, the dashboard and the API docs; logs are JSON on a pipe
 * and pino-pretty's lines with STOCKHOOK_LOG_FORMAT=pretty (what a terminal gets by default).
 */

const dir = mkdtempSync(join(tmpdir(), 'stockhook-startup-'));
const children: Child[] = [];
afterAll(async () => {
  await killAll(children);
  rmSync(dir, { recursive: true, force: true });
});

const ENV = { STOCKHOOK_ADMIN_TOKEN: 'startup-admin-0123456789abcdef0123456789' };

/** Started once its whole startup line is out; `url` is the URL the line names. */
async function start(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const child = await startCli(args, { ...ENV, ...env }, { ready: /stockhook (?:all|api) on (http:\/\/[^\s,]+)[^\n]*\n/ });
  children.push(child);
  return child;
}

describe('startup line and log format', () => {
  it('on a pipe: one JSON record with the URL, the SQLite path, the role, the dashboard and the docs, both reachable', async () => {
    const db = join(dir, 'json.db');
    // The helper runs children at STOCKHOOK_LOG_LEVEL=warn: the line is printed all the same.
    const child = await start(['serve', '--db', db, '--port', '0']);
    const lines = child.stdout().trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const startup = records.filter((r) => String(r.msg).startsWith('stockhook '));
    expect(startup).toHaveLength(1);
    const url = child.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(startup[0]).toMatchObject({
      level: 30,
      code: 'server.started',
      msg: `stockhook all on ${url}, database SQLite ${db}, dashboard ${url}/ui, API docs ${url}/docs`,
      role: 'all',
      url,
      database: `SQLite ${db}`,
    });
    expect((await fetch(`${url}/ui`)).status).toBe(200);
    expect((await fetch(`${url}/docs`, { redirect: 'follow' })).status).toBe(200);
    child.proc.kill('SIGTERM');
    expect((await child.closed).code).toBe(0);
  });

  it('STOCKHOOK_LOG_FORMAT=pretty: readable lines, no JSON; an unknown format is refused', async () => {
    const child = await start(['serve', '--db', join(dir, 'pretty.db'), '--port', '0', '--role', 'api'], { STOCKHOOK_LOG_FORMAT: 'pretty' });
    const line = child.stdout().split('\n').find((l) => l.includes('stockhook api on'));
    expect(line).toMatch(new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\] INFO: stockhook api on ${child.url}, database SQLite .*pretty\\.db, dashboard ${child.url}/ui, API docs ${child.url}/docs \\[server\\.started\\]$`));
    expect(child.stdout()).not.toContain('{"level"');
    child.proc.kill('SIGTERM');
    expect((await child.closed).code).toBe(0);

    await expect(start(['serve', '--db', join(dir, 'bad.db'), '--port', '0'], { STOCKHOOK_LOG_FORMAT: 'xml' })).rejects.toThrow(
      /stockhook: STOCKHOOK_LOG_FORMAT must be one of json, pretty, not "xml"/,
    );
  });

  const hasPostgres = (inject('databases') as DbName[]).includes('postgres');
  it.runIf(hasPostgres)('a PostgreSQL URL is shown without its password, in the line and in the record', async () => {
    const fresh = await freshDatabase('postgres');
    try {
      // Trust authentication ignores the password, so the server starts with it in the URL.
      const u = new URL(fresh.url);
      u.password = 'hunter2-s3cret';
      const child = await start(['serve', '--db', u.toString(), '--port', '0', '--role', 'api']);
      expect(child.stdout()).not.toContain('hunter2');
      const startup = JSON.parse(child.stdout().split('\n').find((l) => l.includes('stockhook api on')) as string);
      expect(startup.database).toBe(`PostgreSQL postgres://${u.username}:***@${u.host}${u.pathname}`);
      expect(startup.msg).toContain(`database PostgreSQL postgres://${u.username}:***@${u.host}${u.pathname}, dashboard`);
      child.proc.kill('SIGTERM');
      expect((await child.closed).code).toBe(0);
    } finally {
      await fresh.drop();
    }
  });

  it('at a terminal (a real pseudo-terminal from script(1)) the default is pino-pretty, in colour', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const cmd = `'${process.execPath}' --import tsx src/cli.ts serve --db '${join(dir, 'tty.db')}' --port 0`;
    const proc = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd: root,
      env: { ...process.env, ...ENV, STOCKHOOK_LOG_LEVEL: 'warn', STOCKHOOK_LOG_FORMAT: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise((resolve) => proc.on('close', resolve));
    try {
      const plain = (l: string) => l.replace(/\u001b\[[\d;]*m/g, '');
      const line = await eventually(() => out.split(/\r?\n/).find((l) => plain(l).includes('stockhook all on') && plain(l).endsWith('/docs [server.started]')), 60_000);
      expect(line).toContain('\u001b['); // colour codes: pino-pretty saw a terminal
      expect(plain(line)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: stockhook all on http:\/\/127\.0\.0\.1:\d+, database SQLite .*tty\.db, dashboard /);
      expect(out).not.toContain('{"level"');
    } finally {
      // script(1) and the server under it form one process group, started here.
      if (proc.pid) process.kill(-proc.pid, 'SIGTERM');
      await closed;
    }
    expect(loadConfig({}, {}, true).logFormat).toBe('pretty');
    expect(loadConfig({}, {}, false).logFormat).toBe('json');
    expect(loadConfig({}, { STOCKHOOK_LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
  }, 90_000);

  it('databaseLabel masks passwords and credential parameters, and shows a SQLite file by its full path', () => {
    expect(databaseLabel('postgresql://app:p%40ss@db.internal:5433/stock?sslmode=require&password=x&sslpassword=y')).toBe(
      'PostgreSQL postgresql://app:***@db.internal:5433/stock?sslmode=require&password=***&sslpassword=***',
    );
    expect(databaseLabel('postgres://db/stock')).toBe('PostgreSQL postgres://db/stock');
    expect(databaseLabel('data/x.db')).toBe(`SQLite ${join(process.cwd(), 'data/x.db')}`);
    expect(databaseLabel(':memory:')).toBe('SQLite in memory');
  });
});
