import type { App, RouteDeps } from '../deps.js';

export function metricsRoutes(app: App, { metrics }: RouteDeps): void {
  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', security: [] } }, async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
