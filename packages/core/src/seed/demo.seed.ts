import type { AllocationKey, Role } from '@mutualis/contracts';
import type { Db, Tx } from '@mutualis/db';
import { hashPassword } from '../auth/password.ts';
import { memberSearchText } from '../members/member.service.ts';
import { parisToday } from '../onboarding/onboarding.service.ts';
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
    await seedCosts(tx, syndicate.id, memberIds, Number(parisToday().slice(0, 4)));
    return { syndicateId: syndicate.id, accounts };
  });
}

/** The commune that joins on 1 July of the current year in the demo (its contribution is prorated). */
export const DEMO_LATE_JOINER = '69091';

/** The demo budget: the same four lines each year, a little dearer the second year (amounts in cents). */
export function demoBudgetLines(year: number, thisYear: number): Array<{ label: string; amountCents: number; key: AllocationKey }> {
  const recent = year >= thisYear;
  return [
    { label: 'Infrastructure mutualisée', amountCents: recent ? 45_000_000 : 42_000_000, key: { kind: 'population' } },
    {
      label: 'Sécurité et sauvegardes', amountCents: recent ? 19_500_000 : 18_000_000,
      key: { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] },
    },
    { label: 'Support et formation', amountCents: recent ? 10_000_000 : 9_600_000, key: { kind: 'equal' } },
    { label: 'Annuaire et SSO', amountCents: recent ? 6_400_000 : 6_000_000, key: { kind: 'agents' } },
  ];
}

/**
 * The demo's costs: every commune shares costs from 1 January of last year but one, which joins
 * on 1 July of this year; last year's and this year's budget lines; a few subscriptions active
 * since this year (offerings without resources to provision, so the demo needs none), each with
 * its billing period. Idempotent: a member that already has a cost share, a line whose label
 * exists for its year, a current subscription to the offering are left as they are.
 */
async function seedCosts(tx: Tx, syndicateId: string, memberIds: Map<string, string>, thisYear: number): Promise<void> {
  for (const [insee, memberId] of memberIds) {
    const has = await tx.selectFrom('costShares').select('id').where('memberId', '=', memberId).executeTakeFirst();
    if (!has) {
      const startsOn = insee === DEMO_LATE_JOINER ? `${thisYear}-07-01` : `${thisYear - 1}-01-01`;
      await tx.insertInto('costShares').values({ syndicateId, memberId, startsOn }).execute();
    }
  }
  for (const year of [thisYear - 1, thisYear]) {
    for (const line of demoBudgetLines(year, thisYear)) {
      await tx.insertInto('budgetLines').values({ syndicateId, year, label: line.label, amountCents: line.amountCents, allocationKey: JSON.stringify(line.key) })
        .onConflict((oc) => oc.columns(['syndicateId', 'year', 'label']).doNothing()).execute();
    }
  }
  const subscriptions: Array<{ insee: string; offering: string; plan: string; storageGb?: number; seats?: number; from: string }> = [
    { insee: '69266', offering: 'sso', plan: 'inclus', from: `${thisYear}-01-01` },
    { insee: '69266', offering: 'cybersurveillance', plan: 'commune', seats: 1, from: `${thisYear}-01-01` },
    { insee: '69259', offering: 'sauvegarde', plan: 'standard', seats: 1, storageGb: 2000, from: `${thisYear}-01-01` },
    { insee: '69259', offering: 'mfa-renforcee', plan: 'par-compte', seats: 40, from: `${thisYear}-03-01` },
    { insee: '69029', offering: 'sso', plan: 'inclus', from: `${thisYear}-01-01` },
    { insee: '69199', offering: 'cybersurveillance', plan: 'commune', seats: 1, from: `${thisYear}-04-01` },
    { insee: DEMO_LATE_JOINER, offering: 'sauvegarde', plan: 'standard', seats: 1, storageGb: 500, from: `${thisYear}-07-01` },
  ];
  for (const s of subscriptions) {
    const memberId = memberIds.get(s.insee)!;
    const offering = await tx.selectFrom('offerings').innerJoin('offeringPlans', 'offeringPlans.offeringId', 'offerings.id')
      .select(['offerings.id', 'offeringPlans.id as planId']).where('offerings.syndicateId', '=', syndicateId)
      .where('offerings.slug', '=', s.offering).where('offeringPlans.code', '=', s.plan).executeTakeFirstOrThrow();
    const existing = await tx.selectFrom('subscriptions').select('id').where('memberId', '=', memberId).where('offeringId', '=', offering.id).executeTakeFirst();
    if (existing) continue;
    const member = await tx.selectFrom('members').select('agentCount').where('id', '=', memberId).executeTakeFirstOrThrow();
    // The SSO is counted per agent account; the others carry their own quantity.
    const seats = s.seats ?? Math.max(1, member.agentCount);
    const activatedAt = new Date(`${s.from}T08:00:00Z`);
    const sub = await tx.insertInto('subscriptions').values({
      syndicateId, memberId, offeringId: offering.id, planId: offering.planId, seats, storageGb: s.storageGb ?? 0, status: 'active',
      decidedAt: activatedAt, activatedAt, createdAt: activatedAt, updatedAt: activatedAt,
    }).returning('id').executeTakeFirstOrThrow();
    await tx.insertInto('subscriptionPeriods').values({
      syndicateId, memberId, subscriptionId: sub.id, planId: offering.planId, seats, storageGb: s.storageGb ?? 0, startsOn: s.from,
    }).execute();
  }
}
