/**
 * The allocation of a year: every member's share of every budget line, and its à-la-carte
 * subscriptions, in integer cents. A pure function of the year's data, so the same data gives the
 * same cents on any machine, and a simulation is the same run on changed data.
 *
 * How a line is shared over the year (prorata temporis). Each day of the year carries 1/365 (1/366)
 * of the line, shared between the members that belong to the syndicate that day, by the line's key.
 * A member present the whole year among members present the whole year pays amount × key / Σ keys;
 * a commune joining on 1 July pays exactly 184/365 of the share it would have had over the whole
 * year (before rounding), and the members already there carry the first 181 days among themselves.
 * Days when no member belongs (a syndicate's first year) are not charged: the line is spread over
 * the days that have members. A usage key (agents using the SSO, backup GB…) is already a measure
 * over time — the sum of the daily records of the year — so it splits the whole line at once.
 * Every member's exact fraction is a ratio of integers; the line is rounded once, by the largest
 * remainder, so its shares add up to its amount to the cent.
 *
 * À la carte: each subscription pays its plan's price (fixed + per user + per GB + per inhabitant)
 * for the days of the year it was billed (its subscription periods), with the price in force on
 * each day, i.e. Σ annual price × days / days in the year, rounded once per subscription to the
 * nearest cent (half up). The same for the offering's standalone price gives what pooling saves.
 */
import type { AllocationKey, PlanPrice, SimpleKey } from '@mutualis/contracts';
import { apportionFractions, type LineFractions } from './apportion.ts';
import { daysInYear, type MembershipSpan } from './prorata.ts';

export interface EngineMember {
  id: string;
  name: string;
  kind: 'commune' | 'epci' | 'other';
  inseeCode: string | null;
  siren: string | null;
  population: number;
  agentCount: number;
  spans: MembershipSpan[];
}
export interface EngineLine { id: string; label: string; amountCents: bigint; key: AllocationKey }
export interface EnginePeriod {
  subscriptionId: string;
  memberId: string;
  offeringId: string;
  planId: string;
  seats: number;
  storageGb: number;
  startsOn: string;
  endsOn: string | null;
}
export interface EnginePrice { planId: string; effectiveFrom: string; price: PlanPrice }
export interface EngineOffering { id: string; slug: string; nameFr: string; nameEn: string; standalonePrice: PlanPrice | null }
export interface EnginePlan { id: string; offeringId: string; nameFr: string; nameEn: string }

export interface YearData {
  year: number;
  members: EngineMember[];
  lines: EngineLine[];
  periods: EnginePeriod[];
  prices: EnginePrice[];
  offerings: EngineOffering[];
  plans: EnginePlan[];
  /** per usage key (`offering-slug:metric`), each member's sum of daily records over the year */
  usage: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
}

export interface SubscriptionCharge {
  subscriptionId: string;
  offeringId: string;
  planId: string;
  days: number;
  cents: bigint;
  standaloneCents: bigint | null;
}

export interface MemberResult {
  member: EngineMember;
  days: number;
  /** its place in `YearResult.members`, and so in each line's `shares` */
  index: number;
  subscriptions: SubscriptionCharge[];
  sharedCents: bigint;
  aLaCarteCents: bigint;
  totalCents: bigint;
  /** standalone price of its subscriptions to offerings that carry one, and what pooling saves on them */
  standaloneCents: bigint;
  savingsCents: bigint;
}

export interface LineResult {
  line: EngineLine;
  allocatedCents: bigint;
  problem: string | null;
  /** each member's share in cents (safe integers), in the order of `YearResult.members`; null when not split */
  shares: Float64Array | null;
}

export interface YearResult {
  year: number;
  daysInYear: number;
  members: MemberResult[];
  lines: LineResult[];
}

export const usageKeyOf = (key: { offering: string; metric: string }) => `${key.offering}:${key.metric}`;

/** The simple keys a key is made of (itself, or the parts of a mix). */
export function simpleKeysOf(key: AllocationKey): SimpleKey[] {
  return key.kind === 'mix' ? key.parts.map((p) => p.key) : [key];
}

const DAY_MS = 86_400_000;
const dayNumbers = new Map<string, number>();
/** Days since 1970-01-01 of a calendar date (memoised: a year's data repeats the same few dates). */
const dayNumber = (date: string) => {
  let day = dayNumbers.get(date);
  if (day === undefined) {
    day = Date.parse(`${date}T00:00:00Z`) / DAY_MS;
    if (dayNumbers.size > 100_000) dayNumbers.clear();
    dayNumbers.set(date, day);
  }
  return day;
};
const dayOfYear = (date: string, year: number) => dayNumber(date) - dayNumber(`${year}-01-01`);
const isoOfDay = (day: number, year: number) => new Date(Date.parse(`${year}-01-01T00:00:00Z`) + day * DAY_MS).toISOString().slice(0, 10);

const gcd = (a: bigint, b: bigint): bigint => {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
};
const lcm = (a: bigint, b: bigint): bigint => (a / gcd(a, b)) * b;

/** Exact fractions of a line for each member (numerators on one denominator, adding up to it), or why there are none. */
type Fractions = LineFractions;
type FractionsOrProblem = Fractions | { problem: string };

/** Days of membership as half-open intervals [from, to) of day numbers within the year, merged. */
function intervalsOf(spans: readonly MembershipSpan[], year: number, days: number): Array<[number, number]> {
  const raw: Array<[number, number]> = [];
  for (const span of spans) {
    const from = Math.max(0, dayOfYear(span.startsOn, year));
    const to = Math.min(days, span.endsOn === null ? days : dayOfYear(span.endsOn, year) + 1);
    if (to > from) raw.push([from, to]);
  }
  raw.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [from, to] of raw) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/**
 * The time structure of a year: the segments between the days someone joins or leaves, and which
 * members (grouped by identical membership intervals, usually one group: everyone all year) are
 * present in each.
 */
interface Timeline {
  segments: Array<{ from: number; to: number }>;
  /** groups of members with the same intervals: member indexes and the segments they cover */
  groups: Array<{ members: number[]; segments: number[] }>;
  groupOf: number[];
}

function timelineOf(intervals: Array<Array<[number, number]>>, days: number): Timeline {
  const cuts = new Set<number>([0, days]);
  for (const list of intervals) for (const [from, to] of list) { cuts.add(from); cuts.add(to); }
  const sorted = [...cuts].sort((a, b) => a - b);
  const segments = sorted.slice(0, -1).map((from, i) => ({ from, to: sorted[i + 1]! }));
  const bySignature = new Map<string, number>();
  const groups: Timeline['groups'] = [];
  const groupOf: number[] = new Array(intervals.length);
  intervals.forEach((list, m) => {
    const signature = list.map(([a, b]) => `${a}-${b}`).join(',');
    let g = bySignature.get(signature);
    if (g === undefined) {
      g = groups.length;
      bySignature.set(signature, g);
      const covered = segments.flatMap((s, i) => (list.some(([a, b]) => s.from >= a && s.to <= b) ? [i] : []));
      groups.push({ members: [], segments: covered });
    }
    groups[g]!.members.push(m);
    groupOf[m] = g;
  });
  return { segments, groups, groupOf };
}

/**
 * A simple key's exact fractions under the day-by-day sharing: member i gets
 * Σ over the segments it covers of (len_s / D') × v_i / S_s, S_s the key's total among the members
 * present in segment s and D' the days that have members. On the denominator D' × lcm(S_s) every
 * fraction is an integer numerator; common factors are divided out.
 */
function timeFractions(values: readonly bigint[], timeline: Timeline, describe: (from: number, to: number) => string): FractionsOrProblem {
  const totals = timeline.segments.map(() => 0n);
  const present = timeline.segments.map(() => false);
  for (const group of timeline.groups) {
    let sum = 0n;
    for (const m of group.members) sum += values[m]!;
    for (const s of group.segments) { totals[s]! += sum; present[s] = true; }
  }
  let common = 1n;
  let days = 0n;
  for (let s = 0; s < timeline.segments.length; s++) {
    if (!present[s]) continue;
    const { from, to } = timeline.segments[s]!;
    if (totals[s] === 0n) return { problem: describe(from, to) };
    common = lcm(common, totals[s]!);
    days += BigInt(to - from);
  }
  if (days === 0n) return { problem: 'no-members' };
  const groupFactor = timeline.groups.map((group) => group.segments.reduce((sum, s) => {
    const { from, to } = timeline.segments[s]!;
    return sum + BigInt(to - from) * (common / totals[s]!);
  }, 0n));
  let denominator = days * common;
  // Divide out what every numerator shares with the denominator (everyone all year: D' × S / D' → v_i / S).
  let g = denominator;
  for (const f of groupFactor) g = gcd(g, f);
  if (g > 1n) {
    denominator /= g;
    for (let i = 0; i < groupFactor.length; i++) groupFactor[i] = groupFactor[i]! / g;
  }
  return { parts: [{ values, weights: groupFactor }], groupOf: timeline.groupOf, denominator };
}

/** A usage key: the year's records are already a measure over time, so one split of the whole line. */
function usageFractions(values: readonly bigint[], timeline: Timeline): FractionsOrProblem {
  const total = values.reduce((sum, v) => sum + v, 0n);
  if (total === 0n) return { problem: 'no-usage' };
  return { parts: [{ values, weights: timeline.groups.map(() => 1n) }], groupOf: timeline.groupOf, denominator: total };
}

/** Combines the fractions of a mix's parts, weighted by basis points, on one denominator. */
function mixFractions(parts: ReadonlyArray<{ fractions: Fractions; basisPoints: number }>): Fractions {
  let common = 1n;
  for (const p of parts) common = lcm(common, p.fractions.denominator);
  return {
    parts: parts.flatMap((p) => {
      const factor = BigInt(p.basisPoints) * (common / p.fractions.denominator);
      return p.fractions.parts.map((part) => ({ values: part.values, weights: part.weights.map((w) => w * factor) }));
    }),
    groupOf: parts[0]!.fractions.groupOf,
    denominator: common * 10_000n,
  };
}

/** Rounds a non-negative ratio to the nearest integer, half up. */
export const roundHalfUp = (numerator: bigint, denominator: bigint): bigint => (2n * numerator + denominator) / (2n * denominator);

const annualPrice = (p: PlanPrice, seats: number, storageGb: number, population: number): bigint =>
  BigInt(p.annualFixedCents) + BigInt(seats) * BigInt(p.perUserCents) + BigInt(storageGb) * BigInt(p.perGbCents) + BigInt(population) * BigInt(p.perInhabitantCents);

/** Problems, in French (the product's language), for the people who read the allocation. */
const KEY_WORDS: Record<'population' | 'agents' | 'equal', string> = { population: "d'habitants", agents: "d'agents", equal: 'de part' };

/**
 * `shares: false` skips splitting the lines between members (their line shares stay 0): the lines'
 * totals, which can be split, and the à-la-carte part are all a syndicate-wide trend needs.
 */
export function allocateYear(data: YearData, options: { shares?: boolean } = {}): YearResult {
  const { year } = data;
  const days = daysInYear(year);
  const members = data.members;
  const intervals = members.map((m) => intervalsOf(m.spans, year, days));
  const memberDays = intervals.map((list) => list.reduce((sum, [a, b]) => sum + (b - a), 0));
  // A member with no day in the year takes no part in it.
  const inYear = members.map((_, i) => memberDays[i]! > 0);
  const index = members.flatMap((_, i) => (inYear[i] ? [i] : []));
  const present = index.map((i) => members[i]!);
  const timeline = timelineOf(index.map((i) => intervals[i]!), days);
  const describeDays = (what: string) => (from: number, to: number) =>
    `Aucun membre présent du ${isoOfDay(from, year)} au ${isoOfDay(to - 1, year)} n'a ${what} : la ligne ne peut pas être répartie.`;

  const cache = new Map<string, FractionsOrProblem>();
  const fractionsOfSimple = (key: SimpleKey): FractionsOrProblem => {
    const id = key.kind === 'usage' ? `usage:${usageKeyOf(key)}` : key.kind;
    const known = cache.get(id);
    if (known) return known;
    let result: FractionsOrProblem;
    if (key.kind === 'usage') {
      const usage = data.usage.get(usageKeyOf(key));
      result = usageFractions(present.map((m) => usage?.get(m.id) ?? 0n), timeline);
      if ('problem' in result) result = { problem: `Aucun usage « ${key.metric} » du service « ${key.offering} » n'est relevé en ${year} : la ligne ne peut pas être répartie.` };
    } else {
      const values = present.map((m) => (key.kind === 'population' ? BigInt(m.population) : key.kind === 'agents' ? BigInt(m.agentCount) : 1n));
      result = timeFractions(values, timeline, describeDays(KEY_WORDS[key.kind]));
    }
    if ('problem' in result && result.problem === 'no-members') result = { problem: `Aucun membre n'appartient au syndicat en ${year}.` };
    cache.set(id, result);
    return result;
  };
  const mixes = new Map<string, FractionsOrProblem>();
  const fractionsOf = (key: AllocationKey): FractionsOrProblem => {
    if (key.kind !== 'mix') return fractionsOfSimple(key);
    const id = JSON.stringify(key.parts);
    const known = mixes.get(id);
    if (known) return known;
    const result = mixOf(key);
    mixes.set(id, result);
    return result;
  };
  function mixOf(key: Extract<AllocationKey, { kind: 'mix' }>): FractionsOrProblem {
    const parts: Array<{ fractions: Fractions; basisPoints: number }> = [];
    for (const part of key.parts) {
      const f = fractionsOfSimple(part.key);
      if ('problem' in f) return f;
      parts.push({ fractions: f, basisPoints: part.basisPoints });
    }
    return mixFractions(parts);
  }

  const results: MemberResult[] = present.map((member, k) => ({
    member, index: k, days: memberDays[index[k]!]!, subscriptions: [],
    sharedCents: 0n, aLaCarteCents: 0n, totalCents: 0n, standaloneCents: 0n, savingsCents: 0n,
  }));
  const lines: LineResult[] = [];
  // shares are summed per member in safe integers: the year's lines may not add up beyond 2^53 − 1 cents
  if (data.lines.reduce((sum, l) => sum + l.amountCents, 0n) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`The budget lines of ${year} add up to more than 90,071,992,547,409.91 €.`);
  }
  const shared = new Float64Array(present.length);
  for (const line of data.lines) {
    if (present.length === 0) {
      lines.push({ line, allocatedCents: 0n, problem: line.amountCents === 0n ? null : `Aucun membre n'appartient au syndicat en ${year}.`, shares: null });
      continue;
    }
    const fractions = fractionsOf(line.key);
    if ('problem' in fractions) {
      lines.push({ line, allocatedCents: 0n, problem: fractions.problem, shares: null });
      continue;
    }
    if (options.shares === false) {
      lines.push({ line, allocatedCents: line.amountCents, problem: null, shares: null });
      continue;
    }
    const shares = apportionFractions(line.amountCents, present, fractions);
    for (let k = 0; k < shares.length; k++) shared[k] = shared[k]! + shares[k]!;
    lines.push({ line, allocatedCents: line.amountCents, problem: null, shares });
  }

  // À la carte: each subscription's billed days at the price in force, rounded once per subscription.
  const position = new Map(present.map((m, k) => [m.id, k]));
  const pricesByPlan = new Map<string, EnginePrice[]>();
  for (const p of [...data.prices].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1))) {
    const list = pricesByPlan.get(p.planId) ?? [];
    list.push(p);
    pricesByPlan.set(p.planId, list);
  }
  const offerings = new Map(data.offerings.map((o) => [o.id, o]));
  const bySubscription = new Map<string, { memberIndex: number; period: EnginePeriod; days: number; numerator: bigint; standalone: bigint | null }>();
  for (const period of data.periods) {
    const k = position.get(period.memberId);
    if (k === undefined) continue;
    const member = present[k]!;
    const from = Math.max(0, dayOfYear(period.startsOn, year));
    const to = Math.min(days, period.endsOn === null ? days : dayOfYear(period.endsOn, year) + 1);
    if (to <= from) continue;
    const entry = bySubscription.get(period.subscriptionId)
      ?? { memberIndex: k, period, days: 0, numerator: 0n, standalone: offerings.get(period.offeringId)?.standalonePrice ? 0n : null };
    if (period.startsOn >= entry.period.startsOn) entry.period = period; // the latest period names the plan
    entry.days += to - from;
    // split the period where the plan's price changes
    const prices = pricesByPlan.get(period.planId) ?? [];
    for (let d = from; d < to;) {
      const day = isoOfDay(d, year);
      let current: EnginePrice | null = null;
      let next = to;
      for (const p of prices) {
        if (p.effectiveFrom <= day) current = p;
        else { next = Math.min(to, dayOfYear(p.effectiveFrom, year)); break; }
      }
      if (current) entry.numerator += annualPrice(current.price, period.seats, period.storageGb, member.population) * BigInt(next - d);
      d = next;
    }
    const standalone = offerings.get(period.offeringId)?.standalonePrice;
    if (standalone && entry.standalone !== null) entry.standalone += annualPrice(standalone, period.seats, period.storageGb, member.population) * BigInt(to - from);
    bySubscription.set(period.subscriptionId, entry);
  }
  const dayCount = BigInt(days);
  for (const [subscriptionId, entry] of bySubscription) {
    const cents = roundHalfUp(entry.numerator, dayCount);
    const standaloneCents = entry.standalone === null ? null : roundHalfUp(entry.standalone, dayCount);
    const r = results[entry.memberIndex]!;
    r.subscriptions.push({ subscriptionId, offeringId: entry.period.offeringId, planId: entry.period.planId, days: entry.days, cents, standaloneCents });
    r.aLaCarteCents += cents;
    if (standaloneCents !== null) {
      r.standaloneCents += standaloneCents;
      r.savingsCents += standaloneCents - cents;
    }
  }
  for (const r of results) {
    r.sharedCents = BigInt(shared[r.index]!);
    r.totalCents = r.sharedCents + r.aLaCarteCents;
    r.subscriptions.sort((a, b) => (a.offeringId < b.offeringId ? -1 : a.offeringId > b.offeringId ? 1 : 0));
  }
  return { year, daysInYear: days, members: results, lines };
}
