import pino, { type Logger } from 'pino';

/** A log record as pino writes it in JSON mode. */
export type LogRecord = Record<string, unknown> & { level: number; msg: string; code?: string };

/** pino's numeric levels. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * A real pino logger (as the server makes in JSON mode) at debug whose records are kept, parsed, in
 * `records`: tests read what an operator's collector would get.
 */
export function recordingLogger(): { logger: Logger; records: LogRecord[]; withCode(code: string): LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  return { logger, records, withCode: (code) => records.filter((r) => r.code === code) };
}
