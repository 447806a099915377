#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig } from './config.js';
import { replayCommand } from './client/replay-command.js';
import { toError } from './errors.js';
import { logEvent } from './log-events.js';
import { startupLine } from './startup-line.js';
import { backupDatabase } from './storage/backup.js';
import { databaseLabel } from './storage/database-label.js';
import { startListener } from './listen/listener.js';
import { FORMAT_NAMES, type FormatName } from './receiver/index.js';
import { closeOnSignals, startServer } from './server.js';

const program = new Command();
program.name('stockhook').description('Multi-warehouse stock ledger that delivers every change as a signed webhook');

program
  .command('serve')
  .description('run the API and the webhook worker')
  .option('--port <port>', 'port to listen on (STOCKHOOK_PORT, default 3000)')
  .option('--host <host>', 'address to bind (STOCKHOOK_HOST, default 127.0.0.1)')
  .option('--db <url>', 'SQLite path or postgres:// URL (STOCKHOOK_DATABASE_URL, default ./data/stockhook.db)')
  .option('--role <role>', 'all, api or worker (default all)')
  .action(async (opts: { port?: string; host?: string; db?: string; role?: string }) => {
    const config = loadConfig(opts);
    const running = await startServer(config);
    closeOnSignals(running);
    const facts = { role: config.role, url: running.url, database: databaseLabel(config.databaseUrl), deliveryOwner: running.delivery?.owner };
    // Printed whatever STOCKHOOK_LOG_LEVEL says: it is how a person (or a script) learns where stockhook is.
    const announce = running.logger.child({}, { level: 'info' });
    // A terminal gets the sentence alone; JSON carries the facts as fields too.
    logEvent(announce, 'server.started', config.logFormat === 'json' ? facts : {}, startupLine(facts));
  });

program
  .command('listen')
  .description('a local receiver that prints each webhook, checks its signature and answers as the format expects')
  .option('--port <port>', 'port to listen on', '4000')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .addOption(new Option('--format <format>', 'the webhook format').choices(FORMAT_NAMES).default('native'))
  .option('--secret <secret>', 'the signing secret, to verify signatures')
  .option('--fail-rate <ratio>', 'answer this share of requests (0..1) with 500')
  .option('--status <code>', 'always answer with this HTTP status')
  .option('--delay-ms <ms>', 'wait this long before answering')
  .action(async (opts: { port: string; host: string; format: FormatName; secret?: string; failRate?: string; status?: string; delayMs?: string }) => {
    const num = (v: string | undefined, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
      return n;
    };
    const listener = await startListener(
      {
        port: num(opts.port, 'port') ?? 4000,
        host: opts.host,
        format: opts.format,
        secret: opts.secret,
        failRate: num(opts.failRate, 'fail-rate'),
        status: num(opts.status, 'status'),
        delayMs: num(opts.delayMs, 'delay-ms'),
      },
      (text) => process.stdout.write(`${text}\n`),
    );
    console.error(`stockhook listen on ${listener.url} (format ${opts.format}${opts.secret ? ', verifying signatures' : ''})`);
    const stop = () => void listener.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

program
  .command('replay')
  .description('send every matching event since a time again to one subscription, showing progress')
  .requiredOption('--webhook <id>', 'the subscription id')
  .requiredOption('--since <time>', 'ISO date-time, e.g. 2026-11-23T00:00:00Z')
  .requiredOption('--token <token>', 'an account token')
  .option('--url <url>', 'the stockhook server', 'http://127.0.0.1:3000')
  .action(async (opts: { webhook: string; since: string; token: string; url: string }) => {
    const job = await replayCommand(opts);
    console.error(`done: ${job.eventsDone} events, ${job.deliveries} deliveries queued`);
  });

program
  .command('backup <file>')
  .description('copy a running SQLite database consistently (SQLite online backup); for PostgreSQL use pg_dump')
  .option('--db <url>', 'the database to copy (STOCKHOOK_DATABASE_URL, default ./data/stockhook.db)')
  .action(async (file: string, opts: { db?: string }) => {
    const { databaseUrl } = loadConfig({ db: opts.db });
    const r = await backupDatabase(databaseUrl, file);
    console.error(`backup of ${r.source} written to ${r.target}: ${r.pages} pages, ${r.bytes} bytes in ${r.ms} ms`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  // A configuration error is one line per mistake; each gets the prefix.
  for (const line of toError(err).message.split('\n')) console.error(`stockhook: ${line}`);
  process.exit(1);
});
