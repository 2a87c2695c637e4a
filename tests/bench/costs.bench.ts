/**
 * Benchmark: the cost allocation of a year at the scale target — all 34,969 French communes as
 * members of one syndicate, 30 budget lines (population, agents, equal, 70/30 mixes, a usage key),
 * 1 % of members joining during the year on 12 different days (so the year has 13 segments),
 * and 7,000 à-la-carte subscriptions.
 * Baseline, measured in the same run: the same 30 lines split naively in floating point
 * (amount × key / total, rounded each; shares do not add up) — what exactness costs over it.
 * Prints the median and worst of 5 runs in ms and the ratios.
 * Run: npm run bench -- costs
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createCaller } from '@mutualis/api';
import type { AllocationKey } from '@mutualis/contracts';
import { allocateYear, buildActor, loadYearData, memberSearchText, referenceCommunes, type Actor } from '@mutualis/core';
import { seedCatalog } from '@mutualis/core/seed';
import { createDb, OWNER_ROLE, sql, withTenant } from '@mutualis/db';

const adminUrl = process.env.DATABASE_URL!;
const appUrl = process.env.APP_DATABASE_URL!;
const owner = createDb(adminUrl, { setRole: OWNER_ROLE, max: 2 });
const db = createDb(appUrl, { max: 4 });
const YEAR = 2026;

const communes = [...referenceCommunes().values()];
const syndicateId = randomUUID();
const t0 = performance.now();
await owner.insertInto('syndicates').values({ id: syndicateId, slug: `bench-${syndicateId.slice(0, 8)}`, name: 'Syndicat de mesure' }).execute();
await seedCatalog(owner, syndicateId);
const ids: string[] = [];
for (let i = 0; i < communes.length; i += 2000) {
  const rows = await owner.insertInto('members').values(communes.slice(i, i + 2000).map((c) => ({
    syndicateId, kind: 'commune' as const, name: c.name, inseeCode: c.inseeCode, siren: c.siren, population: c.population,
    agentCount: Math.max(1, Math.round(c.population / 40)), status: 'active' as const, searchText: memberSearchText({ name: c.name, inseeCode: c.inseeCode, siren: c.siren }),
  }))).returning('id').execute();
  ids.push(...rows.map((r) => r.id));
}
// 1 % join during the year, on the 1st of a month (12 dates); the others belong all year.
const joinDay = (i: number) => (i % 100 === 0 ? `${YEAR}-${String(1 + ((i / 100) % 12)).padStart(2, '0')}-01` : '2020-01-01');
for (let i = 0; i < ids.length; i += 5000) {
  await owner.insertInto('costShares').values(ids.slice(i, i + 5000).map((memberId, k) => ({ syndicateId, memberId, startsOn: joinDay(i + k) }))).execute();
}
// À la carte: every fifth member subscribes to the mail offering from a day of the year; SSO usage recorded for all.
const offering = await owner.selectFrom('offerings').innerJoin('offeringPlans', 'offeringPlans.offeringId', 'offerings.id')
  .select(['offerings.id as offeringId', 'offeringPlans.id as planId']).where('offerings.syndicateId', '=', syndicateId).where('offerings.slug', '=', 'messagerie').executeTakeFirstOrThrow();
const sso = await owner.selectFrom('offerings').innerJoin('offeringPlans', 'offeringPlans.offeringId', 'offerings.id')
  .select(['offerings.id as offeringId', 'offeringPlans.id as planId']).where('offerings.syndicateId', '=', syndicateId).where('offerings.slug', '=', 'sso').executeTakeFirstOrThrow();
for (let i = 0; i < ids.length; i += 5000) {
  const chunk = ids.slice(i, i + 5000);
  const subs = await owner.insertInto('subscriptions').values(chunk.map((memberId) => ({ syndicateId, memberId, offeringId: sso.offeringId, planId: sso.planId, seats: 5, storageGb: 0, status: 'active' as const })))
    .returning(['id', 'memberId']).execute();
  await owner.insertInto('usageRecords').values(subs.map((s, k) => ({ syndicateId, memberId: s.memberId, subscriptionId: s.id, day: `${YEAR}-06-30`, metric: 'users', quantity: 1 + ((i + k) % 37) }))).execute();
  const mail = chunk.filter((_, k) => (i + k) % 5 === 0);
  const mailSubs = await owner.insertInto('subscriptions').values(mail.map((memberId) => ({ syndicateId, memberId, offeringId: offering.offeringId, planId: offering.planId, seats: 8, storageGb: 0, status: 'active' as const })))
    .returning(['id', 'memberId']).execute();
  await owner.insertInto('subscriptionPeriods').values(mailSubs.map((s, k) => ({ syndicateId, memberId: s.memberId, subscriptionId: s.id, planId: offering.planId, seats: 8, storageGb: 0, startsOn: `${YEAR}-${String(1 + (k % 12)).padStart(2, '0')}-15` }))).execute();
}
const keys: AllocationKey[] = [
  { kind: 'population' }, { kind: 'agents' }, { kind: 'equal' },
  { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] },
  { kind: 'usage', offering: 'sso', metric: 'users' },
];
await owner.insertInto('budgetLines').values(Array.from({ length: 30 }, (_, i) => ({
  syndicateId, year: YEAR, label: `Ligne ${String(i + 1).padStart(2, '0')}`, amountCents: 50_000_000 + i * 12_345_679, allocationKey: JSON.stringify(keys[i % keys.length]),
}))).execute();
await sql`analyze`.execute(owner);
console.log(`loaded ${ids.length} members, 30 lines, ${Math.ceil(ids.length / 5)} à-la-carte subscriptions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const finance: Actor = buildActor({
  syndicateName: 'Syndicat de mesure', email: 'bench@example.org', displayName: 'Bench', sessionId: randomUUID(), ip: '127.0.0.1', amr: ['pwd', 'otp', 'mfa'],
  userId: randomUUID(), syndicateId, memberships: [{ id: randomUUID(), role: 'syndicate_finance', memberId: null, memberName: null }],
});
const caller = createCaller({
  db, actor: finance, meta: { ip: '127.0.0.1', userAgent: 'bench' }, sessionCookie: { get: () => undefined, set() {}, clear() {} },
  temporal: () => Promise.reject(new Error('costs.* needs no Temporal')),
});

const bump = () => owner.updateTable('budgetLines').set({ updatedAt: new Date() }).where('syndicateId', '=', syndicateId).where('label', '=', 'Ligne 01').execute();

async function measure(name: string, fn: () => unknown, runs = 5): Promise<{ name: string; median: number; worst: number }> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { name, median: times[Math.floor(runs / 2)]!, worst: times[runs - 1]! };
}

const data = await withTenant(db, finance.tenant, (tx) => loadYearData(tx, YEAR));
const naive = () => {
  // the baseline: floating point, each share rounded on its own (no exactness, no prorata, no tie rule)
  const population = data.members.map((m) => m.population);
  const total = population.reduce((s, x) => s + x, 0);
  let sum = 0;
  for (const line of data.lines) {
    const amount = Number(line.amountCents);
    for (const p of population) sum += Math.round((amount * p) / total);
  }
  return sum;
};
const result = allocateYear(data);
const problems = result.lines.filter((l) => l.problem !== null);
if (problems.length) throw new Error(`lines not split: ${problems.map((l) => l.problem).join('; ')}`);
const exact = result.lines.every((l) => BigInt(l.shares!.reduce((s, x) => s + x, 0)) === l.line.amountCents);

const baseline = await measure('baseline: naive floating-point split of 30 lines', naive);
const results = [
  await measure('reading the year (loadYearData, one transaction)', () => withTenant(db, finance.tenant, (tx) => loadYearData(tx, YEAR))),
  await measure('allocateYear: 30 lines + à la carte, exact (engine)', () => allocateYear(data)),
  await measure('a year: read + allocate', () => withTenant(db, finance.tenant, async (tx) => allocateYear(await loadYearData(tx, YEAR)))),
  // a change to the data (here: a no-op update bumping the cost data version) makes the next call compute again
  await measure('costs.allocation API (this year and last), after a change', async () => { await bump(); return caller.costs.allocation({ year: YEAR }); }),
  await measure('costs.trend API, five years, syndicate-wide, after a change', async () => { await bump(); return caller.costs.trend({ toYear: YEAR, years: 5 }); }),
  await measure('costs.allocation API again, nothing changed (kept)', () => caller.costs.allocation({ year: YEAR })),
];

console.log(`\ncost allocation at the scale target: ${result.members.length} members, ${result.lines.length} lines, 13 segments of the year; 5 runs each (after 1 warm-up)`);
console.log(`every line adds up to its amount to the cent: ${exact ? 'yes' : 'NO'}\n`);
console.log(`${'operation'.padEnd(58)} ${'median ms'.padStart(10)} ${'worst ms'.padStart(9)} ${'median / baseline'.padStart(18)}`);
for (const r of [baseline, ...results]) {
  console.log(`${r.name.padEnd(58)} ${r.median.toFixed(1).padStart(10)} ${r.worst.toFixed(1).padStart(9)} ${(r.median / baseline.median).toFixed(1).padStart(17)}x`);
}
const year = results[2]!;
console.log(`\ntarget: a year's allocation for every member under 1 s — ${year.worst < 1000 ? 'met' : 'NOT met'} on this machine (worst ${year.worst.toFixed(0)} ms, read + allocate)`);

for (const table of ['usageRecords', 'subscriptionPeriods', 'subscriptions', 'costShares', 'budgetLines'] as const) {
  await owner.deleteFrom(table).where('syndicateId', '=', syndicateId).execute();
}
await owner.deleteFrom('members').where('syndicateId', '=', syndicateId).execute();
await owner.deleteFrom('planPrices').where('syndicateId', '=', syndicateId).execute();
await owner.deleteFrom('offeringPlans').where('syndicateId', '=', syndicateId).execute();
await owner.deleteFrom('offerings').where('syndicateId', '=', syndicateId).execute();
await owner.deleteFrom('syndicates').where('id', '=', syndicateId).execute();
await Promise.all([owner.destroy(), db.destroy()]);
