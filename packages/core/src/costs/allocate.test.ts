import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AllocationKey } from '@mutualis/contracts';
import { allocateYear, type EngineMember, type YearData } from './allocate.ts';

const member = (id: string, inseeCode: string, population: number, agentCount = 10, startsOn = '2020-01-01', endsOn: string | null = null): EngineMember =>
  ({ id, name: id, kind: 'commune', inseeCode, siren: null, population, agentCount, spans: [{ startsOn, endsOn }] });
const yearData = (year: number, members: EngineMember[], lines: Array<{ id: string; amountCents: bigint; key: AllocationKey }>, extra: Partial<YearData> = {}): YearData => ({
  year, members, lines: lines.map((l) => ({ ...l, label: l.id })), periods: [], prices: [], offerings: [], plans: [], usage: new Map(), ...extra,
});
type Result = ReturnType<typeof allocateYear>;
const lineIndex = (result: Result, lineId: string) => result.lines.findIndex((l) => l.line.id === lineId);
const shareOf = (result: Result, memberId: string, lineId: string) => {
  const shares = result.lines[lineIndex(result, lineId)]!.shares;
  return shares ? BigInt(shares[result.members.find((m) => m.member.id === memberId)!.index]!) : 0n;
};
const lineTotal = (result: Result, lineId: string) => result.members.reduce((s, m) => s + shareOf(result, m.member.id, lineId), 0n);
const population = { kind: 'population' } as const;

describe('allocateYear', () => {
  it('the worked example: 1,000 / 2,000 / 7,000 inhabitants, a €100,000.01 population line and a €10,000.00 equal line', () => {
    const data = yearData(2026, [member('a', '01001', 1000), member('b', '01002', 2000), member('c', '01003', 7000)], [
      { id: 'infra', amountCents: 10_000_001n, key: population },
      { id: 'support', amountCents: 1_000_000n, key: { kind: 'equal' } },
    ]);
    const result = allocateYear(data);
    // population: quotas 1,000,000.1 / 2,000,000.2 / 7,000,000.7 → the cent left goes to c (largest remainder)
    expect([shareOf(result, 'a', 'infra'), shareOf(result, 'b', 'infra'), shareOf(result, 'c', 'infra')]).toEqual([1_000_000n, 2_000_000n, 7_000_001n]);
    // equal: 333,333.33… each → the cent left goes to the smallest INSEE code
    expect([shareOf(result, 'a', 'support'), shareOf(result, 'b', 'support'), shareOf(result, 'c', 'support')]).toEqual([333_334n, 333_333n, 333_333n]);
    expect(result.members.map((m) => m.totalCents)).toEqual([1_333_334n, 2_333_333n, 7_333_334n]);
  });

  it('prorata: a commune joining on 1 July of a non-leap year pays 184/365 of its full-year share before rounding', () => {
    // 1 + 999 inhabitants; amount = 365 × 1000 × 7 cents: the joiner's full-year share is 365 × 7 = 2,555 cents, exactly.
    const amount = 365n * 1000n * 7n;
    const joiner = member('j', '01002', 1, 5, '2027-07-01');
    const data = yearData(2027, [member('a', '01001', 999), joiner], [{ id: 'l', amountCents: amount, key: population }]);
    const result = allocateYear(data);
    expect(result.members.find((m) => m.member.id === 'j')!.days).toBe(184);
    expect(shareOf(result, 'j', 'l')).toBe(184n * 7n); // = 184/365 × 2,555 exactly: no rounding involved
    expect(lineTotal(result, 'l')).toBe(amount); // the member present all year carries the rest
    // the same member all year would pay the full-year share
    const allYear = allocateYear(yearData(2027, [member('a', '01001', 999), member('j', '01002', 1)], [{ id: 'l', amountCents: amount, key: population }]));
    expect(shareOf(allYear, 'j', 'l')).toBe(365n * 7n);
  });

  it('property: for any line and populations, a 1 July joiner pays within a cent of 184/365 of its full-year share, and the line adds up', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: 1_000_000_000n }),
      fc.array(fc.integer({ min: 1, max: 500_000 }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 0, max: 500_000 }),
      (amount, populations, joinerPopulation) => {
        const others = populations.map((p, i) => member(`m${i}`, String(10_000 + i), p));
        const result = allocateYear(yearData(2027, [...others, member('j', '99999', joinerPopulation, 1, '2027-07-01')], [{ id: 'l', amountCents: amount, key: population }]));
        const total = BigInt(populations.reduce((s, p) => s + p, 0) + joinerPopulation);
        // exact: amount × v / V × 184 / 365, compared without division: |share × V × 365 − amount × v × 184| < V × 365
        const share = shareOf(result, 'j', 'l');
        const gap = share * total * 365n - amount * BigInt(joinerPopulation) * 184n;
        return lineTotal(result, 'l') === amount && (gap < 0n ? -gap : gap) < total * 365n;
      },
    ));
  });

  it('a member that left on 30 June pays for its 181 days; one with no day in the year is not in it', () => {
    const data = yearData(2027, [member('a', '01001', 100), member('b', '01002', 100, 1, '2020-01-01', '2027-06-30'), member('c', '01003', 100, 1, '2020-01-01', '2026-12-31')],
      [{ id: 'l', amountCents: 365_000n, key: population }]);
    const result = allocateYear(data);
    expect(result.members.map((m) => m.member.id)).toEqual(['a', 'b']);
    // first 181 days shared by two (90,500 each), the remaining 184 days by a alone (184,000)
    expect(shareOf(result, 'b', 'l')).toBe(90_500n);
    expect(shareOf(result, 'a', 'l')).toBe(274_500n);
  });

  it('a 70/30 mix of population and agents is the sum of its parts, exactly', () => {
    const members = [member('a', '01001', 1000, 10), member('b', '01002', 3000, 30), member('c', '01003', 6000, 10)];
    const mix: AllocationKey = { kind: 'mix', parts: [{ key: population, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] };
    const result = allocateYear(yearData(2026, members, [{ id: 'l', amountCents: 1_000_000n, key: mix }]));
    // a: 0.7 × 0.1 + 0.3 × 0.2 = 0.13; b: 0.7 × 0.3 + 0.3 × 0.6 = 0.39; c: 0.7 × 0.6 + 0.3 × 0.2 = 0.48
    expect([shareOf(result, 'a', 'l'), shareOf(result, 'b', 'l'), shareOf(result, 'c', 'l')]).toEqual([130_000n, 390_000n, 480_000n]);
  });

  it('a usage key splits by the year\'s records; a key nobody has leaves the line unallocated with a reason, the others still split', () => {
    const members = [member('a', '01001', 1000), member('b', '01002', 3000)];
    const usage = new Map([['sso:users', new Map([['a', 300n], ['b', 100n]])]]);
    const result = allocateYear(yearData(2026, members, [
      { id: 'sso', amountCents: 400n, key: { kind: 'usage', offering: 'sso', metric: 'users' } },
      { id: 'backup', amountCents: 500n, key: { kind: 'usage', offering: 'sauvegarde', metric: 'storage_bytes' } },
    ], { usage }));
    expect([shareOf(result, 'a', 'sso'), shareOf(result, 'b', 'sso')]).toEqual([300n, 100n]);
    const backup = result.lines.find((l) => l.line.id === 'backup')!;
    expect(backup.allocatedCents).toBe(0n);
    expect(backup.problem).toMatch(/Aucun usage/);
  });

  it('à la carte: the plan price in force each day, for the days billed, rounded once per subscription; standalone price gives the savings', () => {
    const members = [member('a', '01001', 2000, 10)];
    const data = yearData(2027, members, [], {
      offerings: [{ id: 'o', slug: 'messagerie', nameFr: 'Messagerie', nameEn: 'Mail', standalonePrice: { annualFixedCents: 0, perUserCents: 6_000, perGbCents: 0, perInhabitantCents: 0 } }],
      plans: [{ id: 'p', offeringId: 'o', nameFr: 'Standard', nameEn: 'Standard' }],
      prices: [
        { planId: 'p', effectiveFrom: '2026-01-01', price: { annualFixedCents: 0, perUserCents: 3_000, perGbCents: 0, perInhabitantCents: 0 } },
        { planId: 'p', effectiveFrom: '2027-07-01', price: { annualFixedCents: 0, perUserCents: 3_650, perGbCents: 0, perInhabitantCents: 0 } },
      ],
      periods: [{ subscriptionId: 's', memberId: 'a', offeringId: 'o', planId: 'p', seats: 10, storageGb: 0, startsOn: '2027-04-01', endsOn: null }],
    });
    const result = allocateYear(data);
    const [charge] = result.members[0]!.subscriptions;
    // 91 days (1 April – 30 June) at 300 €/year + 184 days at 365 €/year: (30,000 × 91 + 36,500 × 184) / 365 = 25,879.45… → 25,879
    expect(charge).toMatchObject({ days: 275, cents: 25_879n });
    // alone: 600 €/year × 275 / 365 = 45,205.47… → 45,205
    expect(charge!.standaloneCents).toBe(45_205n);
    expect(result.members[0]!.savingsCents).toBe(45_205n - 25_879n);
  });

  it('property: whatever the spans, keys and order, every line adds up to its amount and a zero key pays zero', () => {
    const spanArb = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 }))
      .map(([a, b]) => ({ startsOn: new Date(Date.UTC(2026, 11, 1) + a * 86_400_000).toISOString().slice(0, 10), endsOn: b > 380 ? null : new Date(Date.UTC(2026, 11, 1) + Math.max(a, b) * 86_400_000).toISOString().slice(0, 10) }));
    fc.assert(fc.property(
      fc.array(fc.record({ population: fc.integer({ min: 0, max: 100_000 }), agents: fc.integer({ min: 0, max: 500 }), span: spanArb }), { minLength: 1, maxLength: 15 }),
      fc.bigInt({ min: 0n, max: 10_000_000_000n }),
      fc.integer({ min: 1, max: 9999 }),
      (rows, amount, bp) => {
        const members = rows.map((r, i) => ({ ...member(`m${i}`, String(10_000 + i), r.population, r.agents), spans: [r.span] }));
        const mix: AllocationKey = { kind: 'mix', parts: [{ key: population, basisPoints: bp }, { key: { kind: 'agents' }, basisPoints: 10_000 - bp }] };
        const lines = [{ id: 'pop', amountCents: amount, key: population }, { id: 'eq', amountCents: amount, key: { kind: 'equal' } as const }, { id: 'mix', amountCents: amount, key: mix }];
        const result = allocateYear(yearData(2027, members, lines));
        const reversed = allocateYear(yearData(2027, [...members].reverse(), lines));
        for (const line of result.lines) {
          if (line.problem === null && lineTotal(result, line.line.id) !== amount) return false;
          for (const m of result.members) {
            if (shareOf(reversed, m.member.id, line.line.id) !== shareOf(result, m.member.id, line.line.id)) return false;
          }
        }
        const pop = result.lines.find((l) => l.line.id === 'pop')!;
        return pop.problem !== null || result.members.every((m) => m.member.population > 0 || shareOf(result, m.member.id, 'pop') === 0n);
      },
    ), { numRuns: 200 });
  });
});

describe('allocateYear without the split', () => {
  it('gives the same line totals and à-la-carte part as the full run (what a syndicate-wide trend needs)', () => {
    const data = yearData(2027, [member('a', '01001', 100), member('b', '01002', 300, 1, '2027-03-01')], [
      { id: 'l', amountCents: 123_457n, key: population }, { id: 'u', amountCents: 5n, key: { kind: 'usage', offering: 'x', metric: 'users' } },
    ]);
    const full = allocateYear(data);
    const light = allocateYear(data, { shares: false });
    expect(light.lines.map((l) => [l.allocatedCents, l.problem])).toEqual(full.lines.map((l) => [l.allocatedCents, l.problem]));
    expect(light.members.every((m) => m.sharedCents === 0n)).toBe(true);
    expect(full.members.reduce((s, m) => s + m.sharedCents, 0n)).toBe(123_457n);
  });
});
