import { randomUUID } from 'node:crypto';
import { claimCommitted, claimIn, type Ctx } from '../context.js';
import { AppError } from '../errors.js';
import { issueToken } from './tokens.js';

export interface AccountView {
  id: string;
  number: number;
  slug: string;
  name: string;
  plan: 'free' | 'paid';
}

export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'account';
}

/**
 * Creates an account and its first user token. Account numbers are max+1: accounts are created
 * rarely, and a concurrent creator that picks the same number hits the unique index and retries.
 */
export async function createAccount(
  ctx: Ctx,
  input: { name: string; plan?: 'free' | 'paid'; slug?: string },
): Promise<AccountView & { token: string }> {
  const plan = input.plan ?? 'paid';
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const created = await ctx.store.transaction(async (tx) => {
        await claimIn(tx, ctx.now());
        const max = await tx
          .selectFrom('accounts')
          .select((eb) => eb.fn.max('number').as('n'))
          .executeTakeFirst();
        const number = Number(max?.n ?? 0) + 1;
        const base = input.slug ?? slugify(input.name);
        const taken = await tx.selectFrom('accounts').select('id').where('slug', '=', base).executeTakeFirst();
        if (taken && input.slug) throw new AppError('CONFLICT', `slug ${input.slug} is taken`, { field: 'slug' });
        const slug = taken ? `${base}-${number}` : base;
        const id = randomUUID();
        const now = ctx.now();
        await tx
          .insertInto('accounts')
          .values({ id, number, slug, name: input.name, plan, event_seq: 0, created_ms: now })
          .execute();
        const token = await issueToken(tx, id, 'user', now);
        return { id, number, slug, name: input.name, plan, token };
      });
      claimCommitted();
      return created;
    } catch (err) {
      if (!ctx.store.isUniqueViolation(err)) throw err;
    }
  }
  throw new AppError('CONFLICT', 'could not allocate an account number, try again');
}
