import { sql, type Tx } from '@mutualis/db';

/**
 * Runs `fn` once per business key, in the caller's transaction: the key is recorded with the
 * result, so a retried or re-delivered workflow step returns what it did the first time instead of
 * doing it twice (a second DSI account, a second invitation…). Concurrent attempts serialise on
 * the key's row lock.
 */
export async function once<T>(tx: Tx, syndicateId: string, key: string, fn: () => Promise<T>): Promise<T> {
  const inserted = await tx.insertInto('activityEffects').values({ key, syndicateId, result: null })
    .onConflict((oc) => oc.column('key').doNothing()).returning('key').executeTakeFirst();
  if (!inserted) {
    const row = await tx.selectFrom('activityEffects').select('result').where('key', '=', key).forUpdate().executeTakeFirstOrThrow();
    return row.result as T;
  }
  const result = await fn();
  await sql`update activity_effects set result = ${JSON.stringify(result ?? null)}::jsonb where key = ${key}`.execute(tx);
  return result;
}
