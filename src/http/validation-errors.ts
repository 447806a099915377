/** One of Ajv's errors as fastify hands them over (err.validation). */
export interface AjvError {
  keyword: string;
  instancePath: string;
  schemaPath?: string;
  params: Record<string, unknown>;
  message?: string;
}

export interface FieldError {
  field: string;
  message: string;
}

const isNullType = (v: AjvError) => v.keyword === 'type' && v.params.type === 'null';
const isLiteral = (v: AjvError) => v.keyword === 'const' || v.keyword === 'enum';

/** The allowed values as a reader types them: strings bare, anything else as JSON. */
const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A union of literals (TypeBox's Union of Literal, an enum) makes Ajv report "must be equal to
 * constant" once per branch and then "must match a schema in anyOf", none of which says what
 * would do. Every such group at one path becomes one error that lists the allowed values (null
 * among them when the field is nullable). A union that mixes literals with other types is left
 * as Ajv reported it: its branches' own errors say more than a list would.
 */
export function mergeLiteralUnions(errors: readonly AjvError[]): AjvError[] {
  const paths = new Set(errors.filter(isLiteral).map((v) => v.instancePath));
  if (paths.size === 0) return [...errors];
  const merged = new Map<string, AjvError>();
  for (const path of paths) {
    const here = errors.filter((v) => v.instancePath === path);
    if (here.some((v) => !isLiteral(v) && !isNullType(v) && v.keyword !== 'anyOf')) continue;
    const allowed: unknown[] = [];
    for (const v of here) {
      const values = v.keyword === 'const' ? [v.params.allowedValue] : v.keyword === 'enum' ? (v.params.allowedValues as unknown[]) : isNullType(v) ? [null] : [];
      for (const x of values) if (!allowed.includes(x)) allowed.push(x);
    }
    const message = allowed.length === 1 ? `must be ${shown(allowed[0])}` : `must be one of: ${allowed.map(shown).join(', ')}`;
    merged.set(path, { keyword: 'enum', instancePath: path, schemaPath: '', params: { allowedValues: allowed }, message });
  }
  const out: AjvError[] = [];
  for (const v of errors) {
    const m = merged.get(v.instancePath);
    if (!m) out.push(v);
    else if (!out.includes(m)) out.push(m);
  }
  return out;
}

/**
 * A validation failure in words: one message naming the field that is wrong and what would be
 * right, and every error Ajv reported as a field and a message.
 */
export function describeValidation(validation: readonly AjvError[], context: string | undefined): { message: string; fields: FieldError[] } {
  const errors = mergeLiteralUnions(validation);
  const fields = errors.map((v): FieldError => {
    const path = `${context ?? 'body'}${v.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`;
    const { missingProperty, additionalProperty } = v.params as { missingProperty?: string; additionalProperty?: string };
    if (additionalProperty !== undefined) return { field: `${path}.${additionalProperty}`, message: 'is not a known field' };
    // URL fields are documented as format uri; Ajv's 'must match format "uri"' says less than this.
    if (v.keyword === 'format' && v.params.format === 'uri') return { field: path, message: 'is not a valid URL' };
    return { field: missingProperty ? `${path}.${missingProperty}` : path, message: v.message ?? 'is invalid' };
  });
  // With anyOf (nullable fields) Ajv reports every branch; the deepest error that is not about
  // the null branch or the anyOf itself is the one that names the real problem.
  const ranked = errors.map((v, i) => ({ v, f: fields[i] })).filter(({ v }) => v.keyword !== 'anyOf' && !isNullType(v));
  ranked.sort((x, y) => y.v.instancePath.length - x.v.instancePath.length);
  const first = ranked[0]?.f ?? fields[0];
  const message = first ? `${first.field} ${first.message.startsWith('must have required') ? 'is required' : first.message}` : 'invalid request';
  return { message, fields };
}
