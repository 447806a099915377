import { subscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ResponseContract, type OpenApiDoc } from './response-contract.js';

/**
 * Checks every response of every fastify app created in this process against its OpenAPI
 * document. fastify announces each new instance on the `fastify.initialization` diagnostics
 * channel before any route or hook is added, so the observer needs nothing from the app's code:
 * apps built by createEnv, by compose() in a test, and servers in child processes (loaded there
 * with --import, contract-preload.ts) are all covered, over inject() and over real sockets alike.
 * It reads the bytes as they leave (the raw response's write/end), after every onSend hook, so it
 * sees exactly what a client sees; apps without @fastify/swagger (test receivers) are skipped.
 */

type Report = (violation: string) => void;

const STATE = Symbol.for('stockhook.test.contract-observer');
interface State {
  report: Report;
}
const g = globalThis as typeof globalThis & { [STATE]?: State };

const contracts = new WeakMap<FastifyInstance, ResponseContract>();

function contractOf(app: FastifyInstance): ResponseContract | null {
  const swagger = (app as FastifyInstance & { swagger?: () => OpenApiDoc }).swagger;
  if (typeof swagger !== 'function') return null;
  let c = contracts.get(app);
  if (!c) {
    c = new ResponseContract(swagger.call(app));
    contracts.set(app, c);
  }
  return c;
}

/** Routes hidden from the document on purpose (the dashboard's files, /openapi.json, /docs) are not part of the contract. */
const hidden = (req: FastifyRequest) => (req.routeOptions.schema as { hide?: boolean } | undefined)?.hide === true;

function watch(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply): void {
  const res: ServerResponse = reply.raw;
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  // fastify hands its headers to writeHead rather than setHeader, so getHeader does not see them.
  let headType: unknown;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const headers = args.find((a, i) => i > 0 && a !== null && typeof a === 'object');
    if (headers && !Array.isArray(headers)) {
      for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'content-type') headType = v;
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (typeof args[0] !== 'function') keep(args[0], args[1]);
    // Checked before the bytes go out, so the violation is recorded before the client can see the answer.
    if (!hidden(req)) {
      let violation: string | null | undefined;
      try {
        const type = headType ?? res.getHeader('content-type');
        violation = contractOf(app)?.check({
          method: req.method,
          url: req.url,
          route: req.is404 ? null : (req.routeOptions.url ?? null),
          status: res.statusCode,
          contentType: type === undefined ? undefined : String(type),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      } catch (err) {
        violation = `${req.method} ${req.url}: the checker failed: ${String(err)}`;
      }
      if (violation) g[STATE]?.report(`response does not match its documented schema: ${violation}`);
    }
    return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['end'];
}

/** Starts observing every fastify app created from now on in this process (once; later calls only change where violations go). */
export function observeResponses(report: Report): void {
  if (g[STATE]) {
    g[STATE].report = report;
    return;
  }
  g[STATE] = { report };
  subscribe('fastify.initialization', (message) => {
    const app = (message as { fastify: FastifyInstance }).fastify;
    app.addHook('onRequest', (req, reply, done) => {
      watch(app, req, reply);
      done();
    });
  });
}

/**
 * For the checker's own tests: until restore(), violations go to `taken` instead of failing the
 * test, so a test can make a bad response on purpose and assert that it was caught.
 */
export function divertViolations(): { taken: string[]; restore(): void } {
  const state = g[STATE];
  if (!state) throw new Error('observeResponses has not been called (vitest setupFiles: contract-setup.ts)');
  const previous = state.report;
  const taken: string[] = [];
  state.report = (v) => taken.push(v);
  return { taken, restore: () => void (state.report = previous) };
}
