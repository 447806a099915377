import { TOKEN_SYNTAX } from './accounts/tokens.js';
import { mistypedNames, Problems } from './config-values.js';
import { quoteValue } from './errors.js';
import { days, type RetentionPolicy } from './retention/policy.js';
import { databaseUrlProblem, poolerProblems } from './storage/database-location.js';
import { POOLERS, type Pooler } from './storage/database.js';
import { MAX_PUBLIC_URL_LENGTH, REPORT_URL_MAX } from './webhooks/formats/kladana-report-link.js';

/**
 * The one place that reads process.env. Everything else receives a frozen Config.
 */
export type Role = 'all' | 'api' | 'worker';

/** `pretty` for people at a terminal, `json` for log collectors (STOCKHOOK_LOG_FORMAT). */
export type LogFormat = 'json' | 'pretty';
const LOG_FORMATS = ['json', 'pretty'] as const satisfies readonly LogFormat[];

export interface Config {
  readonly port: number;
  readonly host: string;
  /** A SQLite file path, ':memory:', or a postgres:// URL. */
  readonly databaseUrl: string;
  readonly adminToken: string | undefined;
  /** STOCKHOOK_METRICS_TOKEN: a Bearer token for /metrics only (the administrator token works too). */
  readonly metricsToken: string | undefined;
  readonly allowPrivateTargets: boolean;
  readonly role: Role;
  readonly logLevel: string;
  /** STOCKHOOK_LOG_FORMAT; by default pretty when stdout is a terminal, JSON otherwise. */
  readonly logFormat: LogFormat;
  /** Base URL receivers use to reach this server (STOCKHOOK_PUBLIC_URL; default http://host:port). */
  readonly publicUrl: string;
  /** How long a claimed delivery stays leased before another worker may take it over. */
  readonly deliveryLeaseMs: number;
  /** In-flight deliveries one account may hold in a worker (STOCKHOOK_DELIVERY_ACCOUNT_SHARE, default 128 of 256). */
  readonly deliveryAccountShare: number;
  /** Role all: run delivery in its own thread (STOCKHOOK_DELIVERY_THREAD=0 keeps it on the HTTP event loop). */
  readonly deliveryThread: boolean;
  /**
   * PostgreSQL: keep the hot path's statements prepared per connection (STOCKHOOK_PG_NAMED_STATEMENTS;
   * default on, off behind a pooler in transaction mode).
   */
  readonly namedStatements: boolean;
  /** PostgreSQL: what sits between stockhook and the server (STOCKHOOK_PG_POOLER, default none). */
  readonly pooler: Pooler;
  /** PostgreSQL behind a pooler: a direct URL for LISTEN (STOCKHOOK_PG_LISTEN_URL); unset, workers poll. */
  readonly listenUrl: string | undefined;
  /** How long an Idempotency-Key is remembered (STOCKHOOK_IDEMPOTENCY_TTL_SECONDS, default 24 h). */
  readonly idempotencyTtlMs: number;
  /** Per-token request limit (STOCKHOOK_RATE_LIMIT per STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS); undefined: off. */
  readonly rateLimit: { max: number; windowMs: number } | undefined;
  /** How long events, finished deliveries and attempt logs are kept (STOCKHOOK_RETENTION_*_DAYS; 0 = forever). */
  readonly retention: RetentionPolicy;
  /**
   * PostgreSQL: how long a start waits for the database to accept connections, retrying every
   * second with a log line, before it gives up (STOCKHOOK_DATABASE_WAIT_SECONDS, default 60).
   */
  readonly databaseWaitMs: number;
  /** What one account may create (context.ts Limits). */
  readonly limits: { webhooksPerAccount: number; replaysPerWebhook: number };
}

export interface CliOverrides {
  port?: number | string;
  host?: string;
  db?: string;
  role?: string;
}

export const DEFAULT_SQLITE_PATH = './data/stockhook.db';

/** Every setting read from the environment; a STOCKHOOK_* name near one of these is refused as a typo. */
export const SETTINGS = [
  'STOCKHOOK_PORT',
  'STOCKHOOK_HOST',
  'STOCKHOOK_ROLE',
  'STOCKHOOK_DATABASE_URL',
  'STOCKHOOK_ADMIN_TOKEN',
  'STOCKHOOK_METRICS_TOKEN',
  'STOCKHOOK_ALLOW_PRIVATE_TARGETS',
  'STOCKHOOK_LOG_LEVEL',
  'STOCKHOOK_LOG_FORMAT',
  'STOCKHOOK_PUBLIC_URL',
  'STOCKHOOK_DELIVERY_LEASE_MS',
  'STOCKHOOK_DELIVERY_ACCOUNT_SHARE',
  'STOCKHOOK_DELIVERY_THREAD',
  'STOCKHOOK_PG_NAMED_STATEMENTS',
  'STOCKHOOK_PG_POOLER',
  'STOCKHOOK_PG_LISTEN_URL',
  'STOCKHOOK_IDEMPOTENCY_TTL_SECONDS',
  'STOCKHOOK_RATE_LIMIT',
  'STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS',
  'STOCKHOOK_RETENTION_EVENTS_DAYS',
  'STOCKHOOK_RETENTION_DELIVERIES_DAYS',
  'STOCKHOOK_RETENTION_ATTEMPTS_DAYS',
  'STOCKHOOK_DATABASE_WAIT_SECONDS',
  'STOCKHOOK_MAX_WEBHOOKS_PER_ACCOUNT',
  'STOCKHOOK_MAX_REPLAYS_PER_WEBHOOK',
] as const;

/** pino's levels. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const ROLES = ['all', 'api', 'worker'] as const satisfies readonly Role[];
/** An administrator token is the key to every account: shorter than this is guessable by a patient attacker. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** The settings are wrong: one line per mistake, all of them found before anything was opened. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfig(
  overrides: CliOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTty: boolean = process.stdout.isTTY === true,
): Config {
  const p = new Problems();
  for (const line of mistypedNames(env, SETTINGS)) p.add(line);
  const portText = String(overrides.port ?? env.STOCKHOOK_PORT ?? 3000);
  const port = p.int(portText, 3000, 0, 65535, overrides.port !== undefined ? '--port' : 'STOCKHOOK_PORT');
  const role = p.oneOf(overrides.role ?? env.STOCKHOOK_ROLE ?? 'all', ROLES, overrides.role !== undefined ? '--role' : 'STOCKHOOK_ROLE');
  const host = overrides.host ?? env.STOCKHOOK_HOST ?? '127.0.0.1';
  if (host.trim() === '') p.add(`${overrides.host !== undefined ? '--host' : 'STOCKHOOK_HOST'} is empty: give an address to bind, e.g. 127.0.0.1 or ::`);
  const databaseUrl = overrides.db ?? env.STOCKHOOK_DATABASE_URL ?? DEFAULT_SQLITE_PATH;
  const dbProblem = databaseUrlProblem(databaseUrl, overrides.db !== undefined ? '--db' : 'STOCKHOOK_DATABASE_URL');
  if (dbProblem) p.add(dbProblem);
  const pooler = p.oneOf(env.STOCKHOOK_PG_POOLER || 'none', POOLERS, 'STOCKHOOK_PG_POOLER');
  const listenUrl = env.STOCKHOOK_PG_LISTEN_URL || undefined;
  for (const line of poolerProblems(databaseUrl, pooler, listenUrl)) p.add(line);
  const adminToken = env.STOCKHOOK_ADMIN_TOKEN || undefined;
  const metricsToken = env.STOCKHOOK_METRICS_TOKEN || undefined;
  // Authorization headers are parsed strictly (RFC 6750), so a token must be sendable as one. The
  // value itself is never echoed: it is a secret.
  for (const [name, token] of [['STOCKHOOK_ADMIN_TOKEN', adminToken], ['STOCKHOOK_METRICS_TOKEN', metricsToken]] as const) {
    if (token !== undefined && !TOKEN_SYNTAX.test(token)) p.add(`${name} may contain only letters, digits and - . _ ~ + / (then = padding)`);
  }
  if (adminToken !== undefined && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    p.add(`STOCKHOOK_ADMIN_TOKEN is ${adminToken.length} characters; it must be at least ${MIN_ADMIN_TOKEN_LENGTH} (e.g. openssl rand -hex 32), or unset for one made at the first start`);
  }
  const leaseMs = p.int(env.STOCKHOOK_DELIVERY_LEASE_MS, 30_000, 1000, 86_400_000, 'STOCKHOOK_DELIVERY_LEASE_MS');
  const logFormat = p.oneOf(env.STOCKHOOK_LOG_FORMAT || (stdoutIsTty ? 'pretty' : 'json'), LOG_FORMATS, 'STOCKHOOK_LOG_FORMAT');
  const logLevel = p.oneOf(env.STOCKHOOK_LOG_LEVEL || 'info', LOG_LEVELS, 'STOCKHOOK_LOG_LEVEL');
  const publicUrl = (env.STOCKHOOK_PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/$/, '');
  if (env.STOCKHOOK_PUBLIC_URL && !isHttpUrl(env.STOCKHOOK_PUBLIC_URL)) {
    p.add(`STOCKHOOK_PUBLIC_URL must be an http:// or https:// URL without query or fragment (how receivers reach this server), not ${quoteValue(env.STOCKHOOK_PUBLIC_URL)}`);
  }
  // Kladana's reportUrl (at most 255 characters) starts with it: a longer one would send reportUrls
  // that receivers cut. The value is not echoed, only its length.
  if (publicUrl.length > MAX_PUBLIC_URL_LENGTH) {
    const name = env.STOCKHOOK_PUBLIC_URL ? 'STOCKHOOK_PUBLIC_URL' : 'the public URL (http://host:port; set STOCKHOOK_PUBLIC_URL)';
    p.add(`${name} must be at most ${MAX_PUBLIC_URL_LENGTH} characters, not ${publicUrl.length}: Kladana's reportUrl starts with it and may have at most ${REPORT_URL_MAX}`);
  }
  // Off unless set: one shop's ERP syncing in bulk sends thousands of requests a second.
  const rateMax = p.int(env.STOCKHOOK_RATE_LIMIT, 0, 0, 1_000_000_000, 'STOCKHOOK_RATE_LIMIT');
  const rateWindow = p.int(env.STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS, 60, 1, 86_400, 'STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS');
  const config: Config = Object.freeze({
    port,
    host,
    databaseUrl,
    adminToken,
    metricsToken,
    allowPrivateTargets: p.flag(env.STOCKHOOK_ALLOW_PRIVATE_TARGETS, false, 'STOCKHOOK_ALLOW_PRIVATE_TARGETS'),
    role,
    logLevel,
    logFormat,
    publicUrl,
    deliveryLeaseMs: leaseMs,
    deliveryAccountShare: p.int(env.STOCKHOOK_DELIVERY_ACCOUNT_SHARE, 128, 1, 1_000_000, 'STOCKHOOK_DELIVERY_ACCOUNT_SHARE'),
    deliveryThread: p.flag(env.STOCKHOOK_DELIVERY_THREAD, true, 'STOCKHOOK_DELIVERY_THREAD'),
    // A pooler in transaction mode cannot keep them before PgBouncer 1.21; set to 1 for one that can.
    namedStatements: p.flag(env.STOCKHOOK_PG_NAMED_STATEMENTS, pooler !== 'transaction', 'STOCKHOOK_PG_NAMED_STATEMENTS'),
    pooler,
    listenUrl,
    // Up to a year: longer gains nothing a client would retry within, and the table only grows.
    retention: {
      eventsMs: days(p.int(env.STOCKHOOK_RETENTION_EVENTS_DAYS, 90, 0, 36_500, 'STOCKHOOK_RETENTION_EVENTS_DAYS')),
      deliveriesMs: days(p.int(env.STOCKHOOK_RETENTION_DELIVERIES_DAYS, 30, 0, 36_500, 'STOCKHOOK_RETENTION_DELIVERIES_DAYS')),
      attemptsMs: days(p.int(env.STOCKHOOK_RETENTION_ATTEMPTS_DAYS, 30, 0, 36_500, 'STOCKHOOK_RETENTION_ATTEMPTS_DAYS')),
    },
    rateLimit: rateMax > 0 ? { max: rateMax, windowMs: rateWindow * 1000 } : undefined,
    databaseWaitMs: p.int(env.STOCKHOOK_DATABASE_WAIT_SECONDS, 60, 0, 86_400, 'STOCKHOOK_DATABASE_WAIT_SECONDS') * 1000,
    idempotencyTtlMs: p.int(env.STOCKHOOK_IDEMPOTENCY_TTL_SECONDS, 86_400, 1, 366 * 86_400, 'STOCKHOOK_IDEMPOTENCY_TTL_SECONDS') * 1000,
    limits: {
      webhooksPerAccount: p.int(env.STOCKHOOK_MAX_WEBHOOKS_PER_ACCOUNT, 50, 1, 1_000_000, 'STOCKHOOK_MAX_WEBHOOKS_PER_ACCOUNT'),
      replaysPerWebhook: p.int(env.STOCKHOOK_MAX_REPLAYS_PER_WEBHOOK, 1, 1, 1_000_000, 'STOCKHOOK_MAX_REPLAYS_PER_WEBHOOK'),
    },
  });
  if (p.lines.length > 0) throw new ConfigError(p.lines);
  return config;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.search === '' && u.hash === '';
  } catch {
    return false;
  }
}
