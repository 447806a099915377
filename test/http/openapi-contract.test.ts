import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import Fastify, { type FastifySchema } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/child.js';
import { divertViolations } from '../support/contract-observer.js';
import { CONTRACT_FILE_ENV, CONTRACT_PRELOAD } from '../support/contract-preload-env.js';
import { describeEachDb } from '../support/env.js';
import { ResponseContract, type OpenApiDoc, type ObservedResponse } from '../support/response-contract.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Param {
  name: string;
  in: string;
  required?: boolean;
  schema?: { default?: unknown };
}
type Doc = OpenApiDoc & { paths: Record<string, Record<string, { parameters?: Param[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }>; requestBody?: { content: Record<string, { schema: unknown }> } }>> };

const KLADANA = '/api/remap/1.2/';

/** The named component a `$ref` or a union of `$ref`s points at. */
const refs = (schema: unknown): string[] => {
  const s = schema as { $ref?: string; anyOf?: unknown[] };
  if (s.$ref) return [s.$ref.replace('#/components/schemas/', '')];
  return (s.anyOf ?? []).flatMap(refs);
};

describeEachDb('the OpenAPI document is the contract', (env) => {
  const doc = () => env().app.swagger() as unknown as Doc;
  const contract = () => new ResponseContract(doc());
  const observed = (res: { statusCode: number; headers: Record<string, unknown>; body: string }, method: string, url: string, route: string | null): ObservedResponse => ({
    method,
    url,
    route,
    status: res.statusCode,
    contentType: res.headers['content-type'] as string | undefined,
    body: res.body,
  });

  it('no query parameter with a default is required (a generated client can call GET /api/v1/documents without arguments)', () => {
    const wrong: string[] = [];
    for (const [path, ops] of Object.entries(doc().paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const p of op.parameters ?? []) if (p.in === 'query' && p.required && p.schema?.default !== undefined) wrong.push(`${method} ${path} ${p.name}`);
      }
    }
    expect(wrong).toEqual([]);
    const documents = doc().paths['/api/v1/documents'].get.parameters ?? [];
    expect(documents.find((p) => p.name === 'limit')).toMatchObject({ in: 'query', required: false, schema: { default: 50 } });
  });

  it('every Kladana operation documents its errors in Kladana\'s shape, and the server answers in it', async () => {
    const kladana = Object.entries(doc().paths).filter(([path]) => path.startsWith(KLADANA));
    expect(kladana.flatMap(([, ops]) => Object.keys(ops)).length).toBeGreaterThanOrEqual(9);
    for (const [path, ops] of kladana) {
      for (const [method, op] of Object.entries(ops)) {
        for (const status of ['4XX', '5XX']) {
          const names = refs(op.responses[status]?.content?.['application/json']?.schema);
          expect(names.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
          expect(names.every((n) => n === 'KladanaError' || n === 'KladanaBulkError'), `${method} ${path} ${status}: ${names}`).toBe(true);
        }
      }
    }
    expect(doc().components?.schemas?.KladanaError).toMatchObject({
      additionalProperties: false,
      properties: { errors: { type: 'array', minItems: 1, items: { required: ['error', 'code', 'moreInfo'], additionalProperties: false } } },
    });
    // A refused item of a bulk request: one errors entry per item, documented as KladanaBulkError.
    const a = await env().newAccount();
    const url = '/api/remap/1.2/entity/webhookstock';
    const bulk = await env().app.inject({
      method: 'POST',
      url,
      headers: a.auth,
      payload: [{ url: 'http://127.0.0.1:9/a', stockType: 'stock', reportType: 'all' }, { url: 'http://127.0.0.1:9/b', stockType: 'stock', reportType: 'nope' }],
    });
    expect(bulk.statusCode).toBe(400);
    expect(bulk.json()).toHaveLength(2);
    expect(contract().check(observed(bulk, 'POST', url, url))).toBeNull();
    const anon = await env().app.inject({ method: 'GET', url });
    expect(anon.statusCode).toBe(401);
    expect(anon.json()).toEqual({ errors: [expect.objectContaining({ code: 4010 })] });
    expect(contract().check(observed(anon, 'GET', url, url))).toBeNull();
  });

  it('Kladana request bodies are closed (additionalProperties: false), bulk bodies have minItems, URL fields are format uri', () => {
    const body = (path: string, method: string) => doc().paths[path][method].requestBody?.content['application/json'].schema as Record<string, unknown>;
    const create = body(`${KLADANA}entity/webhookstock`, 'post') as { anyOf: Array<{ additionalProperties?: boolean; minItems?: number; items?: unknown; properties?: { url: { format: string } } }> };
    expect(create.anyOf[0]).toMatchObject({ additionalProperties: false, properties: { url: { format: 'uri' } } });
    expect(create.anyOf[1]).toMatchObject({ minItems: 1, items: { additionalProperties: false } });
    expect(body(`${KLADANA}entity/webhookstock/delete`, 'post')).toMatchObject({ minItems: 1, items: { additionalProperties: false } });
    expect(body(`${KLADANA}entity/webhookstock/{id}`, 'put')).toMatchObject({ additionalProperties: false });
    expect(body('/api/v1/webhooks', 'post')).toMatchObject({ properties: { url: { format: 'uri' } } });
    expect(doc().components?.schemas?.Webhook).toMatchObject({ properties: { url: { format: 'uri' } } });
    expect(doc().components?.schemas?.Delivery).toMatchObject({ properties: { url: { format: 'uri' } } });
  });

  it('the supplier newPrice is documented as the server checks it: more than 0', async () => {
    const schema = doc().paths['/api/v1/supplier/stock'].post.requestBody?.content['application/json'].schema as { properties: { newPrice: object } };
    expect(schema.properties.newPrice).toMatchObject({ exclusiveMinimum: 0 });
    expect(schema.properties.newPrice).not.toHaveProperty('minimum');
    const a = await env().newAccount();
    const zero = await env().app.inject({ method: 'POST', url: '/api/v1/supplier/stock', headers: a.auth, payload: { supplierProductId: 'X', action: 'price', newPrice: 0 } });
    expect([zero.statusCode, zero.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('/metrics documents its 401 and its text body', async () => {
    const anon = await env().app.inject({ method: 'GET', url: '/metrics' });
    expect(anon.statusCode).toBe(401);
    expect(contract().check(observed(anon, 'GET', '/metrics', '/metrics'))).toBeNull();
    const ok = await env().app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${env().adminToken}` } });
    expect(ok.statusCode).toBe(200);
    expect(contract().check(observed(ok, 'GET', '/metrics', '/metrics'))).toBeNull();
  });
});

describe('the response checker', () => {
  const doc = {
    paths: {
      '/things/{id}': {
        get: {
          responses: {
            '200': { content: { 'application/json': { schema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } } } },
            '4XX': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          },
        },
      },
    },
    components: { schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code'] } } } } },
  };
  const contract = new ResponseContract(doc);
  const res = (over: Partial<ObservedResponse>): ObservedResponse => ({
    method: 'GET',
    url: '/things/1',
    route: '/things/:id',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    body: '{"id":1}',
    ...over,
  });

  it('passes a documented response', () => {
    expect(contract.check(res({}))).toBeNull();
    expect(contract.check(res({ status: 404, body: '{"error":{"code":"NOT_FOUND"}}' }))).toBeNull();
  });

  it('fails a status the operation does not document, an undocumented operation, a body that does not match, an undocumented media type', () => {
    expect(contract.check(res({ status: 500, body: '{"error":{"code":"INTERNAL"}}' }))).toContain('documents no response for status 500');
    expect(contract.check(res({ method: 'DELETE' }))).toContain('is not in the OpenAPI document');
    expect(contract.check(res({ body: '{"id":"one"}' }))).toContain('must be integer');
    expect(contract.check(res({ status: 409, body: '{"message":"x"}' }))).toContain("must have required property 'error'");
    expect(contract.check(res({ contentType: 'text/plain', body: 'hello' }))).toContain('sent text/plain');
  });

  it('fails a response without a route unless it is one of the documented error envelopes', () => {
    expect(contract.check(res({ route: null, status: 404, body: '{"error":{"code":"ROUTE_NOT_FOUND"}}' }))).toBeNull();
    expect(contract.check(res({ route: null, status: 400, body: '{"error":"Bad Request","message":"Client Error","statusCode":400}' }))).toContain('matches none');
  });

  it('catches a real app answering a status it does not document, in this process', async () => {
    const app = Fastify();
    await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 't', version: '1' } } });
    // Typed as a plain schema, so the handler may answer a status the schema does not name.
    const documented: FastifySchema = { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } };
    app.get('/t', { schema: documented }, async (_req, reply) => reply.code(409).send({ ok: false }));
    await app.ready();
    const diverted = divertViolations();
    try {
      const r = await app.inject({ method: 'GET', url: '/t' });
      expect(r.statusCode).toBe(409);
    } finally {
      diverted.restore();
      await app.close();
    }
    expect(diverted.taken).toEqual([expect.stringContaining('GET /t -> 409: GET /t documents no response for status 409')]);
  });

  describe('in a child process (how startCli servers are checked)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'stockhook-contract-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('writes the violation to the file the test worker reads', async () => {
      const file = join(dir, 'violations.log');
      const script = [
        "import Fastify from 'fastify';",
        "import swagger from '@fastify/swagger';",
        'const app = Fastify();',
        "await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 't', version: '1' } } });",
        "app.get('/t', { schema: { response: { 200: { type: 'object' } } } }, async (_req, reply) => reply.code(418).send({}));",
        "const r = await app.inject({ method: 'GET', url: '/t' });",
        'console.log(r.statusCode);',
        'await app.close();',
      ].join('\n');
      const run = await runCommand(process.execPath, ['--import', 'tsx', '--import', CONTRACT_PRELOAD, '--input-type=module', '-e', script], {
        cwd: ROOT,
        env: { ...process.env, [CONTRACT_FILE_ENV]: file },
        timeoutMs: 60_000,
      });
      expect([run.code, run.out.trim()], run.err).toEqual([0, '418']);
      expect(readFileSync(file, 'utf8')).toContain('GET /t -> 418: GET /t documents no response for status 418');
    });
  });
});
