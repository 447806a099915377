#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { cliErrorLines } from './cli-errors.js';
import { loadConfig } from './config.js';
import { replayCommand } from './client/replay-command.js';
import { logEvent } from './log-events.js';
import { startupLine } from './startup-line.js';
import { backupDatabase } from './storage/backup.js';
import { databaseLabel } from './storage/database-label.js';
import { startListener } from './listen/listener.js';
import { FORMAT_NAMES, type FormatName } from './receiver/index.js';
import { closeOnSignals, startServer } from './server.js';

const program = new Command();
// Read from the installed package at run time (one level above both src/ and dist/), so the version
// printed is the one npm installed, never a copy that went stale.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
program
  .name('stockhook')
  .description('Multi-warehouse stock ledger that delivers every change as a signed webhook')
  .version(version, '-V, --version', 'print the version of stockhook');
// How the running command's port is chosen, for the one line that says a port is taken.
let portFlag = '--port';
program.hook('preAction', (_program, action) => {
  if (action.name() === 'serve') portFlag = '--port or STOCKHOOK_PORT';
});

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
  // From the environment too: a token on the command line is visible in `ps` and the shell's history.
  .addOption(new Option('--token <token>', 'an account token').env('STOCKHOOK_TOKEN').makeOptionMandatory())
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
    const r = await backupDatabase(databaseUrl, file, {
      onProgress: (p) =>
        console.error(p.step === 'copying' ? `backup: copying ${databaseUrl}: ${p.pages} pages (${size(p.bytes)}), from one snapshot` : `backup: copied ${p.pages} pages, checking the copy (quick_check)`),
    });
    console.error(`backup of ${r.source} written to ${resolve(r.target)}: ${size(r.bytes)} (${r.bytes} bytes, ${r.pages} pages) in ${r.ms} ms`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  // A configuration error is one line per mistake; each gets the prefix. No stack trace: these are
  // the operator's to fix, and the line says how.
  for (const line of cliErrorLines(err, portFlag)) console.error(`stockhook: ${line}`);
  process.exit(1);
});

/** Bytes as a person reads them: 512 B, 3.4 MiB. */
function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}
