import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { JWK } from 'oidc-provider';
import { decryptSecret, encryptSecret } from '@mutualis/core';
import type { Db } from '@mutualis/db';

const ALG = 'ES256';

function newKey(secretKey: string) {
  const kid = randomUUID();
  const jwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid, alg: ALG, use: 'sig' };
  return { kid, alg: ALG, privateJwkCiphertext: encryptSecret(secretKey, JSON.stringify(jwk), `oidc-key:${kid}`) };
}

/**
 * The provider's signing keys, newest first: the current key signs, retired keys are still
 * published (tokens they signed stay verifiable) until `publish_until`. The first start makes one
 * key; several processes starting at once agree on the oldest current one.
 */
export async function loadSigningKeys(db: Db, secretKey: string): Promise<JWK[]> {
  const current = () => db.selectFrom('oidcSigningKeys').selectAll().where('retiredAt', 'is', null).orderBy('createdAt').execute();
  if ((await current()).length === 0) {
    await db.insertInto('oidcSigningKeys').values(newKey(secretKey)).execute();
  }
  const rows = await db.selectFrom('oidcSigningKeys').selectAll()
    .where((eb) => eb.or([eb('retiredAt', 'is', null), eb('publishUntil', '>', new Date())])).orderBy('createdAt', 'desc').execute();
  // The signing key is the most recent current key; retired ones follow (oidc-provider signs with the first of an alg).
  const ordered = [...rows.filter((r) => r.retiredAt === null), ...rows.filter((r) => r.retiredAt !== null)];
  return ordered.map((r) => JSON.parse(decryptSecret(secretKey, r.privateJwkCiphertext, `oidc-key:${r.kid}`)) as JWK);
}

/**
 * Rotates the signing key: a new key signs from now on; the previous ones are retired but stay
 * published for `keepPublishedSeconds` (at least the lifetime of the tokens they signed).
 * The web servers pick the new key at their next start.
 */
export async function rotateSigningKey(db: Db, secretKey: string, keepPublishedSeconds: number): Promise<string> {
  const key = newKey(secretKey);
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('oidcSigningKeys').set({ retiredAt: new Date(), publishUntil: new Date(Date.now() + keepPublishedSeconds * 1000) })
      .where('retiredAt', 'is', null).execute();
    await tx.insertInto('oidcSigningKeys').values(key).execute();
  });
  return key.kid;
}
