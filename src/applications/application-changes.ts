import { AppError } from '../errors.js';
import { FORMATS } from '../webhooks/formats/registry.js';
import { checkUrl } from '../webhooks/subscription-rules.js';
import { checkTarget } from '../webhooks/targets.js';
import type { Ctx } from '../context.js';
import { findApplication, toApplication, type Application } from './applications.js';

export interface ApplicationChange {
  name?: string;
  webhook?: { url?: string; objects?: string[]; secret?: string };
}

/**
 * Changes a registered application (administrator): its name, and its Poster webhook's URL,
 * entities and verify secret. The webhook change reaches every account that installed it, in the
 * same transaction: the subscription each install made (in the application's name, to the
 * application's URL with its secret) takes the new values, and its hooks still waiting go to the
 * new URL. Poster signs each hook when it is sent, so a new secret signs those too. A subscription
 * an account has since pointed elsewhere or re-keyed is the account's own choice and stays as it is.
 * The secret, new or given, is shown in this answer only, as at registration.
 */
export async function updateApplication(ctx: Ctx, id: number, change: ApplicationChange): Promise<Application> {
  const poster = FORMATS.poster;
  const w = change.webhook;
  if (w?.url !== undefined) {
    checkUrl(w.url);
    await checkTarget(w.url, ctx.settings.allowPrivateTargets);
  }
  const objects = w?.objects === undefined ? undefined : (poster.options?.({ objects: w.objects }) as { objects: string[] }).objects;
  const secret = w?.secret === undefined ? undefined : (poster.secret?.(w.secret) ?? w.secret);
  const row = await ctx.store.write(async (tx) => {
    const current = await findApplication(tx, id);
    if (w !== undefined && current.webhook_url === null) {
      throw new AppError('VALIDATION_FAILED', 'this application was registered without a webhook; register a new application to have one', { field: 'webhook' });
    }
    const now = ctx.now();
    const updated = await tx
      .updateTable('applications')
      .set({
        ...(change.name !== undefined && { name: change.name }),
        ...(w?.url !== undefined && { webhook_url: w.url }),
        ...(objects !== undefined && { webhook_objects: JSON.stringify(objects) }),
        ...(secret !== undefined && { webhook_secret: secret }),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (w === undefined || current.webhook_url === null) return updated;
    const installed = await tx
      .selectFrom('webhooks')
      .select(['id', 'options'])
      .where('author_application_id', '=', id)
      .where('format', '=', 'poster')
      .where('url', '=', current.webhook_url)
      .where('secret', '=', current.webhook_secret ?? '')
      .where('removing_ms', 'is', null)
      .execute();
    if (installed.length === 0) return updated;
    const ids = installed.map((s) => s.id);
    const moved = w.url !== undefined && new URL(w.url).origin !== new URL(current.webhook_url).origin;
    for (const s of installed) {
      await tx
        .updateTable('webhooks')
        .set({
          ...(w.url !== undefined && { url: w.url }),
          // Credentials were given for one server: a URL on another origin must not receive them.
          ...(moved && { basic_username: null, basic_password: null, bearer_token: null }),
          ...(objects !== undefined && { options: JSON.stringify({ ...(JSON.parse(s.options) as object), objects }) }),
          ...(secret !== undefined && { secret, previous_secret: null, previous_secret_until_ms: null }),
          updated_ms: now,
        })
        .where('id', '=', s.id)
        .execute();
    }
    if (w.url !== undefined) {
      await tx
        .updateTable('deliveries')
        .set({ url: w.url })
        .where('webhook_id', 'in', ids)
        .where('status', 'in', ['pending', 'held'])
        .execute();
    }
    return updated;
  });
  return toApplication(row, secret !== undefined);
}
