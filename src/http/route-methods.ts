import { createRequire } from 'node:module';
import type { FastifyInstance, RouteOptions } from 'fastify';

/** The part of find-my-way (fastify's router) used here. */
interface Router {
  on(method: string, path: string, handler: () => void, store: unknown): void;
  find(method: string, path: string): { store: unknown } | null;
}
type RouterFactory = (opts: { ignoreTrailingSlash: boolean; caseSensitive: boolean; maxParamLength: number }) => Router;

/** fastify's own router, resolved from fastify so path matching is the one fastify does. */
const buildRouter = createRequire(createRequire(import.meta.url).resolve('fastify'))('find-my-way') as RouterFactory;

/**
 * The methods each registered path takes, for 405 METHOD_NOT_ALLOWED and its Allow header: a
 * request that matched no route is matched once more against every path, whatever the method.
 * Collected with an onRoute hook, so every route counts (the API docs' too); call before the routes.
 */
export function collectRouteMethods(app: FastifyInstance): (url: string) => string[] | null {
  const byPath = new Map<string, Set<string>>();
  let router: Router | null = null;
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const set = byPath.get(route.url) ?? new Set<string>();
    for (const m of methods) set.add(m);
    // fastify answers HEAD for every GET route (exposeHeadRoutes).
    if (set.has('GET')) set.add('HEAD');
    byPath.set(route.url, set);
    router = null;
  });
  return (url) => {
    if (!router) {
      // fastify's defaults: trailing slashes and case matter, parameters up to 100 characters.
      const r = buildRouter({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 100 });
      for (const [path, methods] of byPath) r.on('GET', path, () => undefined, [...methods].sort());
      router = r;
    }
    const found = router.find('GET', url);
    return found ? (found.store as string[]) : null;
  };
}
