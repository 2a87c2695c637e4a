import { randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '@mutualis/contracts';
import { hashPassword, memberSearchText } from '@mutualis/core';
import { createDb, OWNER_ROLE } from '@mutualis/db';

export interface E2eTenant {
  syndicateId: string;
  communeA: { id: string; name: string };
  communeB: { id: string; name: string };
  password: string;
  /** e-mail per role; commune roles belong to commune A, `dsiB` to commune B, `provider` has no access */
  emails: Record<Role | 'dsiB', string>;
  cleanup(): Promise<void>;
}

/**
 * A syndicate of two communes and one user per role, made directly as the schema owner, with
 * unique names so browser tests never depend on the demo data or on each other.
 */
export async function createE2eTenant(): Promise<E2eTenant> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the browser tests through `npm test`.');
  const db = createDb(url, { setRole: OWNER_ROLE, max: 1 });
  const tag = randomBytes(4).toString('hex');
  const password = `E2e-${randomBytes(9).toString('base64url')}`;
  const passwordHash = await hashPassword(password);
  const syndicateId = randomUUID();
  const digits = () => String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
  const a = { id: randomUUID(), name: `Communeville-${tag}`, inseeCode: '01001', siren: digits() };
  const b = { id: randomUUID(), name: `Autreville-${tag}`, inseeCode: '01002', siren: digits() };
  await db.insertInto('syndicates').values({ id: syndicateId, slug: `e2e-${tag}`, name: `Syndicat e2e ${tag}` }).execute();
  await db.insertInto('members').values([a, b].map((c) => ({
    ...c, syndicateId, kind: 'commune' as const, population: 1200, agentCount: 30, status: 'active' as const, searchText: memberSearchText(c),
  }))).execute();
  const roles: Array<[Role | 'dsiB', Role, string | null]> = [
    ['syndicate_admin', 'syndicate_admin', null], ['syndicate_operator', 'syndicate_operator', null],
    ['syndicate_finance', 'syndicate_finance', null], ['board_member', 'board_member', null],
    ['commune_dsi', 'commune_dsi', a.id], ['commune_agent', 'commune_agent', a.id], ['commune_elected', 'commune_elected', a.id],
    ['external_provider', 'external_provider', null], ['dsiB', 'commune_dsi', b.id],
  ];
  const emails = {} as Record<Role | 'dsiB', string>;
  for (const [key, role, memberId] of roles) {
    const email = `${key.replaceAll('_', '-').toLowerCase()}.${tag}@e2e.example`;
    emails[key] = email;
    const user = await db.insertInto('users').values({ syndicateId, email, displayName: `${key} ${tag}`, passwordHash, status: 'active' })
      .returning('id').executeTakeFirstOrThrow();
    if (role !== 'external_provider') await db.insertInto('memberships').values({ syndicateId, userId: user.id, memberId, role }).execute();
  }
  return {
    syndicateId, communeA: { id: a.id, name: a.name }, communeB: { id: b.id, name: b.name }, password, emails,
    cleanup: () => db.destroy(),
  };
}
