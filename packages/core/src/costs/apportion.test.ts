import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apportion, apportionFractions, ApportionError, mixedWeights, type Claimant } from './apportion.ts';

const claimant = (id: string, weight: number | bigint, inseeCode: string | null = null, siren: string | null = null): Claimant =>
  ({ id, weight: BigInt(weight), inseeCode, siren });

/** Members with distinct ids and INSEE codes, weights from 0 to a commune the size of Paris. */
const members = fc.uniqueArray(fc.record({ code: fc.integer({ min: 1000, max: 99999 }), weight: fc.bigInt({ min: 0n, max: 2_200_000n }) }), { minLength: 1, maxLength: 40, selector: (m) => m.code })
  .map((list) => list.map((m) => claimant(`m${m.code}`, m.weight, String(m.code).padStart(5, '0'))))
  .filter((list) => list.some((c) => c.weight > 0n));
/** Up to 10 million euros, in cents. */
const amounts = fc.bigInt({ min: 0n, max: 1_000_000_000n });
const sum = (shares: Map<string, bigint>) => [...shares.values()].reduce((a, b) => a + b, 0n);

describe('apportion (largest remainder, integer cents)', () => {
  it('a worked example checked by hand: 1,000 / 2,000 / 7,000 inhabitants share €100,000.01, and €10,000.00 equally', () => {
    const communes = [claimant('a', 1000, '01001'), claimant('b', 2000, '01002'), claimant('c', 7000, '01003')];
    // Quotas 1,000,000.1 / 2,000,000.2 / 7,000,000.7 cents: floors add to 10,000,000; the cent left goes to the largest remainder (0.7).
    expect(Object.fromEntries(apportion(10_000_001n, communes))).toEqual({ a: 1_000_000n, b: 2_000_000n, c: 7_000_001n });
    // 1,000,000 / 3 = 333,333.33… each: the one cent left goes, on a tie, to the smallest INSEE code.
    const equal = communes.map((c) => ({ ...c, weight: 1n }));
    expect(Object.fromEntries(apportion(1_000_000n, equal))).toEqual({ a: 333_334n, b: 333_333n, c: 333_333n });
  });

  it('breaks ties by INSEE code, then SIREN, whatever the order given', () => {
    const tie = [claimant('x', 1, '69259', '216902591'), claimant('y', 1, '69029', '216900298'), claimant('z', 1, null, '200046977')];
    expect(Object.fromEntries(apportion(2n, tie))).toEqual({ x: 1n, y: 1n, z: 0n });
    const sameInsee = [claimant('p', 1, null, '300000002'), claimant('q', 1, null, '300000001')];
    expect(Object.fromEntries(apportion(1n, sameInsee))).toEqual({ p: 0n, q: 1n });
  });

  it('property: the shares always add up exactly to the line', () => {
    fc.assert(fc.property(amounts, members, (amount, list) => sum(apportion(amount, list)) === amount));
  });

  it('property: each share is within one cent of its exact quota (floor or ceiling)', () => {
    fc.assert(fc.property(amounts, members, (amount, list) => {
      const total = list.reduce((s, c) => s + c.weight, 0n);
      const shares = apportion(amount, list);
      return list.every((c) => {
        const floor = (amount * c.weight) / total;
        const share = shares.get(c.id)!;
        return share === floor || share === floor + 1n;
      });
    }));
  });

  it('property: a member with a zero key pays 0', () => {
    fc.assert(fc.property(amounts, members, (amount, list) => {
      const withZero = [...list, claimant('zero', 0, '00000')];
      return apportion(amount, withZero).get('zero') === 0n;
    }));
  });

  it('property: scaling every key by the same constant changes nothing', () => {
    fc.assert(fc.property(amounts, members, fc.bigInt({ min: 2n, max: 1_000_000n }), (amount, list, k) => {
      const scaled = list.map((c) => ({ ...c, weight: c.weight * k }));
      expect(Object.fromEntries(apportion(amount, scaled))).toEqual(Object.fromEntries(apportion(amount, list)));
    }));
  });

  it('property: the order of members never changes the result', () => {
    fc.assert(fc.property(amounts, members.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }))),
      (amount, [list, shuffled]) => {
        expect(Object.fromEntries(apportion(amount, shuffled))).toEqual(Object.fromEntries(apportion(amount, list)));
      }));
  });

  it('refuses what cannot be split, with a reason', () => {
    expect(() => apportion(100n, [claimant('a', 0)])).toThrow(ApportionError);
    expect(() => apportion(-1n, [claimant('a', 1)])).toThrow(/negative/);
    expect(() => apportion(1n, [claimant('a', 1), claimant('a', 2)])).toThrow(/twice/);
    expect(Object.fromEntries(apportion(0n, [claimant('a', 0)]))).toEqual({ a: 0n });
  });
});

describe('mixedWeights (e.g. 70 % population + 30 % agents)', () => {
  const ids = ['a', 'b', 'c'];
  const population = new Map([['a', 1000n], ['b', 2000n], ['c', 7000n]]);
  const agents = new Map([['a', 30n], ['b', 10n], ['c', 60n]]);

  it('weighs each member by Σ part × its share of that part, exactly', () => {
    const weights = mixedWeights(ids, [{ values: population, basisPoints: 7000 }, { values: agents, basisPoints: 3000 }]);
    // a: 0.7 × 1000/10000 + 0.3 × 30/100 = 0.16; b: 0.14 + 0.03 = 0.17; c: 0.49 + 0.18 = 0.67
    const total = [...weights.values()].reduce((x, y) => x + y, 0n);
    expect(ids.map((id) => Number((weights.get(id)! * 10_000n) / total) / 10_000)).toEqual([0.16, 0.17, 0.67]);
    expect(Object.fromEntries(apportion(100_000_00n, ids.map((id) => claimant(id, weights.get(id)!))))).toEqual({ a: 16_000_00n, b: 17_000_00n, c: 67_000_00n });
  });

  it('property: a 100 % mix of one key splits as that key alone', () => {
    fc.assert(fc.property(amounts, members, (amount, list) => {
      const values = new Map(list.map((c) => [c.id, c.weight]));
      const weights = mixedWeights(list.map((c) => c.id), [{ values, basisPoints: 10_000 }]);
      const mixed = apportion(amount, list.map((c) => ({ ...c, weight: weights.get(c.id)! })));
      expect(Object.fromEntries(mixed)).toEqual(Object.fromEntries(apportion(amount, list)));
    }));
  });

  it('refuses parts that do not add up to 100 %, and a part nobody has', () => {
    expect(() => mixedWeights(ids, [{ values: population, basisPoints: 7000 }])).toThrow(/100 %/);
    expect(() => mixedWeights(ids, [{ values: population, basisPoints: 5000 }, { values: new Map(), basisPoints: 5000 }])).toThrow(/0 for every member/);
  });
});

describe('apportionFractions: the fast exact ways agree with plain bigint', () => {
  /** Random fractions as the engine builds them: parts (mix), groups (days of membership), huge weights (many segments). */
  const fractionsArb = fc.record({
    groups: fc.array(fc.array(fc.bigInt({ min: 1n, max: 2n ** 200n }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
    members: fc.array(fc.record({ values: fc.array(fc.bigInt({ min: 0n, max: 3_000_000n }), { minLength: 3, maxLength: 3 }), group: fc.nat(), code: fc.integer({ min: 1000, max: 99999 }) }), { minLength: 1, maxLength: 60 }),
    partCount: fc.integer({ min: 1, max: 3 }),
    smallWeights: fc.boolean(),
  });
  it('property: same shares whichever way (numbers, fixed point, bigint), for any amount', () => {
    fc.assert(fc.property(fractionsArb, fc.bigInt({ min: 0n, max: 9_000_000_000_000n }), ({ groups, members, partCount, smallWeights }, amount) => {
      const weightsOf = (g: bigint[]) => (smallWeights ? g.map((w) => (w % 1000n) + 1n) : g);
      const groupOf = members.map((m) => m.group % groups.length);
      const parts = Array.from({ length: partCount }, (_, c) => ({ values: members.map((m) => m.values[c]!), weights: groups.map((g) => weightsOf(g)[c]!) }));
      const denominator = members.reduce((sum, m, i) => sum + parts.reduce((s, p) => s + p.values[i]! * p.weights[groupOf[i]!]!, 0n), 0n);
      fc.pre(denominator > 0n);
      const claimants = members.map((m, i) => ({ id: `m${i}`, inseeCode: String(m.code).padStart(5, '0'), siren: null }));
      const fractions = { parts, groupOf, denominator };
      const fast = apportionFractions(amount, claimants, fractions);
      const slow = apportionFractions(amount, claimants, fractions, 'bigint');
      return fast.every((x, i) => x === slow[i]) && BigInt(fast.reduce((a, b) => a + b, 0)) === amount;
    }), { numRuns: 500 });
  });
});

describe('apportion against a plain reference implementation', () => {
  /** The textbook method, written the simplest way: floors, then a full sort of the remainders (ties by INSEE code). */
  function reference(amount: bigint, list: Claimant[]): Map<string, bigint> {
    const total = list.reduce((s, c) => s + c.weight, 0n);
    const rows = list.map((c) => ({ c, floor: (amount * c.weight) / total, rem: (amount * c.weight) % total }));
    let left = amount - rows.reduce((s, r) => s + r.floor, 0n);
    const order = [...rows].sort((a, b) => (a.rem === b.rem ? (a.c.inseeCode! < b.c.inseeCode! ? -1 : 1) : a.rem > b.rem ? -1 : 1));
    const out = new Map(rows.map((r) => [r.c.id, r.floor]));
    for (const r of order) { if (left === 0n) break; out.set(r.c.id, r.floor + 1n); left -= 1n; }
    return out;
  }
  it('property: the same cents to the same members, many ties included', () => {
    const tied = fc.uniqueArray(fc.record({ code: fc.integer({ min: 1000, max: 99999 }), weight: fc.bigInt({ min: 0n, max: 7n }) }), { minLength: 1, maxLength: 200, selector: (m) => m.code })
      .map((list) => list.map((m) => claimant(`m${m.code}`, m.weight, String(m.code).padStart(5, '0'))))
      .filter((list) => list.some((c) => c.weight > 0n));
    fc.assert(fc.property(amounts, fc.oneof(members, tied), (amount, list) => {
      const got = apportion(amount, list);
      const want = reference(amount, list);
      return list.every((c) => got.get(c.id) === want.get(c.id));
    }), { numRuns: 500 });
  });
});
