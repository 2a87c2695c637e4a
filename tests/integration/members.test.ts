/** members.list / members.get through the tRPC caller: pagination, search, input errors, tenant confinement. */
import { getErrorShape, TRPCError } from '@trpc/server';
import { appRouter } from '@mutualis/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestCaller, type TestTenant } from '../support/factories.ts';

const NAMES = [
  'Vénissieux', 'Villeurbanne', 'Écully', 'Saint-Étienne-des-Oullières', 'Bron', 'Vandœuvre-lès-Nancy',
  "L'Isle-d'Abeau", 'Lyon', 'Évian-les-Bains', 'Châtillon', 'Aïn',
];

let t: TestTenant;
let other: TestTenant;
let admin: TestCaller;

beforeAll(async () => {
  [t, other] = await Promise.all([createTenant({ communes: NAMES.map((name) => ({ name })) }), createTenant({ communes: 1 })]);
  admin = t.caller((await t.openSession('syndicate_admin')).actor).caller;
});
afterAll(closeDbs);

/** The error a call raised, with the shape a client receives (the project's error formatter applied). */
async function failure(call: Promise<unknown>, path: string, input: unknown) {
  const error = await call.then(() => null, (e: unknown) => e);
  if (!(error instanceof TRPCError)) throw new Error(`expected a TRPCError from ${path}, got ${String(error)}`);
  const shape = getErrorShape({ config: appRouter._def._config, error, type: 'query', path, input, ctx: undefined });
  return { error, shape: shape as { message: string; data: { code: string; issues?: Array<{ field: string; message: string }> } } };
}

/** What a person typing without accents, ligatures or punctuation would write. */
const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae').replace(/[^a-z0-9]+/g, ' ');

describe('members.list', () => {
  it('pages through every member exactly once, in accent-insensitive name order', async () => {
    const seen: string[] = [];
    const totals = new Set<number>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<TestCaller['members']['list']>> = await admin.members.list({ limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((m) => m.name));
      totals.add(page.total);
      cursor = page.nextCursor;
      expect(++pages).toBeLessThanOrEqual(NAMES.length);
    } while (cursor);
    expect(pages).toBe(Math.ceil(NAMES.length / 3));
    expect([...totals]).toEqual([NAMES.length]);
    expect([...seen].sort()).toEqual([...NAMES].sort());
    // One page of everything gives the same order; accents do not send Écully after Villeurbanne.
    expect((await admin.members.list({ limit: 200 })).items.map((m) => m.name)).toEqual(seen);
    const position = (name: string) => seen.indexOf(name);
    expect(position('Écully')).toBeLessThan(position('Lyon'));
    expect(position('Évian-les-Bains')).toBeLessThan(position('Lyon'));
    expect(position('Vénissieux')).toBeLessThan(position('Villeurbanne'));
  });

  it('returns only summary fields', async () => {
    const { items } = await admin.members.list({ limit: 1 });
    expect(Object.keys(items[0]!).sort()).toEqual(['agentCount', 'id', 'inseeCode', 'kind', 'name', 'population', 'siren', 'status']);
  });

  it.each([
    ['saint etienne', 'Saint-Étienne-des-Oullières'], ['SAINT-ETIENNE', 'Saint-Étienne-des-Oullières'], ['ecully', 'Écully'],
    ['evian les', 'Évian-les-Bains'], ['vandoeuvre', 'Vandœuvre-lès-Nancy'], ['isle d abeau', "L'Isle-d'Abeau"], ['chatillon', 'Châtillon'],
    ['venissieux', 'Vénissieux'], ['ain', 'Aïn'],
  ])('finds %j: %s', async (search, name) => {
    const { items } = await admin.members.list({ search });
    expect(items.map((m) => m.name)).toContain(name);
    for (const m of items) expect(fold(`${m.name} ${m.inseeCode} ${m.siren}`)).toContain(fold(search));
  });

  it('finds a member by its INSEE code and by its SIREN', async () => {
    const target = t.members[3]!;
    for (const search of [target.inseeCode, target.siren]) {
      const { items } = await admin.members.list({ search });
      expect(items.map((m) => m.id)).toContain(target.id);
      for (const m of items) expect(`${m.inseeCode} ${m.siren}`).toContain(search);
    }
  });
});

describe('bad input is a BAD_REQUEST naming the field', () => {
  it.each([
    ['members.list', { limit: 0 }, 'limit'],
    ['members.list', { limit: 1000 }, 'limit'],
    ['members.list', { limit: 2.5 }, 'limit'],
    ['members.list', { search: 'x'.repeat(101) }, 'search'],
    ['members.list', { status: 'asleep' }, 'status'],
    ['members.list', { cursor: 'garbage' }, 'cursor'],
    ['members.get', { id: 'not-a-uuid' }, 'id'],
  ] as const)('%s %j → %s', async (path, input, field) => {
    const call = path === 'members.get' ? admin.members.get(input as never) : admin.members.list(input as never);
    const { error, shape } = await failure(call, path, input);
    expect(error.code).toBe('BAD_REQUEST');
    expect(shape.data.code).toBe('BAD_REQUEST');
    expect(shape.data.issues?.map((i) => i.field)).toEqual([field]);
    expect(shape.data.issues?.[0]?.message.length).toBeGreaterThan(10);
    if (field !== 'cursor') expect(shape.message.startsWith(`${field} : `)).toBe(true);
    else expect(shape.message).toMatch(/curseur/);
  });
});

describe('tenant confinement', () => {
  it("members.get of another syndicate's member is NOT_FOUND, even for its administrator", async () => {
    const { error } = await failure(admin.members.get({ id: other.members[0]!.id }), 'members.get', {});
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).not.toContain(other.members[0]!.name);
    expect((await admin.members.get({ id: t.members[0]!.id })).name).toBe(t.members[0]!.name);
  });

  it('a commune DSI lists and reads only its own commune', async () => {
    const dsi = t.caller(await t.actorFor('commune_dsi')).caller;
    const own = t.members[0]!;
    const list = await dsi.members.list({ limit: 200 });
    expect({ total: list.total, ids: list.items.map((m) => m.id) }).toEqual({ total: 1, ids: [own.id] });
    expect((await dsi.members.list({ search: t.members[1]!.name })).total).toBe(0);
    expect((await dsi.members.get({ id: own.id })).id).toBe(own.id);
    expect((await failure(dsi.members.get({ id: t.members[1]!.id }), 'members.get', {})).error.code).toBe('NOT_FOUND');
  });

  it('a caller without session is UNAUTHORIZED, an external provider without grant FORBIDDEN', async () => {
    expect((await failure(t.caller(null).caller.members.list({}), 'members.list', {})).error.code).toBe('UNAUTHORIZED');
    const provider = t.caller((await t.openSession('external_provider')).actor).caller;
    expect((await failure(provider.members.list({}), 'members.list', {})).error.code).toBe('FORBIDDEN');
  });
});
