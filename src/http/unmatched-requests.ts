import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { App } from './deps.js';
import type { CountRequest } from './rate-limit.js';
import { collectRouteMethods } from './route-methods.js';

/**
 * Requests that match no route: counted by the rate limiter (by client address: nothing was
 * authenticated), then answered 405 METHOD_NOT_ALLOWED with an Allow header when the path exists
 * with other methods, else 404 ROUTE_NOT_FOUND. Both in onRequest, so a body sent to no route is
 * never read or parsed (it would otherwise be 400 or 413 before it is 404).
 * Call before the routes: the methods are collected as routes are registered.
 */
export function installUnmatchedRequests(app: App, count: CountRequest | undefined): void {
  const allowed = collectRouteMethods(app);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.is404) return;
    await count?.(request, reply);
    const path = request.url.split('?')[0];
    const methods = allowed(request.url);
    if (methods && !methods.includes(request.method)) {
      reply.header('allow', methods.join(', '));
      throw new AppError('METHOD_NOT_ALLOWED', `${path} takes ${methods.join(', ')}, not ${request.method}`, { allow: methods });
    }
    throw new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${path}`);
  });
}
