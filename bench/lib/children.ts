import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const TSX = ['--import', 'tsx'];

export interface SinkStats {
  count: number;
  firstMs: number;
  lastMs: number;
  latencies: number[];
}

export interface Sink {
  port: number;
  pid: number;
  url(path?: string): string;
  config(c: { delayMs?: number; record?: boolean }): void;
  reset(): Promise<void>;
  stats(): Promise<SinkStats>;
  close(): Promise<void>;
}

/** Starts bench/sink.ts in its own process and waits until it listens. */
export async function startSink(): Promise<Sink> {
  const proc = fork(here('../sink.ts'), [], { execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (m: { type: string; port: number }) => (m.type === 'ready' ? resolve(m.port) : reject(new Error('sink: unexpected message'))));
    proc.once('exit', (code) => reject(new Error(`sink exited with ${code}`)));
  });
  let nextId = 0;
  const ask = (): Promise<SinkStats> =>
    new Promise((resolve) => {
      const id = ++nextId;
      const on = (m: SinkStats & { type: string; id: number }) => {
        if (m.type !== 'stats' || m.id !== id) return;
        proc.off('message', on);
        resolve(m);
      };
      proc.on('message', on);
      proc.send({ type: 'stats', id });
    });
  return {
    port,
    pid: proc.pid as number,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    config: (c) => proc.send({ type: 'config', ...c }),
    // A stats round trip after the reset: IPC is ordered, so the reset has happened when it answers.
    reset: async () => {
      proc.send({ type: 'reset' });
      await ask();
    },
    stats: ask,
    close: () => stopChild(proc),
  };
}

export interface Serve {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** How a server child is started besides its arguments. */
export interface StartOpts {
  /**
   * Called with the child's pid right after it is spawned, while Node is still starting: where (h)
   * puts it under its CPU quota (lib/cpu-quota.ts), so that its start-up runs under it too. The child
   * is killed when it throws.
   */
  onSpawn?: (pid: number) => void;
  /** How long to wait for its startup line (default 30 s; a child under a small CPU quota starts slower). */
  startTimeoutMs?: number;
  /** Settings added to its environment (e.g. STOCKHOOK_PG_POOLER behind PgBouncer). */
  env?: Record<string, string>;
}

/**
 * Runs `stockhook serve` (API + dispatcher in one process, as an operator would run it) from the
 * TypeScript sources in a child process, on 127.0.0.1 with an OS-chosen port.
 */
export async function startServe(dbUrl: string, adminToken: string, opts: StartOpts = {}): Promise<Serve> {
  // BENCH_SERVE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (written on its clean exit).
  const nodeArgs = (process.env.BENCH_SERVE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, ...TSX, here('../../src/cli.ts'), 'serve', '--port', '0', '--db', dbUrl], {
    env: {
      ...process.env,
      STOCKHOOK_ADMIN_TOKEN: adminToken,
      STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1',
      // Request logging off: at the default `info` every request writes two JSON lines.
      STOCKHOOK_LOG_LEVEL: process.env.STOCKHOOK_LOG_LEVEL ?? 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return started(proc, 'stockhook serve', opts);
}

/**
 * The outbox peers: `sqlite-outbox` is (i)'s (its database a file), `graphile-outbox` is (h)'s (a
 * postgres:// URL); `sqlite-bound` is (i)'s bound (a file `stockhook serve` set up; no subscriber URLs).
 */
export type OutboxPeer = 'sqlite-outbox' | 'graphile-outbox' | 'sqlite-bound';

/**
 * Runs a peer from bench/peers/ in a child process on 127.0.0.1 with an OS-chosen port, with its
 * database and its subscribers; it takes `Bearer <token>`.
 */
export async function startOutboxPeer(db: string, subscriberUrls: string[], token: string, opts: StartOpts & { peer?: OutboxPeer } = {}): Promise<Serve> {
  const peer = opts.peer ?? 'sqlite-outbox';
  // BENCH_PEER_NODE_ARGS profiles a peer as BENCH_SERVE_NODE_ARGS does the server.
  const nodeArgs = (process.env.BENCH_PEER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, ...TSX, here(`../peers/${peer}.ts`), db, ...subscriberUrls], {
    env: { ...process.env, PEER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return started(proc, `the ${peer} peer`, opts);
}

async function started(proc: ChildProcess, name: string, opts: StartOpts): Promise<Serve> {
  try {
    opts.onSpawn?.(proc.pid as number);
    const url = await announcedUrl(proc, name, opts.startTimeoutMs ?? 30_000);
    return { url, pid: proc.pid as number, close: () => stopChild(proc) };
  } catch (e) {
    await stopChild(proc);
    throw e;
  }
}

/** The URL a server child prints once it listens (`... on http://...`), or why it did not come in time. */
async function announcedUrl(proc: ChildProcess, name: string, timeoutMs: number): Promise<string> {
  let err = '';
  let out = '';
  // Both pipes are read to their end (an unread pipe would block the server once full); only the
  // start is kept, to find the startup line (a log record on stdout) or say why it did not come.
  proc.stdout?.on('data', (d: Buffer) => {
    if (out.length < 65_536) out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    if (err.length < 65_536) err += d.toString();
  });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s: ${err}`)), timeoutMs);
    const check = () => {
      const m = /on (http:\/\/[^\s,]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${err}`)));
  });
}

/** Runs a bench script in a child process and resolves with the one result it sends over IPC. */
export async function runChild<T>(script: string, args: string[]): Promise<T> {
  const proc = fork(here(script), args, { execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<T>((resolve, reject) => {
    proc.once('message', (m: T) => resolve(m));
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code} before reporting`)));
  });
}

function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds used so far by every process named postgres, or null where /proc shows none: this
 * machine's own PostgreSQL only (a remote server's CPU is not visible here). A backend that has
 * exited counts too: its CPU moved to the postmaster's cutime/cstime when it was reaped.
 */
export function postgresCpuSeconds(): number | null {
  let total = 0;
  let seen = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime, stime, cutime, cstime
      seen++;
    } catch {
      // gone meanwhile
    }
  }
  return seen > 0 ? total / 100 : null;
}

/**
 * CPU seconds each of the given processes has used so far (utime + stime, from /proc), by pid; a
 * process gone meanwhile is left out. For one database's backends on a PostgreSQL that other
 * databases' clients keep busy too, which postgresCpuSeconds would count.
 */
export function processCpuSeconds(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds the whole machine has spent busy so far (every core, from /proc/stat), or NaN. */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    // user, nice, system, irq, softirq: not idle, iowait, or steal (the host serving other machines)
    return (f[0] + f[1] + f[2] + f[5] + f[6]) / 100;
  } catch {
    return Number.NaN;
  }
}
