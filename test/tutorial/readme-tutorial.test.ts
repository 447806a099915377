import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Runs the README's tutorial block with bash, exactly as written except for two substitutions:
 * free ports instead of 3000/4000 (tests run side by side), and the TypeScript sources instead of
 * dist/ (so the test checks the code under test, not a stale build).
 */
it('the README tutorial runs as written and shows a verified webhook and its log', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- tutorial:start -->\n```sh\n([\s\S]*?)```\n<!-- tutorial:end -->/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const [api, rx] = [await freePort(), await freePort()];
  const tsx = fileURLToPath(import.meta.resolve('tsx'));
  const script = (block as string)
    .replaceAll('3000', String(api))
    .replaceAll('4000', String(rx))
    .replaceAll('node dist/cli.js', `node --import ${tsx} ${join(ROOT, 'src/cli.ts')}`);
  const dir = mkdtempSync(join(tmpdir(), 'stockhook-tutorial-'));
  try {
    const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: { ...process.env, STOCKHOOK_LOG_LEVEL: 'warn' } });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
      p.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
    expect(code, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
    expect(out).toContain('{"status":"ok","database":"sqlite"}');
    expect(out).toContain('X-MetaKocka-Event: warehouse_product_stock_update'.toLowerCase());
    expect(out).toContain('"title": "1,0 mm Düse"');
    expect(out).toContain('"amount": "10"');
    expect(out).toContain('signature (metakocka): valid');
    expect(out).toContain('→ answered 200 {"status":"ok"}');
    expect(out).toMatch(/"status":"succeeded"/);
    expect(out).toContain(`dashboard: HTTP 200 at http://localhost:${api}/ui`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
