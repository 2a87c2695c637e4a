/** The demo seed: the data shared/DESIGN.md promises, from the official reference, and idempotent. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isValidSiren } from '@mutualis/contracts';
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

let scratch: ScratchDatabase;
let owner: Db;
let first: Dump;
let second: Dump;

type Dump = Record<'syndicates' | 'members' | 'users' | 'memberships', Record<string, unknown>[]>;

/** Every row of the seeded tables, every column (password hashes and timestamps included), keys in camelCase. */
async function dump(): Promise<Dump> {
  const rows = async (table: string) => (await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by id`.execute(owner)).rows;
  return { syndicates: await rows('syndicates'), members: await rows('members'), users: await rows('users'), memberships: await rows('memberships') };
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
