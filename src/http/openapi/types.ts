/**
 * The API reference's words and examples, kept beside the routes rather than in them: one file per
 * tag, one entry per operation keyed `METHOD /openapi/path`, applied to the generated document in
 * one place (reference.ts). The examples are checked against the routes' own schemas by the tests.
 */

/** One named example, as OpenAPI's Example Object. */
export interface Example {
  summary: string;
  value: unknown;
}

export interface OperationReference {
  /** One line: what the operation does. */
  summary: string;
  /** Who may call it, what it changes, what it refuses (with the error codes a client should handle). */
  description: string;
  /** An example value for each path parameter, by name. */
  params?: Record<string, string | number>;
  /** One realistic querystring: an example value for each parameter it uses. */
  query?: Record<string, string | number | boolean>;
  /** Request bodies by example name; the first is the one a reader sees first. */
  body?: Record<string, Example>;
  /** The response body for a status code; a string for a body that is not JSON (/metrics). */
  responses: Record<string, unknown>;
}

export interface TagReference {
  tag: { name: string; description: string };
  /** Keyed `METHOD /path` with OpenAPI's `{param}` placeholders, e.g. `GET /api/v1/products/{id}`. */
  operations: Record<string, OperationReference>;
}
