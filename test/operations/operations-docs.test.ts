import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { api, runCommand, startCli, type Child } from '../support/child.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src/cli.ts');
// Resolved from the repository: the commands run in a scratch folder, where `--import tsx` finds nothing.
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');

/** The shell block between `<!-- name:start -->` and `<!-- name:end -->` of a page under docs/operations/. */
function block(page: string, name: string): string {
  const text = readFileSync(join(ROOT, 'docs/operations', page), 'utf8');
  const m = new RegExp(`<!-- ${name}:start -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`).exec(text);
  expect(m, `${page} has no ${name} block`).not.toBeNull();
  return (m as RegExpExecArray)[1] as string;
}

/** Settings as on a fresh machine; the test harness's own STOCKHOOK_TEST_* variables stay. */
function freshEnv(bin: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  for (const name of Object.keys(env)) if (/^STOCKHOOK_(?!TEST_)/.test(name)) delete env[name];
  return env;
}

/**
 * docs/operations/backups.md, SQLite: the backup block run as written while stockhook runs (with
 * `stockhook` on PATH, from the sources), a write after it, then the restore block with the copy's
 * name: the restarted server has the stock of the moment of the copy. The restore block ends in
 * `stockhook serve`, which runs until stopped, so the test runs the lines before it with bash and
 * starts that server itself, on a free port.
 */
it('the backup and restore blocks of docs/operations/backups.md run as written and bring back the copied ledger', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockhook-backup-doc-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'stockhook'), `#!/bin/sh\nexec "${process.execPath}" --import "${TSX}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'stockhook'), 0o755);
  const work = join(dir, 'shop');
  mkdirSync(work);
  const db = join(work, 'data/stockhook.db');
  const admin = 'backup-doc-admin-0123456789abcdef0123';
  const children: Child[] = [];
  const serve = async () => {
    const c = await startCli(['serve', '--db', db, '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: admin });
    children.push(c);
    return c;
  };
  try {
    let server = await serve();
    const { token } = await api<{ token: string }>(server.url, admin, 'POST', '/api/v1/accounts', { name: 'Backup shop' }, 201);
    const wh = await api<{ id: number }>(server.url, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201);
    const product = await api<{ id: number }>(server.url, token, 'POST', '/api/v1/products', { title: 'Nozzle', sku: 'N-1' }, 201);
    const receipt = (quantity: number) =>
      api(server.url, token, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: wh.id, lines: [{ productId: product.id, quantity }] }, 201);
    await receipt(5);

    const backup = await runCommand('bash', ['-euo', 'pipefail', '-c', block('backups.md', 'backup')], { cwd: work, env: freshEnv(bin), timeoutMs: 120_000 });
    expect(backup.code, `${backup.out}${backup.err}`).toBe(0);
    const copies = readdirSync(join(work, 'backups'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^stockhook-\d{4}-\d{2}-\d{2}\.db$/);

    await receipt(7); // after the copy: the restore must not have it
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const restore = block('backups.md', 'restore');
    const lines = restore.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^stockhook serve\s/);
    const script = lines.slice(0, -1).join('\n').replace('backups/stockhook-2026-12-02.db', `backups/${copies[0]}`);
    const r = await runCommand('bash', ['-euo', 'pipefail', '-c', script], { cwd: work, env: freshEnv(bin), timeoutMs: 60_000 });
    expect(r.code, `${r.out}${r.err}`).toBe(0);
    expect(existsSync(`${db}-wal`)).toBe(false);

    server = await serve();
    const stock = await api<{ data: { amount: number }[] }>(server.url, token, 'GET', `/api/v1/stock?productId=${product.id}`);
    expect(stock.data.map((s) => s.amount)).toEqual([5]);
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  } finally {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.closed));
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);

const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

/**
 * docs/operations/deploy.md's systemd unit, checked by systemd itself where it is installed. The
 * one change is node's path, which the page says to look up (`command -v node`). systemd reports
 * an unknown key or a bad value as a warning and still exits 0, so any output fails the test.
 */
if (existsSync(SYSTEMD_ANALYZE)) {
  it('the systemd unit of docs/operations/deploy.md passes systemd-analyze verify without a warning', async () => {
    const page = readFileSync(join(ROOT, 'docs/operations/deploy.md'), 'utf8');
    const unit = /`\/etc\/systemd\/system\/stockhook\.service`[\s\S]*?```ini\n([\s\S]*?)```/.exec(page)?.[1];
    expect(unit).toBeDefined();
    expect(unit).toContain('ExecStart=/usr/bin/node /opt/stockhook/dist/cli.js serve');
    const dir = mkdtempSync(join(tmpdir(), 'stockhook-unit-'));
    try {
      writeFileSync(join(dir, 'stockhook.service'), (unit as string).replace('/usr/bin/node', process.execPath));
      const r = await runCommand(SYSTEMD_ANALYZE, ['verify', join(dir, 'stockhook.service')], { cwd: dir, timeoutMs: 60_000 });
      expect({ code: r.code, out: r.out, err: r.err }).toEqual({ code: 0, out: '', err: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
