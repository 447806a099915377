import type { FastifyApiReferenceOptions } from '@scalar/fastify-api-reference';

/**
 * The reference page at /docs (Scalar, served with its script from this server). Everything it
 * would fetch from elsewhere is off: its web fonts (system fonts instead), its telemetry and its
 * AI agent, so the page works on a shop's closed network and tells nobody who reads it.
 */
export const REFERENCE_UI: NonNullable<FastifyApiReferenceOptions['configuration']> = {
  pageTitle: 'stockhook API reference',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
};
