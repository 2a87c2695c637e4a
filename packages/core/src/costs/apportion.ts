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
function tieOrder(a: Omit<Claimant, 'weight'>, b: Omit<Claimant, 'weight'>): number {
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
  if (amountCents === 0n) return new Map(claimants.map((c) => [c.id, 0n]));
  if (total === 0n) throw new ApportionError('No member has any of this key: the line cannot be split.');
  const shares = apportionFractions(amountCents, claimants, { parts: [{ values: claimants.map((c) => c.weight), weights: [1n] }], groupOf: new Uint8Array(claimants.length), denominator: total });
  return new Map(claimants.map((c, i) => [c.id, shares[i]!]));
}

/**
 * Exact fractions of a line, on one denominator, in the form the allocation engine builds them:
 * claimant i's numerator is Σ_c values[c][i] × weights[c][groupOf[i]] — a key value (inhabitants,
 * agents, 1, a usage) times a factor shared by a group of claimants (those with the same days of
 * membership), summed over the parts of a mixed key. The numerators add up to the denominator.
 */
export interface LineFractions {
  parts: ReadonlyArray<{ values: readonly bigint[]; weights: readonly bigint[] }>;
  groupOf: ArrayLike<number>;
  denominator: bigint;
}

/**
 * The largest-remainder rounding of exact fractions: claimant i's quota is amount × numerator_i /
 * denominator; each gets the whole cents of its quota, and the cents left over go one each to the
 * largest remainders, ties broken by INSEE code then SIREN. Returns the shares in the claimants' order.
 *
 * Integer arithmetic throughout (bigint). For speed with tens of thousands of members, the
 * quotient and remainder of amount × weight are taken once per group, and the remainders are
 * ranked by their leading 52 bits (an integer held in a Float64Array so the platform sorts it
 * natively); remainders whose leading bits tie with the last one to receive a cent are compared
 * in full, then by the tie order.
 */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function apportionFractions(amountCents: bigint, claimants: ReadonlyArray<Omit<Claimant, 'weight'>>, fractions: LineFractions): bigint[] {
  const n = claimants.length;
  const shares: bigint[] = new Array<bigint>(n).fill(0n);
  if (amountCents === 0n || n === 0) return shares;
  const den = fractions.denominator;
  // amount × weight = Q × den + R, once per part and group
  const q = fractions.parts.map((p) => p.weights.map((w) => (amountCents * w) / den));
  const r = fractions.parts.map((p, c) => p.weights.map((w, g) => amountCents * w - q[c]![g]! * den));
  const shift = BigInt(Math.max(0, den.toString(2).length - 52));
  const remainders: bigint[] = new Array(n);
  const keys = new Float64Array(n);
  let given = 0n;
  // Safe integers (below 2^53) are exact in JavaScript numbers: when every product and sum stays
  // below that bound — a single segment of the year, no mix — the same integer steps run without bigint.
  const bound = (table: bigint[][]) => fractions.parts.reduce((sum, p, c) => {
    let maxValue = 0n;
    for (const v of p.values) if (v > maxValue) maxValue = v;
    return sum + maxValue * table[c]!.reduce((m, x) => (x > m ? x : m), 0n);
  }, 0n);
  if (den <= MAX_SAFE && bound(r) + den <= MAX_SAFE && bound(q) <= MAX_SAFE) {
    const denN = Number(den);
    const qN = q.map((row) => row.map(Number));
    const rN = r.map((row) => row.map(Number));
    const valuesN = fractions.parts.map((p) => p.values.map(Number));
    let givenN = 0;
    for (let i = 0; i < n; i++) {
      const g = fractions.groupOf[i]!;
      let floor = 0;
      let rest = 0;
      for (let c = 0; c < valuesN.length; c++) {
        const v = valuesN[c]![i]!;
        floor += v * qN[c]![g]!;
        rest += v * rN[c]![g]!;
      }
      if (rest >= denN) {
        const t = Math.floor(rest / denN);
        floor += t;
        rest -= t * denN;
        // integer division through a double can be off by one: correct it exactly
        if (rest < 0) { floor -= 1; rest += denN; } else if (rest >= denN) { floor += 1; rest -= denN; }
      }
      shares[i] = BigInt(floor);
      remainders[i] = BigInt(rest);
      keys[i] = rest;
      givenN += floor;
    }
    given = BigInt(givenN);
  } else for (let i = 0; i < n; i++) {
    const g = fractions.groupOf[i]!;
    let floor = 0n;
    let rest = 0n;
    for (let c = 0; c < fractions.parts.length; c++) {
      const v = fractions.parts[c]!.values[i]!;
      if (v === 0n) continue;
      floor += v * q[c]![g]!;
      rest += v * r[c]![g]!;
    }
    if (rest >= den) {
      const t = rest / den;
      floor += t;
      rest -= t * den;
    }
    shares[i] = floor;
    remainders[i] = rest;
    keys[i] = Number(rest >> shift);
    given += floor;
  }
  const left = Number(amountCents - given);
  if (left < 0 || left > n) throw new ApportionError('The fractions of a line do not make the whole line.');
  if (left === 0) return shares;
  // the key of the last claimant to get a cent: above it, a cent each; at it, compare in full
  const sorted = Float64Array.from(keys).sort();
  const threshold = sorted[n - left]!;
  let given2 = 0;
  const atThreshold: number[] = [];
  for (let i = 0; i < n; i++) {
    if (keys[i]! > threshold) { shares[i] = shares[i]! + 1n; given2++; } else if (keys[i] === threshold && remainders[i]! > 0n) atThreshold.push(i);
  }
  atThreshold.sort((a, b) => (remainders[a] === remainders[b] ? tieOrder(claimants[a]!, claimants[b]!) : remainders[a]! > remainders[b]! ? -1 : 1));
  const rest = left - given2;
  if (rest > atThreshold.length) throw new ApportionError('Internal error: cents left after the largest remainders.');
  for (let j = 0; j < rest; j++) shares[atThreshold[j]!] = shares[atThreshold[j]!]! + 1n;
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
