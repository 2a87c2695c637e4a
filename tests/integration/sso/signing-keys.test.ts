/**
 * The SSO's signing keys: stored encrypted, rotated with the previous key still published until
 * its tokens expire, then dropped from the published set.
 */
import { afterAll, expect, it } from 'vitest';
import { decryptSecret } from '@mutualis/core';
import { loadSigningKeys, rotateSigningKey } from '@mutualis/identity';
import { appDb, closeDbs, superuserDb } from '../../support/db.ts';

afterAll(closeDbs);
const secretKey = process.env.MUTUALIS_SECRET_KEY!;

it('keys are encrypted at rest; a rotation signs with the new key and keeps the old one published for the time asked', async () => {
  const before = await loadSigningKeys(appDb(), secretKey);
  expect(before[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  expect(before[0]!.d).toBeTruthy();
  const stored = await superuserDb().selectFrom('oidcSigningKeys').selectAll().where('kid', '=', before[0]!.kid!).executeTakeFirstOrThrow();
  // No key material in clear: only the encrypted JWK, which the wrong binding does not open.
  expect(stored.privateJwkCiphertext.toString('latin1')).not.toContain(before[0]!.d!);
  expect(() => decryptSecret(secretKey, stored.privateJwkCiphertext, 'oidc-key:another')).toThrow();

  const kid = await rotateSigningKey(appDb(), secretKey, 3600);
  const after = await loadSigningKeys(appDb(), secretKey);
  expect(after[0]!.kid).toBe(kid);
  expect(after.map((k) => k.kid)).toContain(before[0]!.kid);

  // Once the old key's tokens have expired, it is no longer published.
  await superuserDb().updateTable('oidcSigningKeys').set({ publishUntil: new Date(Date.now() - 1000) }).where('kid', '=', before[0]!.kid!).execute();
  expect((await loadSigningKeys(appDb(), secretKey)).map((k) => k.kid)).not.toContain(before[0]!.kid);
});
