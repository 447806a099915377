import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ValidateFunction } from 'ajv';

/**
 * The response contract: every response the server sends must match the schema /openapi.json
 * documents for its operation and status code. Generated clients are built from that document,
 * so a response it does not describe is a client bug waiting to happen. Used by the
 * response observer (contract-observer.ts) for every app the tests build, in process and in
 * child processes.
 */

/** One response as it went out. */
export interface ObservedResponse {
  method: string;
  /** The request URL as sent (for messages). */
  url: string;
  /** The route's pattern as registered (`/api/v1/documents/:id`); null when no route matched (the not-found handler). */
  route: string | null;
  status: number;
  /** The Content-Type header sent, if any. */
  contentType: string | undefined;
  body: string;
}

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses?: Record<string, ResponseObject>;
}
export interface OpenApiDoc {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

/**
 * The Ajv fastify validates requests with (resolved through fastify, as src/http/validation.ts
 * does), so the checker reads formats exactly as the server does and brings no second copy.
 */
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const fromCompiler = createRequire(fromFastify.resolve('@fastify/ajv-compiler'));
const Ajv = (fromCompiler('ajv') as { default: new (opts: object) => AjvInstance }).default;
const addFormats = fromCompiler('ajv-formats') as (ajv: AjvInstance) => void;

const DOC_ID = 'openapi.json';

/** JSON pointer escaping (RFC 6901). */
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** fastify's `/a/:id` (and `*`) as OpenAPI's `/a/{id}`, as @fastify/swagger writes it. */
export const openApiPath = (route: string) => route.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

export class ResponseContract {
  private readonly ajv: AjvInstance;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OpenApiDoc) {
    // strict off: the document holds OpenAPI keys (paths, info) and our own (x-decimals) besides JSON Schema.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema(doc as object, DOC_ID);
  }

  /** Why the response breaks the contract, or null when it keeps it. */
  check(res: ObservedResponse): string | null {
    const where = `${res.method} ${res.url} -> ${res.status}`;
    if (res.route === null) return this.checkUnrouted(res, where);
    const method = res.method === 'HEAD' ? 'get' : res.method.toLowerCase();
    const path = openApiPath(res.route);
    const op = this.doc.paths?.[path]?.[method];
    if (!op) return `${where}: the operation ${method.toUpperCase()} ${path} is not in the OpenAPI document`;
    const key = this.responseKey(op, res.status);
    if (key === null) {
      return `${where}: ${method.toUpperCase()} ${path} documents no response for status ${res.status} (it documents ${Object.keys(op.responses ?? {}).join(', ') || 'nothing'})`;
    }
    // HEAD answers carry no body; 204 and 304 have none by definition.
    if (res.method === 'HEAD' || res.body.length === 0) {
      const content = op.responses?.[key]?.content ?? {};
      const needsBody = res.method !== 'HEAD' && res.status !== 204 && res.status !== 304 && Object.keys(content).length > 0;
      return needsBody ? `${where}: empty body, but the document gives status ${key} a ${Object.keys(content).join(', ')} body` : null;
    }
    return this.checkBody(res, where, ['paths', path, method, 'responses', key], op.responses?.[key] ?? {});
  }

  /** The documented response for a status: the exact code, then its range (`4XX`), then `default`. */
  private responseKey(op: Operation, status: number): string | null {
    const responses = op.responses ?? {};
    const range = `${String(status)[0]}XX`;
    for (const k of [String(status), range, range.toLowerCase(), 'default']) if (k in responses) return k;
    return null;
  }

  private checkBody(res: ObservedResponse, where: string, at: string[], response: ResponseObject): string | null {
    const mediaType = (res.contentType ?? '').split(';')[0].trim().toLowerCase();
    const content = response.content ?? {};
    const entry = Object.keys(content).find((k) => k.toLowerCase() === mediaType) ?? (content['*/*'] ? '*/*' : undefined);
    if (entry === undefined) {
      return `${where}: sent ${mediaType || 'a body without Content-Type'}, but the document gives this status ${Object.keys(content).join(', ') || 'no body'}`;
    }
    if (!isJson(mediaType)) return null;
    if (content[entry].schema === undefined) return `${where}: ${entry} is documented without a schema`;
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return `${where}: Content-Type ${mediaType} but the body is not JSON: ${res.body.slice(0, 200)}`;
    }
    return this.validate(`${DOC_ID}#/${pointer(...at, 'content', entry, 'schema')}`, body, where);
  }

  /**
   * No route matched (the not-found handler, or fastify's own refusals): there is no operation to
   * look up, so the body must be one of the error envelopes the document gives its operations.
   */
  private checkUnrouted(res: ObservedResponse, where: string): string | null {
    if (res.status < 400) return `${where}: a ${res.status} answer without a route`;
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return `${where}: an error answer without a route whose body is not JSON: ${res.body.slice(0, 200)}`;
    }
    const envelopes = this.errorEnvelopes();
    const errors: string[] = [];
    for (const ref of envelopes) {
      const why = this.validate(ref, body, where);
      if (why === null) return null;
      errors.push(why);
    }
    return errors.length === 0 ? `${where}: the document has no error responses to compare with` : `${where}: matches none of the documented error envelopes: ${errors.join(' | ')}`;
  }

  /** Every distinct JSON schema the document gives a 4XX/5XX response, as references into it. */
  private errorEnvelopes(): string[] {
    const seen = new Map<string, string>();
    for (const [path, ops] of Object.entries(this.doc.paths ?? {})) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [key, response] of Object.entries(op.responses ?? {})) {
          if (!/^[45]/.test(key)) continue;
          const schema = response.content?.['application/json']?.schema;
          if (schema === undefined) continue;
          const text = JSON.stringify(schema);
          if (!seen.has(text)) seen.set(text, `${DOC_ID}#/${pointer('paths', path, method, 'responses', key, 'content', 'application/json', 'schema')}`);
        }
      }
    }
    return [...seen.values()];
  }

  private validate(ref: string, body: unknown, where: string): string | null {
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    if (validate(body)) return null;
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
    return `${where}: the body does not match ${ref.slice(DOC_ID.length + 1)}: ${errors.join('; ')}; body: ${JSON.stringify(body).slice(0, 300)}`;
  }
}
