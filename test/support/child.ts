import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT_FILE_ENV, CONTRACT_PRELOAD } from './contract-preload-env.js';
import { PATIENCE } from './wait.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

/**
 * The children's working directory unless a test gives one: a first start without
 * STOCKHOOK_ADMIN_TOKEN on PostgreSQL writes its token file there (server.ts), never into the repository.
 */
let childCwd: string | undefined;
const defaultCwd = (): string => {
  if (childCwd === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'stockhook-cwd-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    childCwd = dir;
  }
  return childCwd;
};

export interface Child {
  proc: ChildProcess;
  /** The HTTP URL it listens on; with a custom `ready` pattern, that pattern's first capture (or the whole match). */
  url: string;
  stdout(): string;
  stderr(): string;
  /** The exit code (null when killed by a signal); stdout and stderr may still hold unread output. */
  exited: Promise<number | null>;
  /** Resolves after the exit once stdout and stderr are read to their end: check output for an absence only after this. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /**
   * What in the output means "started". Defaults to the startup line's `on http://...`; `--role worker`
   * prints no URL, so worker tests wait for e.g. /lease owner (\S+),/ (its capture is the lease owner).
   */
  ready?: RegExp;
  /** How long to wait for it (default 60 s: starting from the TypeScript sources takes 15 s and more on a loaded 2-core machine), × STOCKHOOK_TEST_PATIENCE like every wait bound. */
  timeoutMs?: number;
  /** Its working directory (default: a temporary one shared by this test file's children). */
  cwd?: string;
}

/** Starts `stockhook <args>` from the TypeScript sources in a child process and waits until it listens. */
export async function startCli(args: string[], env: Record<string, string | undefined> = {}, opts: StartOptions = {}): Promise<Child> {
  const clean: NodeJS.ProcessEnv = { ...process.env, STOCKHOOK_LOG_LEVEL: 'warn' };
  delete clean.STOCKHOOK_ADMIN_TOKEN;
  // The server checks its own responses against its OpenAPI document (contract-preload.ts).
  const contract = process.env[CONTRACT_FILE_ENV] ? ['--import', CONTRACT_PRELOAD] : [];
  const proc = spawn(process.execPath, ['--import', TSX, ...contract, CLI, ...args], {
    cwd: opts.cwd ?? defaultCwd(),
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not returned to the caller, so nobody else could kill it.
      proc.kill('SIGKILL');
      reject(new Error(`stockhook did not start: ${err}`));
    }, (opts.timeoutMs ?? 60_000) * PATIENCE);
    const check = () => {
      // The startup line is on stdout (a log record); errors before it are on stderr.
      const m = (opts.ready ?? /on (http:\/\/[^\s,]+)/).exec(out + err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? m[0]);
      }
    };
    proc.stdout?.on('data', check);
    proc.stderr?.on('data', check);
    void exited.then((code) => reject(new Error(`stockhook exited with ${code}: ${err}`)));
  });
  return { proc, url, stdout: () => out, stderr: () => err, exited, closed };
}

/** A JSON call over real HTTP to a child process's API; throws on an unexpected status. */
export async function api<T = any>(base: string, token: string, method: string, path: string, body?: unknown, expectStatus = 200): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status !== expectStatus) throw new Error(`${method} ${path}: expected ${expectStatus}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** SIGKILLs every child still running and waits (at most 5 s each) for them to exit. */
export async function killAll(children: Child[]): Promise<void> {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }
  await Promise.all(children.map((c) => Promise.race([c.exited, new Promise((r) => setTimeout(r, 5000))])));
}

/** Runs a command to its end (SIGKILLed after timeoutMs) and returns its exit code and output. */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}
