/**
 * costs.allocation / trend / simulate / publication against PostgreSQL: the worked example
 * through the API, prorata of a member joining on 1 July, à-la-carte subscriptions at the plan's
 * prices with the savings from pooling, and who may read which member's figures.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '@mutualis/contracts';
import { closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, type TestTenant } from '../../support/factories.ts';

let t: TestTenant;
/** members[0..2]: 1,000 / 2,000 / 7,000 inhabitants all year; members[3] joins on 1 July 2026 */
beforeAll(async () => {
  t = await createTenant({ communes: [{ population: 1000 }, { population: 2000 }, { population: 7000 }, { population: 4000 }], catalog: true });
  for (const m of t.members.slice(0, 3)) await t.openCostShare(m.id, '2024-03-01');
  await t.openCostShare(t.members[3]!.id, '2026-07-01');
  const finance = await callerOf('syndicate_finance');
  await finance.costs.budget.setLine({ year: 2026, label: 'Infrastructure', amountCents: 10_000_001, key: { kind: 'population' } });
  await finance.costs.budget.setLine({ year: 2026, label: 'Support', amountCents: 1_000_000, key: { kind: 'equal' } });
  await finance.costs.budget.setLine({ year: 2025, label: 'Infrastructure', amountCents: 9_000_000, key: { kind: 'population' } });
});
afterAll(closeDbs);

const callerOf = async (role: Role) => t.caller((await t.openSession(role)).actor).caller;
async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  try { await promise; } catch (error) { if (error instanceof TRPCError) return error; throw error; }
  throw new Error('expected a refusal');
}

describe('costs.allocation', () => {
  it('the worked example, then a member joining on 1 July pays 184/365 of its full-year share; every line adds up to the cent', async () => {
    const board = await callerOf('board_member');
    // 2025: the three communes only (the fourth joins in 2026): 9,000,000 split 900,000 / 1,800,000 / 6,300,000
    const before = await board.costs.allocation({ year: 2025 });
    expect(before.members.map((m) => [m.name, m.totalCents])).toEqual(
      expect.arrayContaining(t.members.slice(0, 3).map((m, i) => [m.name, [900_000, 1_800_000, 6_300_000][i]])));
    expect(before.members).toHaveLength(3);

    const a = await board.costs.allocation({ year: 2026 });
    expect(a.scope).toBe('all');
    expect(a.lines.map((l) => [l.label, l.allocatedCents, l.problem])).toEqual([['Infrastructure', 10_000_001, null], ['Support', 1_000_000, null]]);
    const byName = new Map(a.members.map((m) => [m.name, m]));
    const joiner = byName.get(t.members[3]!.name)!;
    expect(joiner.days).toBe(184);
    // Population: the joiner's full-year share would be 10,000,001 × 4,000 / 14,000; it pays 184/365 of it (within the rounding cent).
    const detail = await board.costs.allocation({ year: 2026, memberId: joiner.memberId });
    const infraId = a.lines.find((l) => l.label === 'Infrastructure')!.id;
    const joinerInfra = detail.members[0]!.lines!.find((l) => l.lineId === infraId)!.cents;
    const exactTimes = 10_000_001n * 4_000n * 184n; // over 14,000 × 365
    expect(BigInt(joinerInfra) * 14_000n * 365n - exactTimes).toBeLessThan(14_000n * 365n);
    expect(exactTimes - BigInt(joinerInfra) * 14_000n * 365n).toBeLessThan(14_000n * 365n);
    // each line adds up exactly, over every member's breakdown
    let infra = 0;
    let support = 0;
    for (const m of a.members) {
      const d = (await board.costs.allocation({ year: 2026, memberId: m.memberId })).members[0]!;
      infra += d.lines!.find((l) => l.lineId === infraId)!.cents;
      support += d.lines!.find((l) => l.lineId !== infraId)!.cents;
      expect(d.totalCents).toBe(m.totalCents);
    }
    expect([infra, support]).toEqual([10_000_001, 1_000_000]);
    expect(a.totals.totalCents).toBe(11_000_001);
    // change from the previous year, for those who were there
    const first = byName.get(t.members[0]!.name)!;
    expect(first.previousTotalCents).toBe(900_000);
    expect(first.changeCents).toBe(first.totalCents - 900_000);
    expect(joiner.previousTotalCents).toBeNull();
    expect(first.perInhabitantCents).toBe(Math.round(first.totalCents / 1000));
    expect(a.bands.reduce((s, b) => s + b.totalCents, 0)).toBe(11_000_001);
  });

  it('à la carte: a subscription pays its plan price for its billed days; the standalone price shows what pooling saves', async () => {
    const owner = ownerDb();
    const member = t.members[0]!;
    const offering = t.offerings.messagerie!;
    const planId = offering.plans.standard!;
    await owner.updateTable('offerings').set({ standalonePrice: JSON.stringify({ annualFixedCents: 0, perUserCents: 7_000, perGbCents: 0, perInhabitantCents: 0 }) }).where('id', '=', offering.id).execute();
    const sub = await owner.insertInto('subscriptions').values({ syndicateId: t.syndicateId, memberId: member.id, offeringId: offering.id, planId, seats: 10, storageGb: 0, status: 'active' })
      .returning('id').executeTakeFirstOrThrow();
    await owner.insertInto('subscriptionPeriods').values({ syndicateId: t.syndicateId, memberId: member.id, subscriptionId: sub.id, planId, seats: 10, storageGb: 0, startsOn: '2026-04-01' }).execute();
    const price = await owner.selectFrom('planPrices').select('perUserCents').where('planId', '=', planId).where('effectiveFrom', '<=', '2026-04-01').orderBy('effectiveFrom', 'desc').executeTakeFirstOrThrow();

    const dsi = await callerOf('commune_dsi');
    const own = await dsi.costs.allocation({ year: 2026, memberId: member.id });
    const [charge] = own.members[0]!.subscriptions!;
    // 275 days (1 April – 31 December) of 10 users: 10 × price × 275 / 365, to the nearest cent
    expect(charge).toMatchObject({ subscriptionId: sub.id, days: 275, cents: Math.round(10 * price.perUserCents * 275 / 365), standaloneCents: Math.round(10 * 7_000 * 275 / 365) });
    expect(own.members[0]!.savingsCents).toBe(charge!.standaloneCents! - charge!.cents);
    expect(own.members[0]!.totalCents).toBe(own.members[0]!.sharedCents + charge!.cents);
    const all = await (await callerOf('board_member')).costs.allocation({ year: 2026 });
    expect(all.offerings).toEqual([expect.objectContaining({ id: offering.id, cents: charge!.cents, standaloneCents: charge!.standaloneCents, subscriptions: 1 })]);
    expect(all.totals.savingsCents).toBe(own.members[0]!.savingsCents);
  });

  it('permissions: an elected official reads only their commune, never another\'s; the board reads all and changes nothing', async () => {
    const [a, b] = t.members;
    const elected = await callerOf('commune_elected'); // of commune A
    const own = await elected.costs.allocation({ year: 2026 });
    expect(own.scope).toBe('member');
    expect(own.members.map((m) => m.memberId)).toEqual([a!.id]);
    expect(JSON.stringify(own)).not.toContain(b!.name);
    expect((await refusal(elected.costs.allocation({ year: 2026, memberId: b!.id }))).code).toBe('FORBIDDEN');
    expect((await refusal(elected.costs.trend({ toYear: 2026, memberId: b!.id }))).code).toBe('FORBIDDEN');
    expect((await refusal(elected.costs.trend({ toYear: 2026 }))).code).toBe('FORBIDDEN');
    expect((await refusal(elected.costs.simulate({ year: 2026, changes: [{ kind: 'scaleLine', lineId: own.lines[0]!.id, basisPoints: 1000 }] }))).code).toBe('FORBIDDEN');
    expect((await refusal((await callerOf('commune_agent')).costs.allocation({ year: 2026 }))).code).toBe('FORBIDDEN');

    const board = await callerOf('board_member');
    expect((await board.costs.allocation({ year: 2026, memberId: b!.id })).members[0]!.memberId).toBe(b!.id);
    expect((await refusal(board.costs.publication.set({ publishedToMembers: true }))).code).toBe('FORBIDDEN');
    expect((await refusal(board.costs.budget.setLine({ year: 2026, label: 'X', amountCents: 1, key: { kind: 'equal' } }))).code).toBe('FORBIDDEN');
    // a simulation by the board writes nothing
    const lines = await board.costs.budget.lines({ year: 2026 });
    await board.costs.simulate({ year: 2026, changes: [{ kind: 'scaleLine', lineId: lines[0]!.id, basisPoints: 1000 }] });
    expect(await board.costs.budget.lines({ year: 2026 })).toEqual(lines);
  });

  it('when the syndicate publishes the board\'s table, elected officials read every member\'s totals, still not another\'s breakdown; audited', async () => {
    const finance = await callerOf('syndicate_finance');
    const elected = await callerOf('commune_elected');
    expect(await elected.costs.publication.get()).toEqual({ publishedToMembers: false });
    await finance.costs.publication.set({ publishedToMembers: true });
    try {
      const table = await elected.costs.allocation({ year: 2026 });
      expect(table).toMatchObject({ scope: 'all', publishedToMembers: true });
      expect(table.members).toHaveLength(4);
      expect(table.members.every((m) => m.lines === undefined)).toBe(true);
      expect((await refusal(elected.costs.allocation({ year: 2026, memberId: t.members[1]!.id }))).code).toBe('FORBIDDEN');
      expect((await elected.costs.trend({ toYear: 2026, years: 2 })).map((p) => p.year)).toEqual([2025, 2026]);
    } finally {
      await finance.costs.publication.set({ publishedToMembers: false });
    }
    expect((await elected.costs.allocation({ year: 2026 })).scope).toBe('member');
    const actions = await ownerDb().selectFrom('auditEvents').select('action').where('syndicateId', '=', t.syndicateId).where('action', 'like', 'costs.table_%').orderBy('seq').execute();
    expect(actions.map((x) => x.action)).toEqual(['costs.table_published', 'costs.table_withdrawn']);
  });

  it('a line no member has any of is reported, not split; a member absent that year is not found', async () => {
    const finance = await callerOf('syndicate_finance');
    await finance.costs.budget.setLine({ year: 2027, label: 'SSO', amountCents: 50_000, key: { kind: 'usage', offering: 'sso', metric: 'users' } });
    const a = await finance.costs.allocation({ year: 2027 });
    expect(a.lines[0]).toMatchObject({ label: 'SSO', allocatedCents: 0, problem: expect.stringContaining('Aucun usage') });
    const outsider = (await createTenantMember());
    expect((await refusal(finance.costs.allocation({ year: 2026, memberId: outsider }))).code).toBe('NOT_FOUND');
  });
});

/** A member of the syndicate with no cost share (still onboarding). */
async function createTenantMember(): Promise<string> {
  const row = await ownerDb().insertInto('members').values({
    syndicateId: t.syndicateId, kind: 'commune', name: `Sans quote-part ${t.tag}`, inseeCode: '2A004', population: 10, agentCount: 1, searchText: 'sans', status: 'onboarding',
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

describe('costs.simulate', () => {
  it('a newcomer: its share, each member\'s difference, and whether any existing member would pay more', async () => {
    const board = await callerOf('board_member');
    const result = await board.costs.simulate({ year: 2026, changes: [{ kind: 'join', name: 'Vaulx-en-Velin', inseeCode: '69256', population: 50_000, agentCount: 900, joinsOn: '2026-01-01' }] });
    const newcomer = result.members.find((m) => m.isNewcomer)!;
    expect(newcomer).toMatchObject({ memberId: null, name: 'Vaulx-en-Velin', currentCents: null });
    expect(newcomer.simulatedCents).toBeGreaterThan(0);
    // the lines are unchanged, so what the newcomer pays is what the others stop paying
    expect(result.simulated.sharedCents).toBe(result.current.sharedCents);
    const others = result.members.filter((m) => !m.isNewcomer);
    expect(others.reduce((s, m) => s + m.diffCents, 0)).toBe(-newcomer.simulatedCents);
    expect(result.newcomer).toEqual({ raisesExisting: others.filter((m) => m.diffCents > 0).length, largestRiseCents: Math.max(0, ...others.map((m) => m.diffCents)) });
    expect(result.newcomer!.raisesExisting).toBe(0);
  });

  it('a line +10 % and a key change, side by side; an existing INSEE code cannot join twice', async () => {
    const finance = await callerOf('syndicate_finance');
    const lines = await finance.costs.budget.lines({ year: 2026 });
    const infra = lines.find((l) => l.label === 'Infrastructure')!;
    const grown = await finance.costs.simulate({ year: 2026, changes: [{ kind: 'scaleLine', lineId: infra.id, basisPoints: 1000 }] });
    expect(grown.lines.find((l) => l.id === infra.id)).toMatchObject({ currentCents: 10_000_001, simulatedCents: 11_000_001 });
    const fifty = await finance.costs.simulate({ year: 2026, changes: [{ kind: 'changeKey', lineId: infra.id, key: { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 5000 }, { key: { kind: 'equal' }, basisPoints: 5000 }] } }] });
    expect(fifty.lines.find((l) => l.id === infra.id)!.simulatedKey).toMatchObject({ kind: 'mix' });
    const smallest = fifty.members.find((m) => m.name === t.members[0]!.name)!;
    expect(smallest.diffCents).toBeGreaterThan(0); // an equal half favours nobody small
    expect(fifty.simulated.totalCents).toBe(fifty.current.totalCents);
    const twice = await refusal(finance.costs.simulate({ year: 2026, changes: [{ kind: 'join', name: 'Doublon', inseeCode: t.members[0]!.inseeCode, population: 1, agentCount: 1 }] }));
    expect(twice.code).toBe('BAD_REQUEST');
    expect(twice.message).toContain('déjà membre');
  });
});

describe('costs.export', () => {
  it('the board downloads the French CSV (BOM, ;, decimal comma) and the PDF annex; an elected official gets only their commune', async () => {
    const board = await callerOf('board_member');
    const csv = await board.costs.export({ year: 2026, format: 'csv' });
    expect(csv).toMatchObject({ filename: 'contributions-2026.csv', contentType: 'text/csv; charset=utf-8' });
    const text = Buffer.from(csv.base64, 'base64').toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const rows = text.slice(1).trim().split('\r\n').map((r) => r.split(';'));
    expect(rows).toHaveLength(1 + 4 + 1); // header, four members, totals
    expect(text).toContain('110000,01'); // 11,000,001 cents in the totals row, with a decimal comma
    const pdf = await board.costs.export({ year: 2026, format: 'pdf' });
    expect(Buffer.from(pdf.base64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');

    const elected = await callerOf('commune_elected');
    const own = Buffer.from((await elected.costs.export({ year: 2026, format: 'csv' })).base64, 'base64').toString('utf8');
    expect(own).toContain(t.members[0]!.name);
    for (const other of t.members.slice(1)) expect(own).not.toContain(other.name);
  });
});

describe('kept allocations', () => {
  it('a change to anything the allocation reads is seen at once: the syndicate\'s cost data version moves with it', async () => {
    const board = await callerOf('board_member');
    const versionOf = async () => (await ownerDb().selectFrom('costDataVersions').select('version').where('syndicateId', '=', t.syndicateId).executeTakeFirst())?.version;
    const before = await board.costs.allocation({ year: 2026 });
    const again = await board.costs.allocation({ year: 2026 });
    expect(again).toEqual(before);
    const v0 = await versionOf();
    // a population changes (as a yearly census update would): every population share moves
    await ownerDb().updateTable('members').set((eb) => ({ population: eb('population', '+', 7000) })).where('id', '=', t.members[0]!.id).execute();
    expect(Number(await versionOf())).toBeGreaterThan(Number(v0));
    const after = await board.costs.allocation({ year: 2026 });
    const share = (a: typeof before) => a.members.find((m) => m.memberId === t.members[0]!.id)!.sharedCents;
    expect(share(after)).toBeGreaterThan(share(before));
    expect(after.totals.sharedCents).toBe(before.totals.sharedCents);
    await ownerDb().updateTable('members').set((eb) => ({ population: eb('population', '-', 7000) })).where('id', '=', t.members[0]!.id).execute();
    expect(share(await board.costs.allocation({ year: 2026 }))).toBe(share(before));
  });
});
