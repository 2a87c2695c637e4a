/**
 * Benchmark: members.list / members.get at the scale target (all 34,969 French communes as members
 * of one syndicate), through the real tRPC caller, CASL → SQL and row-level security.
 * Baseline, measured in the same run: a tenant-scoped transaction doing `select 1` (the fixed cost
 * of one request's database round trips). Prints p50/p95 in ms and the ratio to the baseline.
 * Run: npm run bench
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createCaller } from '@mutualis/api';
import { buildActor, memberSearchText, referenceCommunes, type Actor } from '@mutualis/core';
import { createDb, OWNER_ROLE, sql, withTenant } from '@mutualis/db';

const adminUrl = process.env.DATABASE_URL!;
const appUrl = process.env.APP_DATABASE_URL!;
const owner = createDb(adminUrl, { setRole: OWNER_ROLE, max: 2 });
const db = createDb(appUrl, { max: 4 });

const communes = [...referenceCommunes().values()];
const syndicateId = randomUUID();
const t0 = performance.now();
await owner.insertInto('syndicates').values({ id: syndicateId, slug: `bench-${syndicateId.slice(0, 8)}`, name: 'Syndicat de mesure' }).execute();
for (let i = 0; i < communes.length; i += 2000) {
  await owner.insertInto('members').values(communes.slice(i, i + 2000).map((c) => ({
    syndicateId, kind: 'commune' as const, name: c.name, inseeCode: c.inseeCode, siren: c.siren, population: c.population,
    agentCount: Math.round(c.population / 40), status: 'active' as const, searchText: memberSearchText({ name: c.name, inseeCode: c.inseeCode, siren: c.siren }),
  }))).execute();
}
await sql`analyze members`.execute(owner);
const one = await owner.selectFrom('members').select('id').where('syndicateId', '=', syndicateId).where('inseeCode', '=', '69259').executeTakeFirstOrThrow();
console.log(`loaded ${communes.length} members in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const base = { syndicateName: 'Syndicat de mesure', email: 'bench@example.org', displayName: 'Bench', sessionId: randomUUID(), ip: '127.0.0.1', amr: ['pwd', 'otp'] };
const admin: Actor = buildActor({ ...base, userId: randomUUID(), syndicateId, memberships: [{ id: randomUUID(), role: 'syndicate_admin', memberId: null, memberName: null }] });
const dsi: Actor = buildActor({ ...base, userId: randomUUID(), syndicateId, memberships: [{ id: randomUUID(), role: 'commune_dsi', memberId: one.id, memberName: 'Vénissieux' }] });
const ctx = (actor: Actor) => ({
  db, actor, meta: { ip: '127.0.0.1', userAgent: 'bench' }, sessionCookie: { get: () => undefined, set() {}, clear() {} },
  temporal: () => Promise.reject(new Error('members.* needs no Temporal')),
});
const asAdmin = createCaller(ctx(admin));
const asDsi = createCaller(ctx(dsi));
const page100Cursor = await (async () => {
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) cursor = (await asAdmin.members.list({ limit: 50, cursor })).nextCursor;
  return cursor;
})();

async function measure(name: string, fn: () => Promise<unknown>, runs = 200): Promise<{ name: string; p50: number; p95: number }> {
  for (let i = 0; i < 20; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { name, p50: times[Math.floor(runs * 0.5)]!, p95: times[Math.floor(runs * 0.95)]! };
}

const baseline = await measure('baseline: tenant transaction + select 1', () => withTenant(db, admin.tenant, (tx) => sql`select 1`.execute(tx)));
const results = [
  await measure('members.list, first page of 50 (syndicate admin)', () => asAdmin.members.list({ limit: 50 })),
  await measure('members.list, page 101 by cursor', () => asAdmin.members.list({ limit: 50, cursor: page100Cursor })),
  await measure('members.list, search "saint" (accents ignored)', () => asAdmin.members.list({ limit: 50, search: 'saint' })),
  await measure('members.list, search by INSEE code 69259', () => asAdmin.members.list({ limit: 50, search: '69259' })),
  await measure('members.list as a commune DSI (own commune only)', () => asDsi.members.list({ limit: 50 })),
  await measure('members.get', () => asAdmin.members.get({ id: one.id })),
];

console.log(`\nmembers at the scale target: ${communes.length} members in one syndicate, ${200} runs each (after 20 warm-up)\n`);
console.log(`${'operation'.padEnd(52)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p95 / baseline'.padStart(15)}`);
for (const r of [baseline, ...results]) {
  console.log(`${r.name.padEnd(52)} ${r.p50.toFixed(2).padStart(8)} ${r.p95.toFixed(2).padStart(8)} ${(r.p95 / baseline.p95).toFixed(1).padStart(14)}x`);
}
console.log(`\ntarget: p95 under 100 ms for lists — ${results.every((r) => r.p95 < 100) ? 'met' : 'NOT met'} on this machine`);

await owner.deleteFrom('members').where('syndicateId', '=', syndicateId).execute();
await owner.deleteFrom('syndicates').where('id', '=', syndicateId).execute();
await Promise.all([owner.destroy(), db.destroy()]);
