import { toError } from './errors.js';

/** What Node sets on the error of a listen() that failed. */
interface ListenError extends Error {
  code?: string;
  port?: number;
  address?: string;
  syscall?: string;
}

/**
 * The lines the CLI prints for an error that ends a command: the operator's mistake in words
 * (a port in use, a port that needs privileges) rather than Node's stack trace; anything else is
 * its message, one line per line (a configuration error lists every mistake).
 * `portFlag` says how this command's port is chosen, e.g. `--port` or `--port or STOCKHOOK_PORT`.
 */
export function cliErrorLines(err: unknown, portFlag = '--port'): string[] {
  const e = toError(err) as ListenError;
  const where = e.address !== undefined && e.port !== undefined ? ` (${e.address}:${e.port})` : '';
  if (e.code === 'EADDRINUSE') return [`port ${e.port ?? '?'} is in use${where}; pick another with ${portFlag}`];
  if (e.code === 'EACCES' && e.syscall === 'listen') return [`port ${e.port ?? '?'} needs privileges to listen on${where}; pick one above 1023 with ${portFlag}`];
  if (e.code === 'EADDRNOTAVAIL') return [`cannot listen on ${e.address ?? 'that address'}: it is not an address of this machine; pick another with --host`];
  return e.message.split('\n');
}
