import type { App, RouteDeps } from '../deps.js';
import { responses, TextResponse } from '../schemas.js';

/**
 * Queue depths, endpoints' breaker states and attempt rates tell an outsider how busy the business
 * is and which receivers fail: /metrics needs a token like the rest of the API.
 */
export function metricsRoutes(app: App, { metrics, auth }: RouteDeps): void {
  const schema = {
    tags: ['operations'],
    summary: 'Prometheus metrics',
    description: 'Bearer STOCKHOOK_METRICS_TOKEN, or the administrator token.',
    security: [{ bearer: [] }],
    // Prometheus' text format, not JSON; 401 without the token, in the error envelope.
    response: responses({ 200: TextResponse('text/plain', 'Prometheus text exposition format') }),
  };
  app.get('/metrics', { onRequest: auth.requireMetrics, schema }, async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
