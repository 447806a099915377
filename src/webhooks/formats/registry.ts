import type { FormatName } from '../../receiver/formats.js';
import { cyclesoftwareFormat } from './cyclesoftware.js';
import type { WebhookFormat } from './format.js';
import { kladanaFormat } from './kladana.js';
import { marketplaceFormat } from './marketplace.js';
import { metakockaFormat } from './metakocka.js';
import { nativeFormat } from './native.js';
import { posterFormat } from './poster.js';

/**
 * Every wire format, by the name a subscription picks. `satisfies` makes the compiler hold it to
 * exactly the names of src/receiver/formats.ts, so a lookup by FormatName is never undefined.
 */
export const FORMATS = {
  native: nativeFormat,
  metakocka: metakockaFormat,
  kladana: kladanaFormat,
  poster: posterFormat,
  cyclesoftware: cyclesoftwareFormat,
  marketplace: marketplaceFormat,
} as const satisfies Record<FormatName, WebhookFormat>;

export { FORMAT_NAMES, isFormatName, type FormatName } from '../../receiver/formats.js';

export function formatOf(name: FormatName): WebhookFormat {
  return FORMATS[name];
}

/** Formats stockhook's circuit breaker and 5-day auto-disable apply to. */
export const PROTECTED_FORMATS = (Object.values(FORMATS) as WebhookFormat[]).filter((f) => f.protections).map((f) => f.name);

/** The retry schedule in force for a subscription: its override, else the format's default. */
export function effectiveSchedule(format: WebhookFormat, override: readonly number[] | null): number[] {
  return [...(override ?? format.retrySchedule)];
}
