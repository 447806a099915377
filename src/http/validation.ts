import { createRequire } from 'node:module';
import type { Ajv } from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { hasAtMostDecimals } from '../inventory/numbers.js';

/** What fastify hands a validator compiler, and what a compiled validator looks like to it. */
interface RouteSchema {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
}
type Validate = ((data: unknown, ctx?: unknown) => boolean) & { errors?: unknown; schemaEnv?: unknown };
type Compile = (route: RouteSchema) => Validate;
type CompilerPool = (externalSchemas: unknown, options: { customOptions: object; onCreate?: (ajv: Ajv) => void }) => Compile;

/**
 * fastify's own Ajv compiler (a dependency of fastify), resolved from fastify so the two always
 * match. We build it twice with different options, rather than bring a second Ajv of our own.
 */
const buildCompilerPool = createRequire(createRequire(import.meta.url).resolve('fastify'))('@fastify/ajv-compiler') as () => CompilerPool;

const COMMON = { allErrors: false, useDefaults: true, removeAdditional: false } as const;
/** Bodies are JSON, which has types: "5", true or [5] where a number belongs is the client's mistake. */
const BODY_OPTIONS = { ...COMMON, coerceTypes: false } as const;
/** Path params, querystrings and headers are text: there "5" is how the integer 5 arrives. */
const TEXT_OPTIONS = { ...COMMON, coerceTypes: 'array' } as const;

/** At most that many decimal places: multipleOf is not exact in binary floating point. */
export const DECIMALS_KEYWORD = 'x-decimals';

/**
 * Characters a string must not contain, with the reason in words: `{ chars: '<regex class>', message }`.
 * Ajv's `pattern` would name only the pattern; this names what is wrong (a CR/LF in a token that
 * is sent in a header, a colon in a Basic username).
 */
export const REFUSE_KEYWORD = 'x-refuse';
export interface Refuse {
  /** A regex character class (with brackets) of the refused characters. */
  chars: string;
  message: string;
}

function extendAjv(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: DECIMALS_KEYWORD,
    type: 'number',
    schemaType: 'number',
    validate: (places: number, n: number) => hasAtMostDecimals(n, places),
    error: { message: (cxt) => `must have at most ${String(cxt.schema)} decimal places` },
  });
  ajv.addKeyword({
    keyword: REFUSE_KEYWORD,
    type: 'string',
    schemaType: 'object',
    compile: (refuse: Refuse) => {
      const chars = new RegExp(refuse.chars, 'u');
      return (s: string) => !chars.test(s);
    },
    error: { message: (cxt) => (cxt.schema as Refuse).message },
  });
  // ajv-formats accepts a leap second (23:59:60), which Date.parse cannot read: an accepted
  // date-time must always become a time.
  const original = ajv.formats['date-time'];
  const check = typeof original === 'function' ? original : typeof original === 'object' && 'validate' in original ? original.validate : null;
  if (typeof check === 'function') {
    ajv.addFormat('date-time', { type: 'string', validate: (s: string) => (check as (s: string) => boolean)(s) && Number.isFinite(Date.parse(s)) });
  }
}

/**
 * Ajv's coercion turns "Infinity" and "1e400" into Infinity and then skips minimum and maximum
 * (those only compare finite numbers), so coerced parts are checked for finiteness afterwards.
 */
function finiteAfterCoercion(inner: Validate): Validate {
  const outer: Validate = Object.assign(
    (data: unknown, ctx?: unknown) => {
      if (!inner(data, ctx)) {
        outer.errors = inner.errors;
        return false;
      }
      const bad = firstNonFinite(data, '');
      if (bad === null) return true;
      outer.errors = [{ keyword: 'finite', instancePath: bad, schemaPath: '', params: {}, message: 'must be a finite number' }];
      return false;
    },
    { schemaEnv: inner.schemaEnv, errors: null },
  );
  return outer;
}

function firstNonFinite(value: unknown, path: string): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const bad = firstNonFinite(v, `${path}/${k}`);
    if (bad !== null) return bad;
  }
  return null;
}

/**
 * Ajv coerces text with Number(), which reads `0x10` as 16 and takes `1e3`, `+1`, ` 1`, `01` and
 * `1.0`: one id would have many spellings, and a hexadecimal one would reach another product. A
 * number in a path, a querystring or a header must be written the one plain decimal way.
 */
const CANONICAL: Record<'integer' | 'number', RegExp> = {
  integer: /^(0|-?[1-9][0-9]*)$/,
  number: /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/,
};

type Numeric = 'integer' | 'number';

/** The numeric type a property's schema asks for (directly, in an array, or in an anyOf with null). */
function numericType(schema: unknown): Numeric | null {
  const s = schema as { type?: unknown; anyOf?: unknown[]; items?: unknown } | null;
  if (!s || typeof s !== 'object') return null;
  if (s.type === 'integer' || s.type === 'number') return s.type;
  if (s.type === 'array') return numericType(s.items);
  for (const branch of s.anyOf ?? []) {
    const t = numericType(branch);
    if (t) return t;
  }
  return null;
}

/** Refuses a non-canonical spelling of a number in a text part before Ajv coerces it. */
function canonicalNumbers(schema: unknown, inner: Validate): Validate {
  const props = ((schema as { properties?: Record<string, unknown> } | null)?.properties ?? {}) as Record<string, unknown>;
  const numeric = Object.entries(props).flatMap(([k, v]) => {
    const t = numericType(v);
    return t ? [[k, t] as const] : [];
  });
  if (numeric.length === 0) return inner;
  const outer: Validate = Object.assign(
    (data: unknown, ctx?: unknown) => {
      const record = (data ?? {}) as Record<string, unknown>;
      for (const [k, type] of numeric) {
        const values = Array.isArray(record[k]) ? (record[k] as unknown[]) : [record[k]];
        if (values.some((v) => typeof v === 'string' && !CANONICAL[type].test(v))) {
          const message = type === 'integer' ? 'must be a whole number in plain decimal digits' : 'must be a number in plain decimal notation';
          outer.errors = [{ keyword: 'canonical', instancePath: `/${k}`, schemaPath: '', params: {}, message }];
          return false;
        }
      }
      const ok = inner(data, ctx);
      outer.errors = inner.errors;
      return ok;
    },
    { schemaEnv: inner.schemaEnv, errors: null },
  );
  return outer;
}

/**
 * fastify's schemaController option: one validator per part of the request, strict for bodies and
 * coercing for the text parts. fastify pools compilers by options, so this is two Ajv instances.
 */
export function validatorCompilers(): NonNullable<FastifyServerOptions['schemaController']> {
  const pool = buildCompilerPool();
  const buildValidator = (externalSchemas: unknown) => {
    const body = pool(externalSchemas, { customOptions: { ...BODY_OPTIONS }, onCreate: extendAjv });
    const text = pool(externalSchemas, { customOptions: { ...TEXT_OPTIONS }, onCreate: extendAjv });
    return (route: RouteSchema) =>
      route.httpPart === 'body' ? body(route) : canonicalNumbers(route.schema, finiteAfterCoercion(text(route)));
  };
  return { compilersFactory: { buildValidator: buildValidator as never } };
}

// ----------------------------------------------------------------------------------------------
// Strings no database stores as sent
// ----------------------------------------------------------------------------------------------

/** A lone surrogate: in a `u` regex a valid pair is one code point and does not match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function badString(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must not contain unpaired surrogates (invalid Unicode)';
  return null;
}

/**
 * The first string or field name PostgreSQL refuses (NUL) or UTF-8 cannot carry (a lone
 * surrogate, which both databases would silently replace, collapsing different inputs into one
 * stock key). Iterative: JSON may nest deeper than the call stack.
 */
export function findBadString(root: unknown): { instancePath: string; message: string } | null {
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      const message = badString(value);
      if (message) return { instancePath: path, message };
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const message = badString(k);
        if (message) return { instancePath: path, message: `field names ${message}` };
        stack.push([v, `${path}/${k}`]);
      }
    }
  }
  return null;
}

/** Shaped like fastify's schema validation errors, so the error handler words it the same way. */
class BadStringError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
  readonly validation: Array<{ keyword: string; instancePath: string; schemaPath: string; params: object; message: string }>;

  constructor(
    readonly validationContext: 'params' | 'querystring' | 'body',
    bad: { instancePath: string; message: string },
  ) {
    super(`${validationContext}${bad.instancePath} ${bad.message}`);
    this.validation = [{ keyword: 'string', schemaPath: '', params: {}, ...bad }];
  }
}

/**
 * preValidation for every route, with a schema or without (the Kladana routes check their bodies
 * in code): strings in params, querystring and body that no database would store as sent are 400.
 */
export async function rejectBadStrings(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [
    ['params', request.params],
    ['querystring', request.query],
    ['body', request.body],
  ] as const) {
    const bad = findBadString(value);
    if (bad) throw new BadStringError(part, bad);
  }
}

/**
 * JSON bodies through fastify's own (prototype-poisoning safe) parser, except that an empty body is
 * no body whatever the content-type says: Kladana clients send DELETE with
 * `content-type: application/json` and nothing else. Other media types stay 415 unless empty.
 */
export function installBodyParsers(app: FastifyInstance): void {
  type Done = (err: Error | null, body?: unknown) => void;
  type Parse = (req: FastifyRequest, body: string, done: Done) => void;
  const json = app.getDefaultJsonParser('error', 'error') as unknown as Parse;
  const text = app.defaultTextParser as unknown as Parse;
  const unsupported: Parse = (req, _body, done) =>
    done(Object.assign(new Error(`Unsupported Media Type: ${String(req.headers['content-type'])}`), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }));
  const emptyIsAbsent =
    (parse: Parse): Parse =>
    (req, body, done) => {
      if (body.length === 0) done(null, undefined);
      else parse(req, body, done);
    };
  // fastify decodes bodies with replacement characters: two different invalid byte sequences would
  // be stored as one U+FFFD. A JSON body that is not UTF-8 (RFC 8259 section 8.1) is refused.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const strictJson = (req: FastifyRequest, raw: Buffer, done: Done) => {
    if (raw.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      return done(Object.assign(new SyntaxError('the body is not valid UTF-8'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }));
    }
    json(req, text, done);
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, strictJson);
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, emptyIsAbsent(text));
  app.addContentTypeParser('*', { parseAs: 'string' }, emptyIsAbsent(unsupported));
}
