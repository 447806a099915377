import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from './config.js';

/**
 * The process's logger: JSON lines on stdout, or pino-pretty's one readable line per record. The
 * pretty stream writes synchronously, so the last lines before an exit are not lost; it costs more
 * than JSON, which is why a pipe (a collector, a benchmark) gets JSON unless asked otherwise.
 */
export function createLogger(level: string, format: LogFormat): Logger {
  if (format === 'json') return pino({ level });
  return pino(
    { level },
    pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }),
  );
}
