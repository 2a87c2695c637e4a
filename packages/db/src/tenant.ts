import { sql } from 'kysely';
import type { Db, Tx } from './client.ts';

/** Who a transaction acts for: the syndicate, and the members it is confined to (null: the whole syndicate). */
export interface TenantContext {
  syndicateId: string;
  memberIds: readonly string[] | null;
}

/**
 * Runs `fn` in a transaction whose row-level security context is the given tenant. The settings are
 * transaction-local (`set_config(…, true)`), so a pooled connection never carries them to the next user.
 */
export async function withTenant<T>(db: Db, tenant: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await setTenant(tx, tenant);
    return fn(tx);
  });
}

export async function setTenant(tx: Tx, tenant: TenantContext): Promise<void> {
  const members = tenant.memberIds === null ? '' : tenant.memberIds.join(',');
  // An empty member list would mean "the whole syndicate" to the policies: refuse it instead.
  if (tenant.memberIds !== null && tenant.memberIds.length === 0) throw new Error('A member-scoped tenant needs at least one member.');
  await sql`select set_config('app.syndicate_id', ${tenant.syndicateId}, true), set_config('app.member_ids', ${members}, true)`.execute(tx);
}
