import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { runCommand as run } from '../support/child.js';
import { CONTRACT_FILE_ENV, contractNodeOptions } from '../support/contract-preload-env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

/**
 * Sources whose build output in dist/ is missing or older than they are (a dev tree after an edit),
 * or older than what the build depends on: the compiler settings, and package.json and the lockfile
 * (another TypeScript or other type definitions may emit other code). ui/ is not built: the server
 * serves it from the repository (src/http/routes/ui.ts resolves ../../../ui/ from dist/http/routes/),
 * so an edit there is live without a build; the test below checks that it is served from there.
 */
function staleBuild(): string[] {
  const sources = walk(join(ROOT, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const configs = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].map((f) => join(ROOT, f));
  const newestConfig = Math.max(...configs.map((f) => statSync(f).mtimeMs));
  return sources.filter((f) => {
    const out = join(ROOT, 'dist', relative(join(ROOT, 'src'), f)).replace(/\.ts$/, '.js');
    return !existsSync(out) || statSync(out).mtimeMs < Math.max(statSync(f).mtimeMs, newestConfig);
  });
}

/**
 * The README says `node dist/cli.js`, so the tutorial runs the build. `npm ci` builds it (prepare);
 * in a dev tree it may be missing or older than the sources, and then it is built here first, so
 * the test never passes or fails on code that is not the code under test.
 */
beforeAll(async () => {
  if (staleBuild().length === 0) return;
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, timeoutMs: 280_000 });
  expect(r.code, `npm run build failed:\n${r.out}${r.err}`).toBe(0);
  expect(staleBuild()).toEqual([]);
}, 300_000);

it('the build serves ui/ from the repository, not from a copy that a build could leave stale', () => {
  const route = readFileSync(join(ROOT, 'dist/http/routes/ui.js'), 'utf8');
  const dir = /new URL\('([^']+)', import\.meta\.url\)/.exec(route)?.[1];
  expect(dir).toBe('../../../ui/');
  expect(fileURLToPath(new URL(dir as string, new URL('dist/http/routes/ui.js', new URL(`file://${ROOT}`))))).toBe(join(ROOT, 'ui/'));
  expect(existsSync(join(ROOT, 'dist/ui'))).toBe(false);
});

/**
 * Runs the README's tutorial block with bash, as written, except for free ports instead of
 * 3001/4000 (tests run side by side). It runs in a scratch directory that links dist/ to the
 * repository's build, so `node dist/cli.js` is the repository's and `tutorial/` is written there.
 */
it('the README tutorial runs as written and shows a verified webhook and its log', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- tutorial:start -->\n```sh\n([\s\S]*?)```\n<!-- tutorial:end -->/.exec(readme)?.[1];
  expect(block).toBeDefined();
  expect(block).toContain('node dist/cli.js serve');
  const [api, rx] = [await freePort(), await freePort()];
  const script = (block as string).replaceAll('3001', String(api)).replaceAll('4000', String(rx));
  const dir = mkdtempSync(join(tmpdir(), 'stockhook-tutorial-'));
  try {
    symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'), 'dir');
    const clean: NodeJS.ProcessEnv = { ...process.env, STOCKHOOK_LOG_LEVEL: 'warn' };
    delete clean.STOCKHOOK_ADMIN_TOKEN;
    delete clean.STOCKHOOK_ALLOW_PRIVATE_TARGETS;
    // The server checks its responses against its OpenAPI document (test/support/contract-preload.ts).
    if (clean[CONTRACT_FILE_ENV]) clean.NODE_OPTIONS = [clean.NODE_OPTIONS, contractNodeOptions()].filter(Boolean).join(' ');
    const { code, out, err } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: clean, timeoutMs: 150_000 });
    expect(code, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
    expect(out).toContain('{"status":"ok","database":"sqlite"}');
    expect(out).toContain('X-MetaKocka-Event: warehouse_product_stock_update'.toLowerCase());
    expect(out).toContain('"title": "1,0 mm Düse"');
    expect(out).toContain('"amount": "10"');
    expect(out).toContain('signature (metakocka): valid');
    expect(out).toContain('→ answered 200 {"status":"ok"}');
    expect(out).toMatch(/"status":"succeeded"/);
    expect(out).toContain(`dashboard: HTTP 200 at http://localhost:${api}/ui`);
    // What the listener printed is the one request, once.
    expect(out.match(/── #\d+ POST \/metakocka/g)).toEqual(['── #1 POST /metakocka']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

/**
 * Runs the README's first session with bash, as written, against a server the test starts the way
 * the set-up command's `npm start` does (`node dist/cli.js serve`, in a fresh folder so ./data is
 * new), on a free port instead of 3000. The block is started at the same moment as the server, so
 * it passes only if the block itself waits for the server to answer. Two substitutions: the port,
 * and the administrator token the reader pastes (`ADMIN=shk_admin_...`): the test gives the server
 * one with STOCKHOOK_ADMIN_TOKEN rather than reading the one a first start prints, which is the
 * README's own fallback for a lost token.
 */
it('the README first session runs as written against the server the set-up command started', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- first-session:start -->\n```sh\n([\s\S]*?)```\n<!-- first-session:end -->/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const code = (block as string).split('\n').map((l) => l.replace(/#.*$/, '')).join('\n');
  // It uses the server of the set-up command; starting another would be EADDRINUSE on port 3000.
  expect(code).not.toMatch(/npm start|cli\.js serve|stockhook serve/);
  expect(code).toContain('ADMIN=shk_admin_...');
  expect(code).toMatch(/--retry-connrefused/);
  const port = await freePort();
  const admin = 'first-session-admin-0123456789abcdef';
  const script = (block as string).replaceAll('3000', String(port)).replace('ADMIN=shk_admin_...', `ADMIN=${admin}`);
  const dir = mkdtempSync(join(tmpdir(), 'stockhook-first-session-'));
  const env: NodeJS.ProcessEnv = { ...process.env, STOCKHOOK_LOG_LEVEL: 'warn' };
  // Settings as on a fresh machine; the test harness's own STOCKHOOK_TEST_* variables stay.
  for (const name of Object.keys(env)) if (/^STOCKHOOK_(?!TEST_|LOG_LEVEL$)/.test(name)) delete env[name];
  if (env[CONTRACT_FILE_ENV]) env.NODE_OPTIONS = [env.NODE_OPTIONS, contractNodeOptions()].filter(Boolean).join(' ');
  const server = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'serve', '--port', String(port)], {
    cwd: dir,
    env: { ...env, STOCKHOOK_ADMIN_TOKEN: admin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (d: Buffer) => (log += d.toString()));
  server.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => server.on('exit', (c) => resolve(c)));
  try {
    const { code: rc, out, err } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env, timeoutMs: 120_000 });
    expect(rc, `stdout:\n${out}\nstderr:\n${err}\nserver:\n${log}`).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe('{"status":"ok","database":"sqlite"}');
    const [doc, stock, events] = lines.slice(1, 4).map((l) => JSON.parse(l));
    expect(doc).toMatchObject({ type: 'receipt', status: 'posted', lines: [{ quantity: 5, lot: 'L-7' }] });
    expect(stock.data).toEqual([expect.objectContaining({ warehouseId: doc.warehouseId, productId: doc.lines[0].productId, lot: 'L-7', amount: 5, reserved: 0, free: 5, version: 1 })]);
    expect(events.data.map((e: { type: string }) => e.type)).toEqual(['warehouse.created', 'product.created', 'document.posted', 'stock.changed']);
    expect(lines[4]).toMatch(new RegExp(`^dashboard: http://localhost:${port}/ui \\(sign in with shk_\\S+\\), API reference: http://localhost:${port}/docs$`));
    // The server of the "set-up command" is the one that answered, on a fresh ./data.
    expect(existsSync(join(dir, 'data/stockhook.db'))).toBe(true);
    server.kill('SIGTERM');
    expect(await exited, log).toBe(0);
  } finally {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
