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
  return new Map(claimants.map((c, i) => [c.id, BigInt(shares[i]!)]));
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
 * Integer arithmetic only; for speed with tens of thousands of members (the year's segments make
 * denominators of hundreds of bits), three exact ways, chosen by the sizes at hand:
 * - `numbers`: every product and sum stays below 2^53, so safe integers do the bigint work exactly;
 * - `fixed-point`: the remainders' fractions are taken in units of 2^-28 (safe integers again), each
 *   with a known error bound; a claimant whose whole cents could be off, and every claimant whose
 *   remainder is too close to the last one to get a cent to be ranked by the bounds, is computed
 *   exactly in bigint (about one in fifty);
 * - `bigint`: everything in bigint.
 * The amount × weight quotient and remainder are taken once per group of claimants (same days of
 * membership); the ranking sorts integer keys natively (Float64Array) and compares exactly near the cut.
 */
export type ApportionStrategy = 'auto' | 'bigint';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** A key's values as safe-integer numbers and their largest, kept while the values array lives (lines of one key share it). */
const asNumbers = new WeakMap<readonly bigint[], { numbers: Float64Array; max: bigint }>();
function numbersOf(values: readonly bigint[]): { numbers: Float64Array; max: bigint } {
  let known = asNumbers.get(values);
  if (!known) {
    const max = values.reduce((m, v) => (v > m ? v : m), 0n);
    // beyond 2^53 a value is not needed as a number: the paths that use numbers are not taken then
    known = { numbers: max <= MAX_SAFE ? Float64Array.from(values, Number) : new Float64Array(0), max };
    asNumbers.set(values, known);
  }
  return known;
}
const FIXED_BITS = 28;

/** The k-th smallest value (0-based) of `values`, which it reorders: quickselect, linear on average. */
function nthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const x = values[i]!; values[i] = values[j]!; values[j] = x;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}
const FIXED_ONE = 2 ** FIXED_BITS;

export function apportionFractions(amountCents: bigint, claimants: ReadonlyArray<Omit<Claimant, 'weight'>>, fractions: LineFractions, strategy: ApportionStrategy = 'auto'): Float64Array {
  const n = claimants.length;
  // every share is at most the amount: with the amount a safe integer, so is each share
  if (amountCents < 0n || amountCents > MAX_SAFE) throw new ApportionError('A line to split is between 0 and 2^53 − 1 cents.');
  const shares = new Float64Array(n);
  if (amountCents === 0n || n === 0) return shares;
  const den = fractions.denominator;
  const parts = fractions.parts;
  const groupOf = fractions.groupOf;
  // amount × weight = Q × den + R, once per part and group
  const q = parts.map((p) => p.weights.map((w) => (amountCents * w) / den));
  const r = parts.map((p, c) => p.weights.map((w, g) => amountCents * w - q[c]![g]! * den));
  const maxValues = parts.map((p) => numbersOf(p.values).max);
  const bound = (table: bigint[][]) => maxValues.reduce((sum, maxValue, c) => sum + maxValue * table[c]!.reduce((m, x) => (x > m ? x : m), 0n), 0n);
  const sumOfMaxValues = maxValues.reduce((a, b) => a + b, 0n);

  /** the exact remainder of claimant i (in units of 1/den), given the whole cents its remainder part carries */
  const exactRest = (i: number): bigint => {
    const g = groupOf[i]!;
    let rest = 0n;
    for (let c = 0; c < parts.length; c++) {
      const v = parts[c]!.values[i]!;
      if (v !== 0n) rest += v * r[c]![g]!;
    }
    return rest;
  };
  const keys = new Float64Array(n);
  /** how far a key may be below the true remainder, in key units (the true one is in [key, key + error)) */
  let keyError = 0;
  let exactRemainders: Array<bigint | undefined> = new Array(n);
  let floors = new Float64Array(0);
  let wholeFromRest = new Float64Array(0);
  let given: bigint;
  let keysAreRemainders = false;

  if (strategy === 'auto' && den <= MAX_SAFE && bound(r) + den <= MAX_SAFE && bound(q) <= MAX_SAFE) {
    // numbers: exact integer arithmetic below 2^53
    const denN = Number(den);
    const qN = q.map((row) => row.map(Number));
    const rN = r.map((row) => row.map(Number));
    const valuesN = parts.map((p) => numbersOf(p.values).numbers);
    floors = new Float64Array(n);
    let givenN = 0;
    for (let i = 0; i < n; i++) {
      const g = groupOf[i]!;
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
      floors[i] = floor;
      keys[i] = rest; // the exact remainder itself
      givenN += floor;
    }
    given = BigInt(givenN);
    keysAreRemainders = true;
  } else if (strategy === 'auto' && sumOfMaxValues * BigInt(FIXED_ONE) <= MAX_SAFE && bound(q) <= MAX_SAFE) {
    // fixed point: R / den in units of 2^-28, truncated (error below one unit per unit of value)
    const qN = q.map((row) => row.map(Number));
    const fN = r.map((row) => row.map((x) => Number((x << BigInt(FIXED_BITS)) / den)));
    const valuesN = parts.map((p) => numbersOf(p.values).numbers);
    floors = new Float64Array(n);
    wholeFromRest = new Float64Array(n);
    let givenN = 0;
    for (let i = 0; i < n; i++) {
      const g = groupOf[i]!;
      let floor = 0;
      let scaled = 0;
      let error = 0;
      for (let c = 0; c < valuesN.length; c++) {
        const v = valuesN[c]![i]!;
        floor += v * qN[c]![g]!;
        scaled += v * fN[c]![g]!;
        error += v;
      }
      const t = Math.floor(scaled / FIXED_ONE); // exact: a power of two
      let key = scaled - t * FIXED_ONE;
      if (key + error >= FIXED_ONE) {
        // the true value may reach the next whole cent: compute this one exactly
        const rest = exactRest(i);
        const whole = rest / den;
        const remainder = rest - whole * den;
        exactRemainders[i] = remainder;
        wholeFromRest[i] = Number(whole);
        floor += Number(whole);
        key = Number((remainder << BigInt(FIXED_BITS)) / den);
        error = 1;
      } else {
        wholeFromRest[i] = t;
        floor += t;
      }
      if (error > keyError) keyError = error;
      floors[i] = floor;
      keys[i] = key;
      givenN += floor;
    }
    given = BigInt(givenN);
  } else {
    const shift = BigInt(Math.max(0, den.toString(2).length - 52));
    const bigFloors: bigint[] = new Array(n);
    exactRemainders = new Array(n);
    given = 0n;
    for (let i = 0; i < n; i++) {
      const g = groupOf[i]!;
      let floor = 0n;
      let rest = 0n;
      for (let c = 0; c < parts.length; c++) {
        const v = parts[c]!.values[i]!;
        if (v === 0n) continue;
        floor += v * q[c]![g]!;
        rest += v * r[c]![g]!;
      }
      if (rest >= den) {
        const t = rest / den;
        floor += t;
        rest -= t * den;
      }
      bigFloors[i] = floor;
      exactRemainders[i] = rest;
      keys[i] = Number(rest >> shift);
      given += floor;
    }
    keyError = shift > 0n ? 1 : 0;
    for (let i = 0; i < n; i++) shares[i] = Number(bigFloors[i]!);
  }
  if (floors.length === n) shares.set(floors);

  const left = Number(amountCents - given);
  if (left < 0 || left > n) throw new ApportionError('The fractions of a line do not make the whole line.');
  if (left === 0) return shares;
  // The cut: the key of the last claimant to get a cent. Keys clear of it by more than the error
  // bound are decided; those within it are ranked by their exact remainders, then the tie order.
  const threshold = nthSmallest(Float64Array.from(keys), n - left);
  let decided = 0;
  const close: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    if (key > threshold + keyError) { shares[i] = shares[i]! + 1; decided++; } else if (key >= threshold - keyError) close.push(i);
  }
  const remainderOf = (i: number) => (exactRemainders[i] ??= keysAreRemainders ? BigInt(keys[i]!) : exactRest(i) - BigInt(wholeFromRest[i]!) * den);
  const ranked = close.filter((i) => remainderOf(i) > 0n)
    .sort((a, b) => (remainderOf(a) === remainderOf(b) ? tieOrder(claimants[a]!, claimants[b]!) : remainderOf(a) > remainderOf(b) ? -1 : 1));
  const rest = left - decided;
  if (rest < 0 || rest > ranked.length) throw new ApportionError('Internal error: cents left after the largest remainders.');
  for (let j = 0; j < rest; j++) shares[ranked[j]!] = shares[ranked[j]!]! + 1;
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
