/**
 * The wire formats stockhook speaks, by the name a subscription picks. The server's format registry
 * (src/webhooks/formats/registry.ts) must define exactly these, so the name type is shared by the
 * sender, this receiver library, `stockhook listen`, the CLI and the dashboard API.
 */
export const FORMAT_NAMES = ['native', 'metakocka', 'kladana', 'poster', 'cyclesoftware', 'marketplace'] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];

export function isFormatName(s: unknown): s is FormatName {
  return typeof s === 'string' && (FORMAT_NAMES as readonly string[]).includes(s);
}
