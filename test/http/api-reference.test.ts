import Fastify, { type FastifySchema } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RouteDeps } from '../../src/http/deps.js';
import { OPERATIONS, REFERENCE } from '../../src/http/openapi/reference.js';
import { ROUTES } from '../../src/http/routes/index.js';
import { SHARED_SCHEMAS } from '../../src/http/schemas.js';
import { validatorCompilers } from '../../src/http/validation.js';
import { idFromHref, parseItem, parseItems } from '../../src/webhooks/kladana-webhookstock.js';
import { describeEachDb } from '../support/env.js';
import { openApiPath, ResponseContract, type OpenApiDoc } from '../support/response-contract.js';

interface Param {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
}
interface Media {
  example?: unknown;
  examples?: Record<string, { summary?: string; value?: unknown }>;
}
interface Op {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Param[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
type Doc = OpenApiDoc & {
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Op>>;
  components: { securitySchemes: Record<string, { description?: string }> };
};

const operationsOf = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })));
const success = (op: Op) => Object.keys(op.responses).filter((s) => /^2\d\d$/.test(s));

describeEachDb('the API reference: every operation explained, with examples', (env) => {
  let doc: Doc;
  beforeAll(async () => {
    doc = (await env().app.inject({ method: 'GET', url: '/openapi.json' })).json() as Doc;
  });

  it('every operation has an entry, and every entry is an operation', () => {
    const keys = operationsOf(doc).map((o) => o.key);
    expect(keys.length).toBeGreaterThanOrEqual(79);
    expect(keys.filter((k) => !OPERATIONS.has(k))).toEqual([]);
    expect([...OPERATIONS.keys()].filter((k) => !keys.includes(k))).toEqual([]);
    // One entry per operation: a key in two tag files would silently lose one of them.
    expect(REFERENCE.flatMap((t) => Object.keys(t.operations))).toHaveLength(OPERATIONS.size);
  });

  it('every served operation has a summary, a description and examples of what it takes and answers', () => {
    const missing: string[] = [];
    for (const { key, op } of operationsOf(doc)) {
      if (!op.summary || op.summary.length < 10) missing.push(`${key}: summary`);
      if (!op.description || op.description.length < 40) missing.push(`${key}: description`);
      if (/TODO/.test(`${op.summary} ${op.description}`)) missing.push(`${key}: placeholder text`);
      for (const p of op.parameters ?? []) if ((p.in === 'path' || p.in === 'header') && p.example === undefined) missing.push(`${key}: ${p.in} ${p.name} example`);
      const query = (op.parameters ?? []).filter((p) => p.in === 'query');
      if (query.length > 0 && !query.some((p) => p.example !== undefined)) missing.push(`${key}: query example`);
      const body = op.requestBody?.content['application/json'];
      if (body && Object.keys(body.examples ?? {}).length === 0) missing.push(`${key}: request body example`);
      for (const ex of Object.values(body?.examples ?? {})) if (!ex.summary || /TODO/.test(ex.summary)) missing.push(`${key}: request example summary`);
      const withBody = success(op).filter((s) => Object.keys(op.responses[s].content ?? {}).length > 0);
      if (withBody.length > 0 && !withBody.some((s) => Object.values(op.responses[s].content ?? {}).some((m) => m.example !== undefined))) {
        missing.push(`${key}: response example`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every tag has a description, and the security schemes explain each kind of token and how to get it', () => {
    const used = new Set(operationsOf(doc).flatMap(({ op }) => op.tags ?? []));
    const described = new Map((doc.tags ?? []).map((t) => [t.name, t.description ?? '']));
    for (const tag of used) expect(described.get(tag)?.length ?? 0, tag).toBeGreaterThan(60);
    const bearer = doc.components.securitySchemes.bearer.description ?? '';
    for (const word of ['Administrator token', 'STOCKHOOK_ADMIN_TOKEN', 'POST /api/v1/accounts', '`read`', '`write`', 'INSUFFICIENT_SCOPE', 'POST /api/v1/tokens', 'Application token', '/install']) {
      expect(bearer).toContain(word);
    }
    expect(doc.components.securitySchemes.basic.description).toContain('password');
  });

  it('every response example matches the schema the operation documents for its status', () => {
    const contract = new ResponseContract(doc);
    const wrong: string[] = [];
    let checked = 0;
    for (const { key, path, method, op } of operationsOf(doc)) {
      const ref = OPERATIONS.get(key);
      for (const [status, value] of Object.entries(ref?.responses ?? {})) {
        const content = op.responses[status]?.content ?? {};
        const media = typeof value === 'string' ? Object.keys(content).find((m) => m.startsWith('text/')) : 'application/json';
        if (!media || !content[media]) {
          wrong.push(`${key}: an example for ${status} ${media ?? 'text'}, which the operation does not document`);
          continue;
        }
        const body = typeof value === 'string' ? value : JSON.stringify(value);
        const why = contract.check({ method: method.toUpperCase(), url: path, route: path, status: Number(status), contentType: media, body });
        if (why) wrong.push(why);
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(60);
  });
});

/** Route schemas as fastify compiles them: the route plugins registered on a bare app that only records them. */
interface RouteSchemas {
  schema: FastifySchema & { body?: unknown; querystring?: unknown; params?: unknown };
  /** The route checks its body in code (the Kladana routes), so fastify's compiler does not. */
  bodyInCode: boolean;
}
function routeSchemas(): Map<string, RouteSchemas> {
  const schemas = new Map<string, RouteSchemas>();
  const app = Fastify();
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  app.addHook('onRoute', (route) => {
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
    for (const m of [route.method].flat()) if (m !== 'HEAD') schemas.set(`${m} ${openApiPath(route.url)}`, { schema: route.schema ?? {}, bodyInCode: route.validatorCompiler !== undefined });
  });
  // fastify runs onRoute as each route is added; the app never starts, so no handler or hook runs
  // and the dependencies are never used: an inert stand-in is enough.
  const inert: unknown = new Proxy(() => inert, { get: (t, k) => (k in t ? Reflect.get(t, k) : k === 'then' ? undefined : inert), apply: () => inert });
  for (const register of ROUTES) register(app as never, inert as RouteDeps);
  return schemas;
}

/** The Kladana routes' own body checks (routes/kladana-webhookstock.ts), as their handlers call them. */
const KLADANA = '/api/remap/1.2/entity/webhookstock';
const CHECKED_IN_CODE: Record<string, (body: unknown) => void> = {
  [`POST ${KLADANA}`]: (body) => (Array.isArray(body) ? parseItems(body) : parseItem(body)),
  [`POST ${KLADANA}/delete`]: (body) => parseItems(body).forEach((item, i) => item.id ?? idFromHref((body as Array<{ meta?: { href?: unknown } }>)[i].meta?.href, `[${i}].meta.href`)),
  [`PUT ${KLADANA}/{id}`]: (body) => parseItem(body),
};

describe('the API reference: request examples pass the routes’ own validation', () => {
  // fastify's validator compilers, as buildApp configures them: strict bodies, coerced text parts.
  const compile = (() => {
    const factory = validatorCompilers().compilersFactory as { buildValidator: (external: unknown) => (route: object) => ((data: unknown) => boolean) & { errors?: unknown } };
    return factory.buildValidator(Object.fromEntries(SHARED_SCHEMAS.map((s) => [s.$id, s])));
  })();
  /** A querystring or path as the server receives it: text. */
  const asText = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

  it('every body, querystring and path example is accepted by the route it documents', () => {
    const schemas = routeSchemas();
    const wrong: string[] = [];
    let bodies = 0;
    for (const [key, ref] of OPERATIONS) {
      const route = schemas.get(key);
      if (!route) {
        wrong.push(`${key}: no such route`);
        continue;
      }
      const { schema } = route;
      const [method, url] = key.split(' ');
      const check = (httpPart: string, partSchema: unknown, data: unknown, what: string) => {
        if (partSchema === undefined) return wrong.push(`${key}: an example of ${httpPart}, which the route does not take`);
        const validate = compile({ schema: partSchema, method, url, httpPart });
        if (!validate(data)) wrong.push(`${key} ${what}: ${JSON.stringify(validate.errors)}`);
      };
      for (const [name, ex] of Object.entries(ref.body ?? {})) {
        if (route.bodyInCode) {
          const parse = CHECKED_IN_CODE[key];
          if (!parse) wrong.push(`${key}: checks its body in code, and this test does not know how`);
          else {
            try {
              parse(structuredClone(ex.value));
            } catch (err) {
              wrong.push(`${key} body example ${name}: ${String(err)}`);
            }
          }
        } else check('body', schema.body, structuredClone(ex.value), `body example ${name}`);
        bodies++;
      }
      if (ref.query) check('querystring', schema.querystring, asText(ref.query), 'query example');
      if (ref.params) check('params', schema.params, asText(ref.params), 'path example');
      if (schema.body !== undefined && !ref.body) wrong.push(`${key}: takes a body but has no example of it`);
    }
    expect(wrong).toEqual([]);
    expect(bodies).toBeGreaterThanOrEqual(25);
  });
});
