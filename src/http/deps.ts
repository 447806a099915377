import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Ctx } from '../context.js';
import type { Renderer } from '../delivery/fan-out.js';
import type { DeliveryMetrics } from '../delivery/metrics.js';
import type { ReportFetchOptions } from '../sources/report-fetcher.js';
import type { Auth } from './auth.js';

/** The Fastify instance every route plugin registers on (TypeBox schemas give typed requests). */
export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** What a route plugin gets from the composition root: the domain, authentication and metrics. */
export interface RouteDeps {
  ctx: Ctx;
  auth: Auth;
  metrics: DeliveryMetrics;
  /** Renders deliveries outside a write (replay) exactly as the fan-out does. */
  renderer: Renderer;
  /** How Kladana reports are fetched again after a failure or a stop (sources/report-fetcher.ts defaults when not given). */
  reportFetches?: ReportFetchOptions;
}

/** A route plugin: registers one resource's routes. */
export type RoutePlugin = (app: App, deps: RouteDeps) => void;
