import type { Role } from '@mutualis/contracts';
import type { Db } from '@mutualis/db';
import { hashPassword } from '../auth/password.ts';
import { memberSearchText } from '../members/member.service.ts';
import { referenceCommune } from '../reference/communes.reference.ts';
import { seedCatalog } from './catalog.seed.ts';

export const DEMO_SYNDICATE = { slug: 'demo', name: 'Syndicat numérique de démonstration' } as const;
export const DEMO_PASSWORD = 'Mutualis-demo-2026';
/** Eight communes of the Rhône (Vaulx-en-Velin, 69256, is left out so that onboarding it can be shown). */
export const DEMO_COMMUNES = ['69259', '69266', '69029', '69199', '69286', '69282', '69275', '69091'] as const;

export interface DemoAccount { email: string; role: Role; inseeCode: string | null; memberName: string | null }

/** The demo accounts, in the order they are printed. */
export function demoAccounts(): DemoAccount[] {
  const accounts: DemoAccount[] = [
    { email: 'admin@syndicat.example', role: 'syndicate_admin', inseeCode: null, memberName: null },
    { email: 'operateur@syndicat.example', role: 'syndicate_operator', inseeCode: null, memberName: null },
    { email: 'finances@syndicat.example', role: 'syndicate_finance', inseeCode: null, memberName: null },
    { email: 'comite@syndicat.example', role: 'board_member', inseeCode: null, memberName: null },
  ];
  for (const insee of DEMO_COMMUNES) {
    const name = referenceCommune(insee).name;
    accounts.push(
      { email: `dsi.${insee}@communes.example`, role: 'commune_dsi', inseeCode: insee, memberName: name },
      { email: `agent.${insee}@communes.example`, role: 'commune_agent', inseeCode: insee, memberName: name },
      { email: `elu.${insee}@communes.example`, role: 'commune_elected', inseeCode: insee, memberName: name },
    );
  }
  accounts.push({ email: 'prestataire@prestataire.example', role: 'external_provider', inseeCode: null, memberName: null });
  return accounts;
}

const DISPLAY: Record<Role, string> = {
  syndicate_admin: 'Administratrice du syndicat', syndicate_operator: 'Opérateur du syndicat',
  syndicate_finance: 'Responsable financière', board_member: 'Membre du comité syndical',
  commune_dsi: 'DSI', commune_agent: 'Agent', commune_elected: 'Élu', external_provider: 'Prestataire externe',
};

/**
 * Loads the demo data. Idempotent: rows that exist are left as they are (passwords included),
 * so a second run changes nothing. `db` must run as the schema owner (it creates the tenant).
 * The agent count of a commune is estimated at one agent per 40 inhabitants (the order of
 * magnitude of French communal staffing); the reference has no official figure for it.
 */
export async function seedDemo(db: Db): Promise<{ syndicateId: string; accounts: DemoAccount[] }> {
  return db.transaction().execute(async (tx) => {
    await tx.insertInto('syndicates').values(DEMO_SYNDICATE).onConflict((oc) => oc.column('slug').doNothing()).execute();
    const syndicate = await tx.selectFrom('syndicates').select('id').where('slug', '=', DEMO_SYNDICATE.slug).executeTakeFirstOrThrow();
    const memberIds = new Map<string, string>();
    for (const insee of DEMO_COMMUNES) {
      const ref = referenceCommune(insee);
      const values = {
        syndicateId: syndicate.id, kind: 'commune' as const, name: ref.name, inseeCode: insee, siren: ref.siren,
        population: ref.population, agentCount: Math.round(ref.population / 40), status: 'active' as const,
        searchText: memberSearchText({ name: ref.name, inseeCode: insee, siren: ref.siren }),
      };
      const existing = await tx.selectFrom('members').select('id').where('syndicateId', '=', syndicate.id).where('inseeCode', '=', insee)
        .where('status', 'not in', ['cancelled', 'left']).executeTakeFirst();
      const row = existing ?? await tx.insertInto('members').values(values).returning('id').executeTakeFirstOrThrow();
      memberIds.set(insee, row.id);
    }
    const accounts = demoAccounts();
    for (const account of accounts) {
      let user = await tx.selectFrom('users').select('id').where('email', '=', account.email).executeTakeFirst();
      if (!user) {
        const displayName = account.memberName ? `${DISPLAY[account.role]} de ${account.memberName}` : DISPLAY[account.role];
        user = await tx.insertInto('users').values({
          syndicateId: syndicate.id, email: account.email, displayName, passwordHash: await hashPassword(DEMO_PASSWORD), status: 'active',
        }).returning('id').executeTakeFirstOrThrow();
      }
      if (account.role === 'external_provider') continue; // no access granted yet
      const memberId = account.inseeCode ? memberIds.get(account.inseeCode)! : null;
      const has = await tx.selectFrom('memberships').select('id').where('userId', '=', user.id).where('role', '=', account.role)
        .where((eb) => (memberId ? eb('memberId', '=', memberId) : eb('memberId', 'is', null))).executeTakeFirst();
      if (!has) await tx.insertInto('memberships').values({ syndicateId: syndicate.id, userId: user.id, memberId, role: account.role }).execute();
    }
    await seedCatalog(tx, syndicate.id);
    return { syndicateId: syndicate.id, accounts };
  });
}
