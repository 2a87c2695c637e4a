/**
 * Benchmark: onboarding throughput. 1,000 communes of the official reference are onboarded into a
 * fresh syndicate through the service (requestOnboarding: checks, member row, run row, audit event
 * and the workflow start in one transaction), each WITH a DSI invited by mail, the mails going to an
 * SMTP sink in this process; one in-process worker on a task queue of its own runs them. The run is
 * timed from the first request to the last completion.
 *
 * Baseline, measured in the same run on the same server and worker: 1,000 runs of `noopWorkflow`
 * (one workflow task, no activity). The ratio says what share of the throughput our steps take:
 * the scale target is "onboarding bound by Temporal, not by our code".
 *
 * Run: npm run bench -- onboarding   (BENCH_ONBOARD_COUNT, BENCH_WORKERS, BENCH_CONCURRENCY to change it)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { WorkflowProgress } from '@mutualis/contracts';
import { buildActor, referenceCommunes, requestOnboarding, type Actor } from '@mutualis/core';
import { createDb, OWNER_ROLE } from '@mutualis/db';
import { closeTemporalClient } from '@mutualis/temporal';
import type { noopWorkflow } from '@mutualis/workflows/workflows';
import { testTemporal } from '../support/factories.ts';
import { startTestSink } from '../support/smtp.ts';
import { newTaskQueue, startTestWorker } from '../support/workers.ts';

const COUNT = Number(process.env.BENCH_ONBOARD_COUNT ?? 1000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
/** How many requests are in flight at once (the web app's concurrent users). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);

const owner = createDb(process.env.DATABASE_URL!, { setRole: OWNER_ROLE, max: 2 });
const db = createDb(process.env.APP_DATABASE_URL!, { max: CONCURRENCY + 2, applicationName: 'mutualis-bench' });
const temporal = await testTemporal();

// A fresh syndicate, with one operator (told of each activation by mail).
const syndicateId = randomUUID();
const slug = `bench-onboard-${syndicateId.slice(0, 8)}`;
await owner.insertInto('syndicates').values({ id: syndicateId, slug, name: 'Syndicat de mesure (adhésions)' }).execute();
const operator = await owner.insertInto('users').values({ syndicateId, email: `operateur.${slug}@bench.example`, displayName: 'Opérateur', passwordHash: null, status: 'active' })
  .returning('id').executeTakeFirstOrThrow();
const membership = await owner.insertInto('memberships').values({ syndicateId, userId: operator.id, memberId: null, role: 'syndicate_operator' }).returning('id').executeTakeFirstOrThrow();
const actor: Actor = buildActor({
  userId: operator.id, syndicateId, syndicateName: 'Syndicat de mesure (adhésions)', email: `operateur.${slug}@bench.example`, displayName: 'Opérateur', amr: ['pwd', 'otp'],
  sessionId: randomUUID(), ip: '127.0.0.1', memberships: [{ id: membership.id, role: 'syndicate_operator', memberId: null, memberName: null }],
});

const sink = await startTestSink();
const taskQueue = newTaskQueue('bench-onboard');
// Each worker gets a pool as large as the activities it may run at once would want, so the database pool is not the limit.
const workerDbs = Array.from({ length: WORKERS }, () => createDb(process.env.APP_DATABASE_URL!, { max: 20, applicationName: 'mutualis-bench-worker' }));
const workers = await Promise.all(workerDbs.map((workerDb, i) => startTestWorker(`bench-${i}`, { smtpUrl: sink.url, taskQueue, db: workerDb })));

/** Runs `count` jobs with `CONCURRENCY` in flight; returns how long the starts took, then how long until every run ended. */
async function measure(count: number, start: (i: number) => Promise<string>): Promise<{ startsS: number; totalS: number; results: unknown[] }> {
  const t0 = performance.now();
  const ids: string[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      const i = next++;
      ids[i] = await start(i);
    }
  }));
  const startsS = (performance.now() - t0) / 1000;
  const results = await Promise.all(ids.map((id) => temporal.workflow.getHandle(id).result()));
  return { startsS, totalS: (performance.now() - t0) / 1000, results };
}

const noop = (i: number, tag: string) => temporal.workflow.start<typeof noopWorkflow>('noopWorkflow', { taskQueue, workflowId: `bench:noop:${tag}:${i}:${randomUUID()}`, args: [] })
  .then((h) => h.workflowId);

// Warm-up: the worker's caches, the connections, the server's task queue.
await measure(50, (i) => noop(i, 'warmup'));

const baseline = await measure(COUNT, (i) => noop(i, 'baseline'));

const communes = [...referenceCommunes().values()].filter((c) => c.siren).slice(0, COUNT);
if (communes.length < COUNT) throw new Error(`Only ${communes.length} communes with a SIREN in the reference.`);
const onboarding = await measure(COUNT, async (i) => {
  const c = communes[i]!;
  const { workflowId } = await requestOnboarding(db, temporal, actor, {
    kind: 'commune', inseeCode: c.inseeCode, dsi: { email: `dsi.${c.inseeCode.toLowerCase()}.${slug}@bench.example`, name: `DSI de ${c.name}` },
  }, taskQueue);
  return workflowId;
});

// Everything really happened: every run completed, every member active, every mail accepted once.
const states = new Map<string, number>();
for (const r of onboarding.results as WorkflowProgress[]) states.set(r.state, (states.get(r.state) ?? 0) + 1);
const active = await owner.selectFrom('members').select((eb) => eb.fn.countAll<string>().as('n')).where('syndicateId', '=', syndicateId).where('status', '=', 'active').executeTakeFirstOrThrow();
const invitationMails = sink.accepted.filter((m) => m.to.some((t) => t.startsWith('dsi.'))).length;
const noticeMails = sink.accepted.length - invitationMails;

const rate = (n: number, s: number) => n / s;
const line = (name: string, r: { startsS: number; totalS: number }) =>
  `${name.padEnd(46)} ${r.startsS.toFixed(1).padStart(9)} ${r.totalS.toFixed(1).padStart(9)} ${rate(COUNT, r.totalS).toFixed(1).padStart(12)}`;
console.log(`\nonboarding throughput: ${COUNT} runs each, ${WORKERS} in-process worker(s), ${CONCURRENCY} requests in flight, Temporal at ${process.env.TEMPORAL_ADDRESS}\n`);
console.log(`${'runs'.padEnd(46)} ${'starts s'.padStart(9)} ${'total s'.padStart(9)} ${'workflows/s'.padStart(12)}`);
console.log(line('baseline: noopWorkflow (no activity)', baseline));
console.log(line('onboardMember with a DSI invited by mail', onboarding));
console.log(`\nratio onboarding / baseline: ${(rate(COUNT, onboarding.totalS) / rate(COUNT, baseline.totalS)).toFixed(3)} `
  + `(${(onboarding.totalS / baseline.totalS).toFixed(1)}x the time of a no-op run; each onboarding runs 9 activities)`);
console.log(`requests (service + workflow start): ${rate(COUNT, onboarding.startsS).toFixed(1)}/s`);
console.log(`checks: runs ${JSON.stringify(Object.fromEntries(states))}, members active ${active.n}/${COUNT}, invitation mails ${invitationMails}, operator notices ${noticeMails}`);
const ok = states.get('completed') === COUNT && Number(active.n) === COUNT && invitationMails === COUNT && noticeMails === COUNT;

for (const w of workers) await w.stop();
await sink.stop();
await Promise.all([...workerDbs, owner, db].map((d) => d.destroy()));
await closeTemporalClient();
if (!ok) {
  console.error('The benchmark runs did not all complete as expected: the figures above are not valid.');
  process.exit(1);
}
