import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface Child {
  proc: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts `stockhook <args>` from the TypeScript sources in a child process and waits until it listens. */
export async function startCli(args: string[], env: Record<string, string | undefined> = {}): Promise<Child> {
  const clean: NodeJS.ProcessEnv = { ...process.env, STOCKHOOK_LOG_LEVEL: 'warn' };
  delete clean.STOCKHOOK_ADMIN_TOKEN;
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stockhook did not start: ${err}`)), 20_000);
    const check = () => {
      const m = /on (http:\/\/[^\s,]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stderr?.on('data', check);
    void exited.then((code) => reject(new Error(`stockhook exited with ${code}: ${err}`)));
  });
  return { proc, url, stdout: () => out, stderr: () => err, exited };
}
