import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from './config.js';

/** Fields a pretty line leaves out: the request line's own message says them, or they are noise at a terminal. */
const PRETTY_IGNORE = ['pid', 'hostname', 'code', 'err', 'reqId', 'method', 'url', 'statusCode', 'responseTimeMs'];

interface ErrorFields {
  type?: unknown;
  message?: unknown;
  code?: unknown;
}

/**
 * A pretty record's text: its message, its error on the same line (a stack trace is many lines; JSON
 * keeps it), then its code in brackets. The remaining fields follow as one compact JSON object.
 */
export function prettyMessage(record: Record<string, unknown>, messageKey: string): string {
  let text = String(record[messageKey] ?? '');
  const err = record.err as ErrorFields | undefined;
  if (err && typeof err === 'object') {
    const code = typeof err.code === 'string' || typeof err.code === 'number' ? ` (${err.code})` : '';
    text += `: ${String(err.type ?? 'Error')}: ${String(err.message ?? '')}${code}`;
  }
  if (typeof record.code === 'string') text += ` [${record.code}]`;
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * The process's logger: JSON lines on stdout, or one readable line per record (pino-pretty,
 * singleLine). The pretty stream writes synchronously, so the last lines before an exit are not
 * lost; it costs more than JSON, which is why a pipe (a collector, a benchmark) gets JSON unless
 * asked otherwise.
 */
export function createLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return pino({ level });
  return pino(
    { level },
    pretty({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: PRETTY_IGNORE.join(','),
      singleLine: true,
      messageFormat: (record, messageKey) => prettyMessage(record, messageKey),
      sync: true,
    }),
  );
}
