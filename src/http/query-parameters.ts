import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../errors.js';
import { KLADANA_PREFIX } from './kladana-errors.js';

/**
 * A query parameter a route does not take is refused, not ignored: `?productID=1` would otherwise
 * answer unfiltered data that looks like an answer. Collected with an onRoute hook from each
 * route's querystring schema (none: the route takes no parameters), so no route can forget it.
 *
 * Left out: the Kladana routes, whose clients send that API's general parameters (filter, expand,
 * order, search...) to every endpoint and which Kladana itself ignores where they do not apply; and
 * the hidden routes (the dashboard's files, the API reference's pages), which are not API.
 */
export function installUnknownParameterCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url.startsWith(KLADANA_PREFIX)) return;
    const schema = route.schema as { hide?: boolean; querystring?: { properties?: Record<string, unknown> } } | undefined;
    if (schema?.hide) return;
    const querystring = schema?.querystring;
    // A querystring schema that is not a plain object of named properties cannot be read here.
    if (querystring !== undefined && (typeof querystring !== 'object' || querystring.properties === undefined)) return;
    const allowed = Object.keys(querystring?.properties ?? {});
    const check = async (request: FastifyRequest): Promise<void> => {
      const unknown = Object.keys((request.query ?? {}) as object).filter((name) => !allowed.includes(name));
      if (unknown.length > 0) throw unknownParameters(`${request.method} ${route.url}`, unknown, allowed);
    };
    const own = route.preValidation;
    route.preValidation = own === undefined ? [check] : [...(Array.isArray(own) ? own : [own]), check];
  });
}

const MAX_LISTED = 10;
const MAX_NAME = 40;

/** The unknown names, each with the parameter it likely meant when only the letter case differs, and what the route takes. */
export function unknownParameters(route: string, unknown: string[], allowed: readonly string[]): AppError {
  // A hostile URL may hold thousands of names, each long: the answer repeats a bounded few.
  const listed = unknown.slice(0, MAX_LISTED).map((name) => (name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}...` : name));
  const named = listed.map((name) => {
    const meant = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
    return meant ? `${name} (did you mean ${meant}?)` : name;
  });
  const more = unknown.length > MAX_LISTED ? ` and ${unknown.length - MAX_LISTED} more` : '';
  const takes = allowed.length === 0 ? 'takes no query parameters' : `takes: ${allowed.join(', ')}`;
  const message = `unknown query parameter${unknown.length > 1 ? 's' : ''} ${named.join(', ')}${more}; ${route} ${takes}`;
  return new AppError('UNKNOWN_PARAMETER', message, { parameters: listed, allowed });
}
