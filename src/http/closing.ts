import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { App } from './deps.js';

/** Seconds a client is told to wait before it tries again (another instance, or this one restarted). */
const RETRY_AFTER_SECONDS = 1;

/**
 * While the app closes (SIGTERM), a request that still reaches it on an open keep-alive connection
 * answers 503 SHUTTING_DOWN in the documented error shape, with Retry-After and `connection: close`,
 * instead of fastify's own body (the app is built with return503OnClosing off). Install first, so
 * nothing else (the rate limit, authentication) runs for such a request.
 */
export function installClosingAnswer(app: App): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!closing) return;
    reply.header('retry-after', String(RETRY_AFTER_SECONDS)).header('connection', 'close');
    throw new AppError('SHUTTING_DOWN');
  });
}
