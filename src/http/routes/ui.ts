import { readFile } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { AppError } from '../../errors.js';
import { EVENT_TYPES } from '../../events/catalog.js';
import { FORMAT_NAMES } from '../../webhooks/formats/registry.js';

/** The repository's ui/ folder: three levels up from both src/http/routes and dist/http/routes. */
const UI_DIR = new URL('../../../ui/', import.meta.url);

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Only plain file names of the ui/ folder: no path separators, so nothing outside it is reachable. */
const FILE = /^[a-z0-9][a-z0-9-]*\.(html|js|css)$/;

// The page draws everything with DOM APIs from its own scripts; nothing inline, nothing remote.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The web dashboard: static files from ui/, no build step. The page talks to the API with the account token. */
export function uiRoutes(app: App, _deps: RouteDeps): void {
  const send = async (name: string, reply: import('fastify').FastifyReply) => {
    const ext = name.slice(name.lastIndexOf('.') + 1);
    let body: Buffer;
    try {
      body = await readFile(new URL(name, UI_DIR));
    } catch {
      throw new AppError('NOT_FOUND', `ui/${name} not found`, { object: 'file', id: name });
    }
    return reply
      .header('content-type', TYPES[ext])
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', CSP)
      .send(body);
  };
  const hide = { schema: { hide: true } };
  // The lists the page offers, from the same sources the API validates against.
  const catalog = `export const FORMATS = ${JSON.stringify(FORMAT_NAMES)};\nexport const EVENT_TYPES = ${JSON.stringify(EVENT_TYPES)};\n`;
  app.get('/ui/catalog.js', hide, async (_req, reply) =>
    reply
      .header('content-type', TYPES.js)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', CSP)
      .send(catalog),
  );
  // The server's root is where a person lands from the startup line or a bookmark: the dashboard.
  app.get('/', hide, async (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', hide, async (_req, reply) => send('index.html', reply));
  app.get('/ui/', hide, async (_req, reply) => send('index.html', reply));
  const fileParams = { schema: { hide: true, params: Type.Object({ file: Type.String({ pattern: FILE.source }) }) } };
  app.get('/ui/:file', fileParams, async (req, reply) => send(req.params.file, reply));
  // The posting forms are their own folder; still only plain names inside it.
  app.get('/ui/forms/:file', fileParams, async (req, reply) => send(`forms/${req.params.file}`, reply));
}
