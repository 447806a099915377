import type { WebhookFormat } from './format.js';
import { nativeFormat } from './native.js';
import { kladanaFormat } from './kladana.js';
import { posterFormat } from './poster.js';
import { marketplaceFormat } from './marketplace.js';
import { metakockaFormat } from './metakocka.js';
import { cyclesoftwareFormat } from './cyclesoftware.js';

/** Every wire format, by the name a subscription picks. */
export const FORMATS: Record<string, WebhookFormat> = {
  native: nativeFormat,
  kladana: kladanaFormat,
  poster: posterFormat,
  marketplace: marketplaceFormat,
  metakocka: metakockaFormat,
  cyclesoftware: cyclesoftwareFormat,
};

export const FORMAT_NAMES = Object.keys(FORMATS);

export function formatOf(name: string): WebhookFormat {
  const f = FORMATS[name];
  if (!f) throw new Error(`unknown format ${name}`);
  return f;
}

/** The retry schedule in force for a subscription: its override, else the format's default. */
export function effectiveSchedule(format: WebhookFormat, override: number[] | null): number[] {
  return override ?? [...format.retrySchedule];
}
