import { TOKEN_SYNTAX } from './accounts/tokens.js';
import { days, type RetentionPolicy } from './retention/policy.js';

/**
 * The one place that reads process.env. Everything else receives a frozen Config.
 */
export type Role = 'all' | 'api' | 'worker';

/** `pretty` for people at a terminal, `json` for log collectors (STOCKHOOK_LOG_FORMAT). */
export type LogFormat = 'json' | 'pretty';
const LOG_FORMATS: readonly string[] = ['json', 'pretty'] satisfies LogFormat[];

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
  /** PostgreSQL: keep the hot path's statements prepared per connection (STOCKHOOK_PG_NAMED_STATEMENTS=0: a pooler in transaction mode). */
  readonly namedStatements: boolean;
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

export function loadConfig(
  overrides: CliOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  stdoutIsTty: boolean = process.stdout.isTTY === true,
): Config {
  const port = Number(overrides.port ?? env.STOCKHOOK_PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port: ${String(overrides.port ?? env.STOCKHOOK_PORT)}`);
  }
  const role = (overrides.role ?? env.STOCKHOOK_ROLE ?? 'all') as Role;
  if (!['all', 'api', 'worker'].includes(role)) throw new Error(`invalid role: ${role} (all, api or worker)`);
  const host = overrides.host ?? env.STOCKHOOK_HOST ?? '127.0.0.1';
  const adminToken = env.STOCKHOOK_ADMIN_TOKEN || undefined;
  const metricsToken = env.STOCKHOOK_METRICS_TOKEN || undefined;
  // Authorization headers are parsed strictly (RFC 6750), so a token must be sendable as one.
  for (const [name, token] of [['STOCKHOOK_ADMIN_TOKEN', adminToken], ['STOCKHOOK_METRICS_TOKEN', metricsToken]] as const) {
    if (token !== undefined && !TOKEN_SYNTAX.test(token)) throw new Error(`${name} may contain only letters, digits and - . _ ~ + / (then = padding)`);
  }
  const leaseMs = Number(env.STOCKHOOK_DELIVERY_LEASE_MS ?? 30_000);
  if (!Number.isInteger(leaseMs) || leaseMs < 1000) throw new Error('STOCKHOOK_DELIVERY_LEASE_MS must be an integer >= 1000');
  const logFormat = (env.STOCKHOOK_LOG_FORMAT || (stdoutIsTty ? 'pretty' : 'json')) as LogFormat;
  if (!LOG_FORMATS.includes(logFormat)) throw new Error(`STOCKHOOK_LOG_FORMAT must be json or pretty, not ${logFormat}`);
  // Off unless set: one shop's ERP syncing in bulk sends thousands of requests a second.
  const rateMax = intIn(env.STOCKHOOK_RATE_LIMIT, 0, 0, 1_000_000_000, 'STOCKHOOK_RATE_LIMIT');
  const rateWindow = intIn(env.STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS, 60, 1, 86_400, 'STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS');
  return Object.freeze({
    port,
    host,
    databaseUrl: overrides.db ?? env.STOCKHOOK_DATABASE_URL ?? DEFAULT_SQLITE_PATH,
    adminToken,
    metricsToken,
    allowPrivateTargets: env.STOCKHOOK_ALLOW_PRIVATE_TARGETS === '1',
    role,
    logLevel: env.STOCKHOOK_LOG_LEVEL ?? 'info',
    logFormat,
    publicUrl: (env.STOCKHOOK_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/$/, ''),
    deliveryLeaseMs: leaseMs,
    deliveryAccountShare: positiveInt(env.STOCKHOOK_DELIVERY_ACCOUNT_SHARE, 128, 'STOCKHOOK_DELIVERY_ACCOUNT_SHARE'),
    deliveryThread: env.STOCKHOOK_DELIVERY_THREAD !== '0',
    namedStatements: env.STOCKHOOK_PG_NAMED_STATEMENTS !== '0',
    // Up to a year: longer gains nothing a client would retry within, and the table only grows.
    retention: {
      eventsMs: days(intIn(env.STOCKHOOK_RETENTION_EVENTS_DAYS, 90, 0, 36_500, 'STOCKHOOK_RETENTION_EVENTS_DAYS')),
      deliveriesMs: days(intIn(env.STOCKHOOK_RETENTION_DELIVERIES_DAYS, 30, 0, 36_500, 'STOCKHOOK_RETENTION_DELIVERIES_DAYS')),
      attemptsMs: days(intIn(env.STOCKHOOK_RETENTION_ATTEMPTS_DAYS, 30, 0, 36_500, 'STOCKHOOK_RETENTION_ATTEMPTS_DAYS')),
    },
    rateLimit: rateMax > 0 ? { max: rateMax, windowMs: rateWindow * 1000 } : undefined,
    databaseWaitMs: intIn(env.STOCKHOOK_DATABASE_WAIT_SECONDS, 60, 0, 86_400, 'STOCKHOOK_DATABASE_WAIT_SECONDS') * 1000,
    idempotencyTtlMs: intIn(env.STOCKHOOK_IDEMPOTENCY_TTL_SECONDS, 86_400, 1, 366 * 86_400, 'STOCKHOOK_IDEMPOTENCY_TTL_SECONDS') * 1000,
    limits: {
      webhooksPerAccount: positiveInt(env.STOCKHOOK_MAX_WEBHOOKS_PER_ACCOUNT, 50, 'STOCKHOOK_MAX_WEBHOOKS_PER_ACCOUNT'),
      replaysPerWebhook: positiveInt(env.STOCKHOOK_MAX_REPLAYS_PER_WEBHOOK, 1, 'STOCKHOOK_MAX_REPLAYS_PER_WEBHOOK'),
    },
  });
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  return intIn(value, fallback, 1, 1_000_000, name);
}

function intIn(value: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return n;
}
