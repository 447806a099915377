import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/**
 * A real PgBouncer (Debian's package) in transaction mode between stockhook and a PostgreSQL
 * server, started on a free loopback port with its own configuration in a temporary folder and
 * stopped after. No vitest here: the benchmark (bench/, `--pgbouncer`) starts the same one.
 *
 * Transaction mode is what the pooler is run for at scale (many stockhook connections over few
 * server connections) and the mode that breaks what lives in a session: named prepared statements
 * (PgBouncer before 1.21), LISTEN, session SET and session advisory locks.
 */
export interface PgBouncer {
  /** `PgBouncer 1.18.0`: the first line of `pgbouncer --version`. */
  readonly version: string;
  readonly port: number;
  /** The same URL with its host and port replaced by the pooler's. */
  through(directUrl: string): string;
  /** Its admin console (SHOW POOLS, SHOW STATS), simple protocol only. */
  show(what: 'POOLS' | 'STATS' | 'CLIENTS' | 'SERVERS'): Promise<Record<string, unknown>[]>;
  /** What it logged (for a failure's message). */
  log(): string;
  stop(): Promise<void>;
}

/** Where Debian puts it (/usr/sbin is not on every user's PATH), else the PATH. */
export function findPgBouncer(): string | null {
  const dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) {
    if (!dir) continue;
    const bin = join(dir, 'pgbouncer');
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {
      // not here
    }
  }
  return null;
}

export interface PgBouncerOptions {
  /** The PostgreSQL server behind it (host, port and user of this URL; every database name is passed through). */
  serverUrl: string;
  /** Server connections per database and user (default 10): fewer than stockhook's clients, as in production. */
  poolSize?: number;
  /** How long to wait for it to accept connections (default 30 s). */
  startTimeoutMs?: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts PgBouncer; throws a clear error when it is not installed or does not come up. */
export async function startPgBouncer(opts: PgBouncerOptions): Promise<PgBouncer> {
  const bin = findPgBouncer();
  if (!bin) throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer; .ci/run installs it)');
  const versionRun = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const version = (versionRun.stdout || versionRun.stderr || '').split('\n')[0].trim();
  const server = new URL(opts.serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const dir = mkdtempSync(join(tmpdir(), 'stockhook-pgbouncer-'));
  const port = await freePort();
  const logFile = join(dir, 'pgbouncer.log');
  // Every database name goes to the same server as the same user: tests make a fresh database each.
  const target = `host=${server.hostname} port=${server.port || 5432} user=${user}${server.password ? ` password=${decodeURIComponent(server.password)}` : ''}`;
  writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = ${target}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 10}`,
      'max_client_conn = 500',
      `admin_users = ${user}`,
      `logfile = ${logFile}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; as root it is told to switch to an unprivileged user, who
  // must be able to write its log in the folder.
  const args: string[] = [];
  if (process.getuid?.() === 0) {
    const as = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).status === 0 ? 'postgres' : 'nobody';
    const uid = Number(spawnSync('id', ['-u', as], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', as], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o755);
    args.push('-u', as);
  }
  const proc: ChildProcess = spawn(bin, [...args, join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const log = () => {
    let file = '';
    try {
      file = readFileSync(logFile, 'utf8');
    } catch {
      // not written yet
    }
    return `${output}${file}`.trim();
  };
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const admin = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/pgbouncer`;
  const bouncer: PgBouncer = {
    version,
    port,
    through(directUrl) {
      const u = new URL(directUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async show(what) {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        return (await c.query(`SHOW ${what}`)).rows as Record<string, unknown>[];
      } finally {
        await c.end();
      }
    },
    log,
    stop,
  };
  // Up when a query through it reaches the server; an exit before that is the failure to report.
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await stop();
      throw new Error(`pgbouncer (${version}) exited at start: ${log()}`);
    }
    const c = new pg.Client({ connectionString: bouncer.through(opts.serverUrl), connectionTimeoutMillis: 2000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.query('select 1');
      await c.end();
      return bouncer;
    } catch (err) {
      last = err;
      await c.end().catch(() => {});
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pgbouncer (${version}) did not accept connections on 127.0.0.1:${port}: ${String(last)}\n${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
