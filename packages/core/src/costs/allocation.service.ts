import { asSubject } from '@mutualis/authz';
import {
  allocationInput, allocationKeySchema, costExportInput, costPublicationInput, planPriceSchema, simulateInput, sizeBandOf, SIZE_BANDS, trendInput,
  type Allocation, type AllocationInput, type AllocationTotals, type CostExportInput, type MemberAllocation, type SimulateInput, type SimulationResult,
  type SizeBand, type TrendInput, type TrendPoint,
} from '@mutualis/contracts';
import { sql, withTenant, type Db, type Tx } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { allocationCsv, allocationPdf } from './cost-export.ts';
import { allocateYear, roundHalfUp, simpleKeysOf, usageKeyOf, type EngineMember, type MemberResult, type YearData, type YearResult } from './allocate.ts';

/**
 * `costs.allocation`, `costs.trend`, `costs.simulate`, `costs.publication`.
 *
 * Who sees what (CASL first): the syndicate's finance, administrators and board members read every
 * member's figures; a commune's elected officials and DSI read their own commune's, and the board's
 * table of every member's totals only when the syndicate publishes it (`cost_settings`).
 * A share depends on every member's key (a commune's part of a population line is its population
 * over everyone's), so the year's data is read with the syndicate's row-level security context —
 * the one place a commune's request reads beyond its own rows — and what is returned is cut to what
 * the actor may see before it leaves this module.
 */

const syndicateWide = (actor: Actor) => ({ syndicateId: actor.syndicateId, memberIds: null });
const toNumber = (cents: bigint) => {
  if (cents > BigInt(Number.MAX_SAFE_INTEGER) || cents < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('An amount beyond 90,071,992,547,409.91 € cannot be returned.');
  return Number(cents);
};

/** Everything the allocation of a year needs, read in one transaction. */
export async function loadYearData(tx: Tx, year: number): Promise<YearData> {
  const first = `${year}-01-01`;
  const last = `${year}-12-31`;
  const [shareRows, lineRows, periodRows] = await Promise.all([
    tx.selectFrom('costShares as cs').innerJoin('members as m', 'm.id', 'cs.memberId')
      .select(['m.id', 'm.name', 'm.kind', 'm.inseeCode', 'm.siren', 'm.population', 'm.agentCount', 'cs.startsOn', 'cs.endsOn'])
      .where('cs.startsOn', '<=', last).where((eb) => eb.or([eb('cs.endsOn', 'is', null), eb('cs.endsOn', '>=', first)]))
      .orderBy('m.id').execute(),
    tx.selectFrom('budgetLines').select(['id', 'label', 'amountCents', 'allocationKey']).where('year', '=', year).orderBy('label').orderBy('id').execute(),
    tx.selectFrom('subscriptionPeriods').select(['subscriptionId', 'memberId', 'planId', 'seats', 'storageGb', 'startsOn', 'endsOn'])
      .where('startsOn', '<=', last).where((eb) => eb.or([eb('endsOn', 'is', null), eb('endsOn', '>=', first)])).execute(),
  ]);
  const members = new Map<string, EngineMember>();
  for (const row of shareRows) {
    const known = members.get(row.id);
    if (known) known.spans.push({ startsOn: row.startsOn, endsOn: row.endsOn });
    else members.set(row.id, {
      id: row.id, name: row.name, kind: row.kind as EngineMember['kind'], inseeCode: row.inseeCode, siren: row.siren,
      population: row.population, agentCount: row.agentCount, spans: [{ startsOn: row.startsOn, endsOn: row.endsOn }],
    });
  }
  const lines = lineRows.map((l) => ({ id: l.id, label: l.label, amountCents: BigInt(l.amountCents), key: allocationKeySchema.parse(l.allocationKey) }));
  const planIds = [...new Set(periodRows.map((p) => p.planId))];
  const plans = planIds.length === 0 ? [] : await tx.selectFrom('offeringPlans').select(['id', 'offeringId', 'nameFr', 'nameEn']).where('id', 'in', planIds).execute();
  const planOffering = new Map(plans.map((p) => [p.id, p.offeringId]));
  const prices = planIds.length === 0 ? [] : await tx.selectFrom('planPrices')
    .select(['planId', 'effectiveFrom', 'annualFixedCents', 'perUserCents', 'perGbCents', 'perInhabitantCents']).where('planId', 'in', planIds).execute();
  const offerings = await tx.selectFrom('offerings').select(['id', 'slug', 'nameFr', 'nameEn', 'standalonePrice']).orderBy('nameFr').execute();
  // usage keys: each member's sum of daily records of the year, for the offering and metric a line names
  const usageKeys = [...new Map(lines.flatMap((l) => simpleKeysOf(l.key)).flatMap((k) => (k.kind === 'usage' ? [[usageKeyOf(k), k] as const] : []))).values()];
  const usage = new Map<string, Map<string, bigint>>();
  for (const key of usageKeys) {
    const offeringId = offerings.find((o) => o.slug === key.offering)?.id;
    const rows = offeringId === undefined ? [] : await tx.selectFrom('usageRecords as u')
      .select(['u.memberId', sql<string>`sum(u.quantity)::text`.as('total')])
      .where('u.subscriptionId', 'in', (eb) => eb.selectFrom('subscriptions').select('id').where('offeringId', '=', offeringId))
      .where('u.metric', '=', key.metric).where('u.day', '>=', first).where('u.day', '<=', last)
      .groupBy('u.memberId').execute();
    usage.set(usageKeyOf(key), new Map(rows.map((r) => [r.memberId, BigInt(r.total)])));
  }
  return {
    year,
    members: [...members.values()],
    lines,
    periods: periodRows.map((p) => ({ ...p, offeringId: planOffering.get(p.planId)! })),
    prices: prices.map((p) => ({ planId: p.planId, effectiveFrom: p.effectiveFrom, price: { annualFixedCents: p.annualFixedCents, perUserCents: p.perUserCents, perGbCents: p.perGbCents, perInhabitantCents: p.perInhabitantCents } })),
    offerings: offerings.map((o) => ({ id: o.id, slug: o.slug, nameFr: o.nameFr, nameEn: o.nameEn, standalonePrice: o.standalonePrice ? planPriceSchema.parse(o.standalonePrice) : null })),
    plans,
    usage,
  };
}

/**
 * Computed years kept in memory, keyed by the syndicate's cost data version (`cost_data_versions`,
 * bumped by triggers in the same transaction as any change to what an allocation reads): a year is
 * served again only while nothing it was computed from has changed. The version is read before the
 * data, so what is kept is never older than its version says. A few years per process (a year of
 * 35,000 members is some tens of MB); `shares: false` runs (trends) are kept apart from full ones.
 */
const CACHE_SIZE = 8;
const computed = new Map<string, { data: YearData; result: YearResult }>();

export async function computedYear(tx: Tx, syndicateId: string, year: number, options: { shares?: boolean } = {}): Promise<{ data: YearData; result: YearResult }> {
  const row = await tx.selectFrom('costDataVersions').select('version').where('syndicateId', '=', syndicateId).executeTakeFirst();
  const key = `${syndicateId}:${year}:${row?.version ?? 'none'}:${options.shares === false ? 'totals' : 'shares'}`;
  const known = computed.get(key);
  if (known) {
    computed.delete(key);
    computed.set(key, known); // most recently used last
    return known;
  }
  const data = await loadYearData(tx, year);
  const entry = { data, result: allocateYear(data, options) };
  computed.set(key, entry);
  while (computed.size > CACHE_SIZE) computed.delete(computed.keys().next().value!);
  return entry;
}

async function publishedToMembers(tx: Tx): Promise<boolean> {
  const row = await tx.selectFrom('costSettings').select('publishedToMembers').executeTakeFirst();
  return row?.publishedToMembers ?? false;
}

/** What an actor may see of the allocation: every member, or only some (their own communes). */
type Reach = { all: true } | { all: false; memberIds: string[] };

function reachOf(actor: Actor, published: boolean): Reach {
  if (actor.ability.can('read', asSubject('Allocation', { syndicateId: actor.syndicateId }) as never)) return { all: true };
  const own = [...new Set(actor.memberships.map((m) => m.memberId).filter((id): id is string => id !== null))]
    .filter((memberId) => actor.ability.can('read', asSubject('Allocation', { syndicateId: actor.syndicateId, memberId }) as never));
  if (own.length === 0) throw new ForbiddenError('Votre rôle ne permet pas de voir les contributions.');
  return published ? { all: true } : { all: false, memberIds: own };
}

const perUnit = (total: bigint, units: number) => (units > 0 ? toNumber(roundHalfUp(total, BigInt(units))) : null);

function totalsOf(result: YearResult, previous: Map<string, bigint> | null): AllocationTotals {
  let shared = 0n, aLaCarte = 0n, standalone = 0n, savings = 0n, population = 0, agents = 0;
  for (const m of result.members) {
    shared += m.sharedCents; aLaCarte += m.aLaCarteCents; standalone += m.standaloneCents; savings += m.savingsCents;
    population += m.member.population; agents += m.member.agentCount;
  }
  const previousTotal = previous ? [...previous.values()].reduce((s, x) => s + x, 0n) : null;
  return {
    members: result.members.length, population, agentCount: agents,
    sharedCents: toNumber(shared), aLaCarteCents: toNumber(aLaCarte), totalCents: toNumber(shared + aLaCarte),
    previousTotalCents: previousTotal === null ? null : toNumber(previousTotal), standaloneCents: toNumber(standalone), savingsCents: toNumber(savings),
  };
}

function memberOf(result: YearResult, r: MemberResult, previous: Map<string, bigint> | null, detailed: boolean, data: YearData): MemberAllocation {
  const before = previous?.get(r.member.id);
  const plans = new Map(data.plans.map((p) => [p.id, p]));
  return {
    memberId: r.member.id, name: r.member.name, kind: r.member.kind, inseeCode: r.member.inseeCode, siren: r.member.siren,
    population: r.member.population, agentCount: r.member.agentCount, sizeBand: sizeBandOf(r.member.population), days: r.days,
    sharedCents: toNumber(r.sharedCents), aLaCarteCents: toNumber(r.aLaCarteCents), totalCents: toNumber(r.totalCents),
    perInhabitantCents: perUnit(r.totalCents, r.member.population), perAgentCents: perUnit(r.totalCents, r.member.agentCount),
    previousTotalCents: before === undefined ? null : toNumber(before), changeCents: before === undefined ? null : toNumber(r.totalCents - before),
    standaloneCents: toNumber(r.standaloneCents), savingsCents: toNumber(r.savingsCents),
    ...(detailed ? {
      lines: result.lines.flatMap((l) => (l.shares ? [{ lineId: l.line.id, cents: l.shares[r.index]! }] : [])),
      subscriptions: r.subscriptions.map((s) => ({
        subscriptionId: s.subscriptionId, offeringId: s.offeringId, planId: s.planId, planNameFr: plans.get(s.planId)?.nameFr ?? '', planNameEn: plans.get(s.planId)?.nameEn ?? '',
        days: s.days, cents: toNumber(s.cents), standaloneCents: s.standaloneCents === null ? null : toNumber(s.standaloneCents),
      })),
    } : {}),
  };
}

/** Builds the API's answer from an engine run, cut to the members listed (null: all). */
export function describeAllocation(result: YearResult, data: YearData, previous: Map<string, bigint> | null, visible: ReadonlySet<string> | null, detailed: boolean, published: boolean): Allocation {
  const offeringTotals = new Map<string, { cents: bigint; standalone: bigint | null; subscriptions: number }>();
  for (const m of result.members) for (const s of m.subscriptions) {
    const t = offeringTotals.get(s.offeringId) ?? { cents: 0n, standalone: null, subscriptions: 0 };
    t.cents += s.cents;
    if (s.standaloneCents !== null) t.standalone = (t.standalone ?? 0n) + s.standaloneCents;
    t.subscriptions += 1;
    offeringTotals.set(s.offeringId, t);
  }
  const bands = new Map<SizeBand, { members: number; population: number; total: bigint }>();
  for (const m of result.members) {
    const band = sizeBandOf(m.member.population);
    const b = bands.get(band) ?? { members: 0, population: 0, total: 0n };
    b.members += 1; b.population += m.member.population; b.total += m.totalCents;
    bands.set(band, b);
  }
  const shown = visible === null ? result.members : result.members.filter((m) => visible.has(m.member.id));
  return {
    year: result.year,
    daysInYear: result.daysInYear,
    scope: visible === null ? 'all' : 'member',
    publishedToMembers: published,
    lines: result.lines.map((l) => ({ id: l.line.id, label: l.line.label, amountCents: toNumber(l.line.amountCents), key: l.line.key, allocatedCents: toNumber(l.allocatedCents), problem: l.problem })),
    offerings: data.offerings.flatMap((o) => {
      const t = offeringTotals.get(o.id);
      return t ? [{ id: o.id, slug: o.slug, nameFr: o.nameFr, nameEn: o.nameEn, cents: toNumber(t.cents), standaloneCents: t.standalone === null ? null : toNumber(t.standalone), subscriptions: t.subscriptions }] : [];
    }),
    totals: totalsOf(result, previous),
    bands: SIZE_BANDS.flatMap((band) => {
      const b = bands.get(band);
      return b ? [{ band, members: b.members, population: b.population, totalCents: toNumber(b.total), perInhabitantCents: perUnit(b.total, b.population) }] : [];
    }),
    members: shown.map((m) => memberOf(result, m, previous, detailed, data)),
  };
}

const totalsByMember = (result: YearResult) => new Map(result.members.map((m) => [m.member.id, m.totalCents]));

/** `costs.allocation`: the year's split, for every member the actor may see, or one member with its breakdown. */
export async function computeAllocation(db: Db, actor: Actor, raw: AllocationInput): Promise<Allocation> {
  const input = allocationInput.parse(raw);
  return withTenant(db, syndicateWide(actor), async (tx) => {
    const published = await publishedToMembers(tx);
    const reach = reachOf(actor, published);
    if (input.memberId) {
      // a member's breakdown: the actor's own, or any for those who read every member (publication shows totals, not details)
      const mayRead = actor.ability.can('read', asSubject('Allocation', { syndicateId: actor.syndicateId, memberId: input.memberId }) as never);
      if (!mayRead) throw new ForbiddenError("Vous ne pouvez voir que les contributions de votre commune.");
    }
    const { data, result } = await computedYear(tx, actor.syndicateId, input.year);
    const before = await computedYear(tx, actor.syndicateId, input.year - 1);
    const previous = before.result.members.length > 0 ? totalsByMember(before.result) : null;
    if (input.memberId && !result.members.some((m) => m.member.id === input.memberId)) {
      const exists = await tx.selectFrom('members').select('id').where('id', '=', input.memberId).executeTakeFirst();
      throw new NotFoundError(exists ? `Ce membre n'appartenait pas au syndicat en ${input.year} : il n'a pas de contribution cette année-là.` : 'Ce membre est introuvable.');
    }
    const visible = input.memberId ? new Set([input.memberId]) : reach.all ? null : new Set(reach.memberIds);
    return describeAllocation(result, data, previous, visible, input.memberId !== undefined, published);
  });
}

/** `costs.trend`: the totals of the last years, for the syndicate or one member (0 in a year it did not belong). */
export async function costTrend(db: Db, actor: Actor, raw: TrendInput): Promise<TrendPoint[]> {
  const input = trendInput.parse(raw);
  return withTenant(db, syndicateWide(actor), async (tx) => {
    const reach = reachOf(actor, await publishedToMembers(tx));
    if (input.memberId) {
      if (!actor.ability.can('read', asSubject('Allocation', { syndicateId: actor.syndicateId, memberId: input.memberId }) as never)) {
        throw new ForbiddenError('Vous ne pouvez voir que les contributions de votre commune.');
      }
    } else if (!reach.all) {
      throw new ForbiddenError('La tendance de tous les membres est réservée au comité et au syndicat.');
    }
    const points: TrendPoint[] = [];
    for (let year = input.toYear - input.years + 1; year <= input.toYear; year++) {
      // the syndicate's trend needs only what each line and subscription adds up to, not the split
      const { result } = await computedYear(tx, actor.syndicateId, year, { shares: input.memberId !== undefined });
      const rows = input.memberId ? result.members.filter((m) => m.member.id === input.memberId) : result.members;
      const shared = input.memberId ? rows.reduce((s, m) => s + m.sharedCents, 0n) : result.lines.reduce((s, l) => s + l.allocatedCents, 0n);
      const aLaCarte = rows.reduce((s, m) => s + m.aLaCarteCents, 0n);
      points.push({ year, sharedCents: toNumber(shared), aLaCarteCents: toNumber(aLaCarte), totalCents: toNumber(shared + aLaCarte), members: rows.length });
    }
    return points;
  });
}

const NEWCOMER = 'newcomer:';

/** Applies "what ifs" to a year's data (a copy: nothing is saved). */
function applyChanges(data: YearData, changes: ReturnType<typeof simulateInput.parse>['changes']): YearData {
  const members = [...data.members];
  const lines = data.lines.map((l) => ({ ...l }));
  for (const change of changes) {
    if (change.kind === 'join') {
      if (members.some((m) => m.inseeCode === change.inseeCode && m.spans.some((s) => s.endsOn === null))) {
        throw new ValidationError('changes', `La commune ${change.inseeCode} est déjà membre du syndicat.`);
      }
      const joinsOn = change.joinsOn ?? `${data.year}-01-01`;
      if (!joinsOn.startsWith(`${data.year}-`)) throw new ValidationError('changes', `La date d'adhésion doit tomber en ${data.year}.`);
      members.push({ id: `${NEWCOMER}${change.inseeCode}`, name: change.name, kind: 'commune', inseeCode: change.inseeCode, siren: null,
        population: change.population, agentCount: change.agentCount, spans: [{ startsOn: joinsOn, endsOn: null }] });
    } else {
      const line = lines.find((l) => l.id === change.lineId);
      if (!line) throw new NotFoundError(`La ligne de budget ${change.lineId} n'existe pas en ${data.year}.`);
      if (change.kind === 'scaleLine') line.amountCents = roundHalfUp(line.amountCents * BigInt(10_000 + change.basisPoints), 10_000n);
      else line.key = change.key;
    }
  }
  return { ...data, members, lines };
}

/** `costs.simulate`: the same allocation on changed data, side by side with the current one; nothing is written. */
export async function simulateCosts(db: Db, actor: Actor, raw: SimulateInput): Promise<SimulationResult> {
  const input = simulateInput.parse(raw);
  if (!actor.ability.can('read', asSubject('CostModel', { syndicateId: actor.syndicateId }) as never)) {
    throw new ForbiddenError('Les simulations sont réservées aux finances, aux administrateurs du syndicat et au comité.');
  }
  return withTenant(db, syndicateWide(actor), async (tx) => {
    const { data, result: current } = await computedYear(tx, actor.syndicateId, input.year);
    const changed = applyChanges(data, input.changes);
    const simulated = allocateYear(changed);
    const before = totalsByMember(current);
    const members = simulated.members.map((m) => {
      const isNewcomer = m.member.id.startsWith(NEWCOMER);
      const was = before.get(m.member.id) ?? null;
      return {
        memberId: isNewcomer ? null : m.member.id, name: m.member.name, inseeCode: m.member.inseeCode, isNewcomer,
        currentCents: was === null ? null : toNumber(was), simulatedCents: toNumber(m.totalCents), diffCents: toNumber(m.totalCents - (was ?? 0n)),
      };
    }).sort((a, b) => b.diffCents - a.diffCents || a.name.localeCompare(b.name, 'fr'));
    const joins = input.changes.some((c) => c.kind === 'join');
    const rises = members.filter((m) => !m.isNewcomer && m.diffCents > 0);
    const lineOf = (result: YearResult, id: string) => result.lines.find((l) => l.line.id === id)!;
    return {
      year: input.year,
      changes: input.changes,
      current: totalsOf(current, null),
      simulated: totalsOf(simulated, null),
      lines: current.lines.map((l) => {
        const s = lineOf(simulated, l.line.id);
        return { id: l.line.id, label: l.line.label, currentCents: toNumber(l.allocatedCents), simulatedCents: toNumber(s.allocatedCents), currentKey: l.line.key, simulatedKey: s.line.key, problem: s.problem };
      }),
      members,
      newcomer: joins ? { raisesExisting: rises.length, largestRiseCents: rises.reduce((m, r) => Math.max(m, r.diffCents), 0) } : null,
    };
  });
}

/** `costs.publication.get`: whether the board's table is published to the communes. */
export async function getCostPublication(db: Db, actor: Actor): Promise<{ publishedToMembers: boolean }> {
  return withTenant(db, syndicateWide(actor), async (tx) => {
    reachOf(actor, false);
    return { publishedToMembers: await publishedToMembers(tx) };
  });
}

/** `costs.publication.set`: finance and administrators publish (or withdraw) the board's table to the communes; audited. */
export async function setCostPublication(db: Db, actor: Actor, raw: unknown): Promise<{ publishedToMembers: boolean }> {
  const input = costPublicationInput.parse(raw);
  if (!actor.ability.can('update', asSubject('CostModel', { syndicateId: actor.syndicateId }) as never)) {
    throw new ForbiddenError('Seules les finances et les administrateurs du syndicat publient le tableau des contributions.');
  }
  return withTenant(db, actor.tenant, async (tx) => {
    const before = await publishedToMembers(tx);
    await tx.insertInto('costSettings').values({ syndicateId: actor.syndicateId, publishedToMembers: input.publishedToMembers, updatedBy: actor.userId })
      .onConflict((oc) => oc.column('syndicateId').doUpdateSet({ publishedToMembers: input.publishedToMembers, updatedBy: actor.userId, updatedAt: new Date() })).execute();
    if (before !== input.publishedToMembers) {
      await appendAudit(tx, {
        syndicateId: actor.syndicateId, memberId: null, actorUserId: actor.userId, action: input.publishedToMembers ? 'costs.table_published' : 'costs.table_withdrawn',
        subjectType: 'CostModel', subjectId: actor.syndicateId, before: { publishedToMembers: before }, after: { publishedToMembers: input.publishedToMembers }, ip: actor.ip,
      });
    }
    return { publishedToMembers: input.publishedToMembers };
  });
}

/**
 * `costs.export`: what the actor may see of a year's allocation, as French CSV (for spreadsheets)
 * or as the PDF annex to the board's deliberation. Base64 so it travels through the API.
 */
export async function exportCosts(db: Db, actor: Actor, raw: CostExportInput): Promise<{ filename: string; contentType: string; base64: string }> {
  const input = costExportInput.parse(raw);
  const allocation = await computeAllocation(db, actor, { year: input.year, memberId: input.memberId });
  const suffix = allocation.scope === 'member' && allocation.members.length === 1 ? `-${allocation.members[0]!.inseeCode ?? allocation.members[0]!.siren ?? 'membre'}` : '';
  if (input.format === 'csv') {
    return { filename: `contributions-${input.year}${suffix}.csv`, contentType: 'text/csv; charset=utf-8', base64: Buffer.from(allocationCsv(allocation, input.locale), 'utf8').toString('base64') };
  }
  const pdf = await allocationPdf(allocation, { syndicateName: actor.syndicateName, locale: input.locale, generatedAt: new Date() });
  return { filename: `annexe-contributions-${input.year}${suffix}.pdf`, contentType: 'application/pdf', base64: Buffer.from(pdf).toString('base64') };
}
