/** The demo seed: the data shared/DESIGN.md promises, from the official reference, and idempotent. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { allocationKeySchema, annualPriceCents, isValidSiren, planPriceSchema } from '@mutualis/contracts';
import { verifyPassword } from '@mutualis/core';
import { seedDemo } from '@mutualis/core/seed';
import { createDb, OWNER_ROLE, sql, type Db } from '@mutualis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, prepareScratch, type ScratchDatabase } from '../support/scratch-db.ts';

/** From shared/DESIGN.md: eight communes of the Rhône (Vaulx-en-Velin, 69256, left out on purpose). */
const DEMO_COMMUNES: Record<string, string> = {
  69259: 'Vénissieux', 69266: 'Villeurbanne', 69029: 'Bron', 69199: 'Saint-Fons',
  69286: 'Rillieux-la-Pape', 69282: 'Meyzieu', 69275: 'Décines-Charpieu', 69091: 'Givors',
};
const PASSWORD = 'Mutualis-demo-2026';
const SYNDICATE_ACCOUNTS = {
  'admin@syndicat.example': 'syndicate_admin', 'operateur@syndicat.example': 'syndicate_operator',
  'finances@syndicat.example': 'syndicate_finance', 'comite@syndicat.example': 'board_member',
} as const;
const COMMUNE_ACCOUNTS = { dsi: 'commune_dsi', agent: 'commune_agent', elu: 'commune_elected' } as const;

/** The year the seed ran in (Paris), as it dates the demo's costs from it. */
const thisYear = Number(new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' }).slice(0, 4));
let scratch: ScratchDatabase;
let owner: Db;
let first: Dump;
let second: Dump;

const TABLES = ['syndicates', 'members', 'users', 'memberships', 'cost_shares', 'budget_lines', 'offerings', 'subscriptions', 'subscription_periods'] as const;
type Dump = Record<'syndicates' | 'members' | 'users' | 'memberships' | 'costShares' | 'budgetLines' | 'offerings' | 'subscriptions' | 'subscriptionPeriods', Record<string, unknown>[]>;

/** Every row of the seeded tables, every column (password hashes and timestamps included), keys in camelCase. */
async function dump(): Promise<Dump> {
  const rows = async (table: string) => (await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by id`.execute(owner)).rows;
  const all = await Promise.all(TABLES.map(rows));
  return Object.fromEntries(TABLES.map((t, i) => [t.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), all[i]])) as Dump;
}

interface RawCommune { code: string; nom: string; type: string; siren?: string; population?: number }

beforeAll(async () => {
  scratch = await createScratchDatabase('mutualis_seed');
  await prepareScratch(scratch.url);
  owner = createDb(scratch.url, { max: 2, setRole: OWNER_ROLE });
  await seedDemo(owner);
  first = await dump();
  await seedDemo(owner);
  second = await dump();
}, 120_000);
afterAll(async () => {
  await owner?.destroy();
  await scratch?.drop();
});

describe('the demo seed', () => {
  it('changes nothing the second time: same rows, same values, same password hashes', () => {
    expect(second).toEqual(first);
  });

  it('creates one syndicate, its eight communes, 29 accounts and their 28 memberships', () => {
    expect(first.syndicates).toHaveLength(1);
    expect(first.syndicates[0]).toMatchObject({ slug: 'demo', name: 'Syndicat numérique de démonstration' });
    expect(first.members).toHaveLength(8);
    expect(first.users).toHaveLength(29);
    expect(first.memberships).toHaveLength(28);
  });

  it('gives the communes their INSEE code, name, SIREN and population from @etalab/decoupage-administratif', () => {
    const file = createRequire(import.meta.url).resolve('@etalab/decoupage-administratif/data/communes.json');
    const reference = (JSON.parse(readFileSync(file, 'utf8')) as RawCommune[]).filter((c) => c.type === 'commune-actuelle');
    const byCode = new Map(reference.map((c) => [c.code, c]));
    const members = first.members.map((m) => ({ insee: m.inseeCode as string, name: m.name, siren: m.siren, population: m.population }));
    expect(members.map((m) => m.insee).sort()).toEqual(Object.keys(DEMO_COMMUNES).sort());
    for (const m of members) {
      const ref = byCode.get(m.insee)!;
      expect(m).toEqual({ insee: ref.code, name: DEMO_COMMUNES[m.insee], siren: ref.siren, population: ref.population });
      expect(ref.nom).toBe(DEMO_COMMUNES[m.insee]);
      expect(isValidSiren(m.siren as string)).toBe(true);
      expect(m.population).toBeGreaterThan(10_000);
    }
    expect(first.members.every((m) => m.kind === 'commune' && m.status === 'active' && m.syndicateId === first.syndicates[0]!.id)).toBe(true);
  });

  it('creates exactly the documented accounts, each with its role on the right commune', () => {
    const memberByInsee = new Map(first.members.map((m) => [m.inseeCode as string, m.id as string]));
    const expected: Array<[string, string | null, string | null]> = [
      ...Object.entries(SYNDICATE_ACCOUNTS).map(([email, role]): [string, string, null] => [email, role, null]),
      ...Object.keys(DEMO_COMMUNES).flatMap((insee) => Object.entries(COMMUNE_ACCOUNTS)
        .map(([prefix, role]): [string, string, string] => [`${prefix}.${insee}@communes.example`, role, memberByInsee.get(insee)!])),
      ['prestataire@prestataire.example', null, null],
    ];
    const userById = new Map(first.users.map((u) => [u.id as string, u]));
    const actual = first.users.map((u) => {
      const memberships = first.memberships.filter((m) => m.userId === u.id);
      expect(memberships.length, `${String(u.email)} holds at most one role`).toBeLessThanOrEqual(1);
      return [u.email, memberships[0]?.role ?? null, memberships[0]?.memberId ?? null];
    });
    expect(actual.sort()).toEqual(expected.sort());
    expect(first.memberships.every((m) => userById.has(m.userId as string) && m.syndicateId === first.syndicates[0]!.id)).toBe(true);
  });

  it(`gives every account the password ${PASSWORD}, hashed with argon2id`, async () => {
    for (const user of first.users) {
      const hash = user.passwordHash as string;
      expect(hash.startsWith('$argon2id$'), String(user.email)).toBe(true);
      expect(await verifyPassword(hash, PASSWORD), String(user.email)).toBe(true);
    }
    expect(new Set(first.users.map((u) => u.passwordHash)).size).toBe(29);
  });
});

describe('the demo costs', () => {
  const memberOf = (insee: string) => first.members.find((m) => m.inseeCode === insee)!.id;

  it('makes every commune share costs from 1 January of last year, but Givors which joins on 1 July of this year', () => {
    const shares = first.costShares.map((c) => [c.memberId, c.startsOn, c.endsOn]);
    const expected = Object.keys(DEMO_COMMUNES).map((insee) => [memberOf(insee), insee === '69091' ? `${thisYear}-07-01` : `${thisYear - 1}-01-01`, null]);
    expect(shares.sort()).toEqual(expected.sort());
  });

  it('budgets the same four lines last year and this year, with valid keys, one of them 70 % population + 30 % agents', () => {
    for (const year of [thisYear - 1, thisYear]) {
      const lines = first.budgetLines.filter((l) => l.year === year);
      expect(lines.map((l) => l.label).sort()).toEqual(['Annuaire et SSO', 'Infrastructure mutualisée', 'Sécurité et sauvegardes', 'Support et formation'].sort());
      for (const line of lines) {
        expect(allocationKeySchema.safeParse(line.allocationKey).success, String(line.label)).toBe(true);
        expect(Number(line.amountCents)).toBeGreaterThan(0);
      }
      expect(lines.find((l) => l.label === 'Sécurité et sauvegardes')!.allocationKey).toEqual({
        kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }],
      });
      expect(lines.find((l) => l.label === 'Support et formation')!.allocationKey).toEqual({ kind: 'equal' });
    }
    const total = (year: number) => first.budgetLines.filter((l) => l.year === year).reduce((s, l) => s + Number(l.amountCents), 0);
    expect(total(thisYear)).toBeGreaterThan(total(thisYear - 1));
  });

  it('subscribes a few communes to services: active, each with one open billing period this year, on a priced plan', async () => {
    expect(first.subscriptions.length).toBeGreaterThanOrEqual(4);
    for (const sub of first.subscriptions) {
      expect(sub.status).toBe('active');
      const periods = first.subscriptionPeriods.filter((p) => p.subscriptionId === sub.id);
      expect(periods).toHaveLength(1);
      const period = periods[0]!;
      expect(period).toMatchObject({ memberId: sub.memberId, planId: sub.planId, seats: sub.seats, storageGb: sub.storageGb, endsOn: null });
      expect(String(period.startsOn).slice(0, 4)).toBe(String(thisYear));
      // The member shares costs on that day, and the plan has a price then.
      const share = first.costShares.find((c) => c.memberId === sub.memberId)!;
      expect(String(period.startsOn) >= String(share.startsOn)).toBe(true);
      const price = await sql<{ n: number }>`select count(*)::int as n from plan_prices where plan_id = ${sub.planId} and effective_from <= ${period.startsOn}::date`.execute(owner);
      expect(price.rows[0]!.n).toBeGreaterThan(0);
    }
    // The commune joining in July subscribes from July, not before.
    const late = first.subscriptions.filter((s) => s.memberId === memberOf('69091'));
    expect(late.length).toBeGreaterThan(0);
  });

  it('gives a few offerings a standalone price, above what the subscribed communes pay pooled', async () => {
    const priced = first.offerings.filter((o) => o.standalonePrice !== null);
    expect(priced.length).toBeGreaterThanOrEqual(3);
    for (const o of priced) expect(planPriceSchema.safeParse(o.standalonePrice).success, String(o.slug)).toBe(true);
    let compared = 0;
    for (const sub of first.subscriptions) {
      const offering = first.offerings.find((o) => o.id === sub.offeringId)!;
      if (offering.standalonePrice === null) continue;
      const member = first.members.find((m) => m.id === sub.memberId)!;
      const q = { seats: sub.seats as number, storageGb: sub.storageGb as number, population: member.population as number };
      const pooled = (await sql<{ annualFixedCents: number; perUserCents: number; perGbCents: number; perInhabitantCents: number }>`
        select annual_fixed_cents as "annualFixedCents", per_user_cents as "perUserCents", per_gb_cents as "perGbCents", per_inhabitant_cents as "perInhabitantCents"
        from plan_prices where plan_id = ${sub.planId} order by effective_from limit 1`.execute(owner)).rows[0]!;
      expect(annualPriceCents(planPriceSchema.parse(offering.standalonePrice), q), String(offering.slug)).toBeGreaterThan(annualPriceCents(pooled, q));
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });
});
