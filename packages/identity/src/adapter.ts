import type { Adapter, AdapterPayload } from 'oidc-provider';
import { sql, type Db } from '@mutualis/db';

/** Models that belong to a grant: revoking the grant removes them all. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

const expiry = (expiresIn: number | undefined) => (expiresIn ? new Date(Date.now() + expiresIn * 1000) : null);

/**
 * oidc-provider's storage in PostgreSQL (`oidc_payloads`): one row per model instance, with the
 * grant, uid and user code it is found by; expired rows are invisible and swept by `sweep`.
 */
export class PostgresAdapter implements Adapter {
  private readonly db: Db;
  private readonly model: string;
  constructor(db: Db, model: string) {
    this.db = db;
    this.model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const row = {
      model: this.model, id, payload: JSON.stringify(payload), expiresAt: expiry(expiresIn),
      grantId: GRANTABLE.has(this.model) || this.model === 'Grant' ? (payload.grantId ?? null) : null,
      uid: payload.uid ?? null, userCode: payload.userCode ?? null,
    };
    await this.db.insertInto('oidcPayloads').values(row)
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ payload: row.payload, expiresAt: row.expiresAt, grantId: row.grantId, uid: row.uid, userCode: row.userCode }))
      .execute();
  }

  private async findWhere(column: 'id' | 'uid' | 'userCode', value: string): Promise<AdapterPayload | undefined> {
    // Read as text: the client's CamelCasePlugin would otherwise rename the payload's own keys (client_id…).
    const row = await this.db.selectFrom('oidcPayloads').select([sql<string>`payload::text`.as('json'), 'consumedAt']).where('model', '=', this.model).where(column, '=', value)
      .where((eb) => eb.or([eb('expiresAt', 'is', null), eb('expiresAt', '>', new Date())])).executeTakeFirst();
    if (!row) return undefined;
    return { ...(JSON.parse(row.json) as AdapterPayload), ...(row.consumedAt ? { consumed: Math.floor(row.consumedAt.getTime() / 1000) } : {}) };
  }

  find(id: string) { return this.findWhere('id', id); }
  findByUid(uid: string) { return this.findWhere('uid', uid); }
  findByUserCode(userCode: string) { return this.findWhere('userCode', userCode); }

  async consume(id: string): Promise<void> {
    await this.db.updateTable('oidcPayloads').set({ consumedAt: new Date() }).where('model', '=', this.model).where('id', '=', id).execute();
  }

  async destroy(id: string): Promise<void> {
    await this.db.deleteFrom('oidcPayloads').where('model', '=', this.model).where('id', '=', id).execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db.deleteFrom('oidcPayloads').where('grantId', '=', grantId).execute();
  }
}

/** Removes expired rows (a maintenance task; expired rows are already invisible to the provider). */
export async function sweepExpired(db: Db): Promise<number> {
  const result = await sql`delete from oidc_payloads where expires_at < now() - interval '1 hour'`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
