import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
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
 * 3000/4000 (tests run side by side). It runs in a scratch directory that links dist/ to the
 * repository's build, so `node dist/cli.js` is the repository's and `tutorial/` is written there.
 */
it('the README tutorial runs as written and shows a verified webhook and its log', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- tutorial:start -->\n```sh\n([\s\S]*?)```\n<!-- tutorial:end -->/.exec(readme)?.[1];
  expect(block).toBeDefined();
  expect(block).toContain('node dist/cli.js serve');
  const [api, rx] = [await freePort(), await freePort()];
  const script = (block as string).replaceAll('3000', String(api)).replaceAll('4000', String(rx));
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
