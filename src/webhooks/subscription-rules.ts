import { randomUUID } from 'node:crypto';
import type { Principal } from '../accounts/tokens.js';
import { AppError } from '../errors.js';
import { EVENT_TYPES } from '../events/catalog.js';
import type { FormatName } from '../receiver/formats.js';
import type { WebhookFormat } from './formats/format.js';
import { formatOf } from './formats/registry.js';
import { urlSyntaxProblem } from './url-syntax.js';

/** What a subscription may ask for when it does not say (a ceiling keeps one endpoint from taking every slot). */
export const DEFAULT_MAX_IN_FLIGHT = 16;

/** The format's own secret rule, or a random 32-hex-character secret; `given` is checked, not trusted. */
export function secretFor(format: WebhookFormat, given?: string): string {
  if (format.secret) return format.secret(given);
  return given ?? randomUUID().replaceAll('-', '');
}

export function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'url is not a valid URL', { field: 'url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AppError('VALIDATION_FAILED', 'url must be http or https', { field: 'url' });
  }
  if (u.username || u.password) {
    throw new AppError('VALIDATION_FAILED', 'put endpoint credentials in basicAuth, not in the url', { field: 'url' });
  }
  // What the parser forgave: the stored text must be the URL that is called.
  const problem = urlSyntaxProblem(url);
  if (problem) throw new AppError('VALIDATION_FAILED', `url ${problem}`, { field: 'url' });
}

export function checkEvents(events: string[] | null | undefined): void {
  for (const e of events ?? []) {
    if (!(EVENT_TYPES as readonly string[]).includes(e)) {
      throw new AppError('VALIDATION_FAILED', `events: unknown event type ${e}`, { field: 'events', known: EVENT_TYPES });
    }
  }
}

export function checkCoalesce(formatName: FormatName, seconds: number | null | undefined): void {
  if (seconds == null) return;
  const c = formatOf(formatName).coalesce;
  if (!c) throw new AppError('VALIDATION_FAILED', `format ${formatName} does not coalesce`, { field: 'coalesceSeconds' });
  if (seconds < c.minSeconds || seconds > c.maxSeconds) {
    throw new AppError('VALIDATION_FAILED', `coalesceSeconds must be ${c.minSeconds}-${c.maxSeconds}`, { field: 'coalesceSeconds' });
  }
}

export function requirePaid(p: Principal): void {
  if (p.plan !== 'paid') throw new AppError('PLAN_FORBIDS_WEBHOOKS');
}

