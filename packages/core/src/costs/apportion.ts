/**
 * Splitting a budget line between members, exactly to the cent: proportional shares rounded by the
 * largest-remainder (Hamilton) method. Integer arithmetic only (bigint): no floating point ever
 * touches money, so the same inputs give the same cents on any machine.
 */

/** One member's claim on a line: its weight under the line's key, and what breaks ties. */
export interface Claimant {
  id: string;
  /** a non-negative integer (a population, a number of agents, a usage, or a combined key's exact numerator) */
  weight: bigint;
  inseeCode: string | null;
  siren: string | null;
}

export class ApportionError extends Error {}

/** Ties (equal remainders) go to the smaller INSEE code, then the smaller SIREN, then the smaller id: a stable, published order. */
function tieOrder(a: Claimant, b: Claimant): number {
  const byCode = (x: string | null, y: string | null) => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1);
  return byCode(a.inseeCode, b.inseeCode) || byCode(a.siren, b.siren) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Splits `amountCents` in proportion to the claimants' weights. Each gets the whole cents of its
 * exact quota (amount × weight / total weight); the cents left over — fewer than there are
 * claimants — go one each to the largest fractional remainders, ties broken by INSEE code then
 * SIREN ascending. The shares add up exactly to the amount; each is within one cent of its quota;
 * a zero weight gets zero; multiplying every weight by the same number, or reordering the
 * claimants, changes nothing.
 */
export function apportion(amountCents: bigint, claimants: readonly Claimant[]): Map<string, bigint> {
  if (amountCents < 0n) throw new ApportionError('A line to split cannot be negative.');
  const total = claimants.reduce((sum, c) => {
    if (c.weight < 0n) throw new ApportionError(`The weight of ${c.id} is negative.`);
    return sum + c.weight;
  }, 0n);
  if (new Set(claimants.map((c) => c.id)).size !== claimants.length) throw new ApportionError('A member appears twice in one split.');
  const shares = new Map<string, bigint>(claimants.map((c) => [c.id, 0n]));
  if (amountCents === 0n) return shares;
  if (total === 0n) throw new ApportionError('No member has any of this key: the line cannot be split.');

  // quota = amount × weight / total = floor + remainder / total (remainder compared as integers over the same denominator)
  const parts = claimants.map((c) => {
    const numerator = amountCents * c.weight;
    return { claimant: c, floor: numerator / total, remainder: numerator % total };
  });
  let left = amountCents - parts.reduce((sum, p) => sum + p.floor, 0n);
  for (const p of parts) shares.set(p.claimant.id, p.floor);
  const order = parts.filter((p) => p.remainder > 0n)
    .sort((a, b) => (a.remainder === b.remainder ? tieOrder(a.claimant, b.claimant) : a.remainder > b.remainder ? -1 : 1));
  for (const p of order) {
    if (left === 0n) break;
    shares.set(p.claimant.id, p.floor + 1n);
    left -= 1n;
  }
  if (left !== 0n) throw new ApportionError('Internal error: cents left after the largest remainders.');
  return shares;
}

/** One component of a key: each member's value, and its weight in the mix, in basis points (7000 = 70 %). */
export interface KeyComponent { values: ReadonlyMap<string, bigint>; basisPoints: number }

/**
 * The exact integer weights of a mixed key (e.g. 70 % population + 30 % agents), as many statutes
 * define them: member i's weight is Σ_k bp_k × v_k,i / S_k over the components k (S_k the total of
 * component k). Put on the common denominator Π S_k, every weight is an integer, so the split of
 * a line by these weights is exactly the split the statute describes. A component nobody has
 * (S_k = 0) cannot be shared and is refused.
 */
export function mixedWeights(memberIds: readonly string[], components: readonly KeyComponent[]): Map<string, bigint> {
  if (components.length === 0) throw new ApportionError('A key needs at least one component.');
  const bpTotal = components.reduce((sum, c) => sum + c.basisPoints, 0);
  if (bpTotal !== 10_000 || components.some((c) => !Number.isInteger(c.basisPoints) || c.basisPoints <= 0)) {
    throw new ApportionError('The parts of a mixed key are whole basis points, each above 0, adding up to 100 %.');
  }
  const totals = components.map((c) => memberIds.reduce((sum, id) => sum + (c.values.get(id) ?? 0n), 0n));
  if (totals.some((t) => t === 0n)) throw new ApportionError('A part of the key is 0 for every member: it cannot be shared.');
  const weights = new Map<string, bigint>();
  for (const id of memberIds) {
    let weight = 0n;
    components.forEach((component, k) => {
      const others = totals.reduce((product, t, j) => (j === k ? product : product * t), 1n);
      weight += BigInt(component.basisPoints) * (component.values.get(id) ?? 0n) * others;
    });
    weights.set(id, weight);
  }
  return weights;
}
