/**
 * "Vérifier" and "Réparer" on a real subscription (a database dropped behind the platform's back
 * is flagged, then made again with a new password shown once), and the usage-metering Schedule
 * (created as the worker does, triggered, recording each metric once per day).
 */
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSubscriptionResources, parisToday, requestSubscription, revealSecrets } from '@mutualis/core';
import { sql } from '@mutualis/db';
import { ensureUsageSchedule } from '@mutualis/worker';
import { appDb, closeDbs, superuserDb } from '../../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../../support/factories.ts';
import { startTestWorker, type TestWorker } from '../../support/workers.ts';
import { addOffering, canConnect, footprint, FULL_RECIPE, revealedUrl } from './support.ts';

let worker: TestWorker;
let tenant: TestTenant;
let subscriptionId: string;
const secretKey = process.env.MUTUALIS_SECRET_KEY!;
beforeAll(async () => {
  [worker, tenant] = await Promise.all([startTestWorker('resources', { smtpUrl: process.env.SMTP_URL! }), createTenant({ communes: 1 })]);
  const { offeringId, planId } = await addOffering(tenant.syndicateId, 'intranet', FULL_RECIPE);
  const dsi = await tenant.actorFor('commune_dsi');
  const requested = await requestSubscription(appDb(), await testTemporal(), dsi, { memberId: tenant.members[0]!.id, offeringId, planId, seats: 7 }, worker.taskQueue);
  subscriptionId = requested.subscriptionId;
  await (await testTemporal()).workflow.getHandle(requested.workflowId).result();
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await closeDbs();
});

describe('Vérifier and Réparer', () => {
  it('flags a database dropped behind our back, repairs it with a new password shown once, and finds everything in order after', async () => {
    const dsi = await tenant.actorFor('commune_dsi');
    const first = await revealSecrets(appDb(), dsi, subscriptionId, secretKey);
    const oldUrl = revealedUrl(first[0]!.values);
    const checkIn = (checks: Awaited<ReturnType<typeof checkSubscriptionResources>>) => checks.map((c) => [c.key, c.state, c.repaired]);
    // verify and repair run through the worker: asked on our queue (the web app asks on the stack's).
    const temporal = await testTemporal();
    const check = (repair: boolean) => checkSubscriptionResources(appDb(), temporal, dsi, subscriptionId, repair, worker.taskQueue);

    expect(checkIn(await check(false))).toEqual([['database', 'ready', false], ['sso', 'ready', false], ['endpoint', 'ready', false]]);

    const { databases } = await footprint(subscriptionId);
    await sql`drop database ${sql.id(databases[0]!)} with (force)`.execute(superuserDb());
    const drifted = await check(false);
    expect(checkIn(drifted)).toEqual([['database', 'drifted', false], ['sso', 'ready', false], ['endpoint', 'ready', false]]);
    expect(drifted[0]!.problem).toBe(`La base de données ${databases[0]} n'existe plus sur le serveur d'hébergement.`);
    const recorded = await footprint(subscriptionId);
    expect(recorded.resources.find((r) => r.key === 'database')).toMatchObject({ state: 'drifted', problem: drifted[0]!.problem });

    const repaired = await check(true);
    expect(checkIn(repaired)).toEqual([['database', 'ready', true], ['sso', 'ready', false], ['endpoint', 'ready', false]]);
    const after = await footprint(subscriptionId);
    expect(after.databases).toEqual(databases);
    expect(after.resources.find((r) => r.key === 'database')).toMatchObject({ state: 'ready', problem: null });
    // The old password was shown and then forgotten: the remade database has a new one, shown once.
    const second = await revealSecrets(appDb(), dsi, subscriptionId, secretKey);
    expect(second.map((s) => s.resourceKey)).toEqual(['database']);
    const newUrl = revealedUrl(second[0]!.values);
    expect(newUrl).not.toBe(oldUrl);
    expect(await canConnect(newUrl)).toBe(true);
    expect(await canConnect(oldUrl)).toBe(false);
    expect(checkIn(await check(false))).toEqual([['database', 'ready', false], ['sso', 'ready', false], ['endpoint', 'ready', false]]);
    const audit = await superuserDb().selectFrom('auditEvents').select('action').where('subjectId', '=', subscriptionId).where('action', 'in', ['subscription.checked', 'subscription.repaired']).execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['subscription.checked', 'subscription.checked', 'subscription.checked', 'subscription.repaired']);
  });
});

describe('change of plan', () => {
  it('closes the current billing period yesterday and opens one today with the new plan; a second change the same day replaces it', async () => {
    const owner = superuserDb();
    const dsi = await tenant.actorFor('commune_dsi');
    const { caller } = tenant.caller(dsi);
    const sub = await owner.selectFrom('subscriptions').select(['offeringId', 'planId']).where('id', '=', subscriptionId).executeTakeFirstOrThrow();
    const bigger = await owner.insertInto('offeringPlans').values({ syndicateId: tenant.syndicateId, offeringId: sub.offeringId, code: 'plus', nameFr: 'Plus', nameEn: 'Plus' })
      .returning('id').executeTakeFirstOrThrow();
    await owner.insertInto('planPrices').values({ syndicateId: tenant.syndicateId, planId: bigger.id, effectiveFrom: '2026-01-01', annualFixedCents: 20_000, perUserCents: 500, perGbCents: 0, perInhabitantCents: 0 }).execute();
    // The service has been running since the 1st of the month.
    await owner.updateTable('subscriptionPeriods').set({ startsOn: '2026-11-01' }).where('subscriptionId', '=', subscriptionId).execute();
    const today = parisToday();

    expect(await caller.subscriptions.changePlan({ id: subscriptionId, planId: bigger.id, seats: 10 })).toEqual({ annualCents: 20_000 + 10 * 500 });
    const periods = () => owner.selectFrom('subscriptionPeriods').select(['planId', 'seats', 'startsOn', 'endsOn']).where('subscriptionId', '=', subscriptionId).orderBy('startsOn').execute();
    const yesterday = new Date(Date.parse(`${today}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(await periods()).toEqual([
      { planId: sub.planId, seats: 7, startsOn: '2026-11-01', endsOn: yesterday },
      { planId: bigger.id, seats: 10, startsOn: today, endsOn: null },
    ]);
    await caller.subscriptions.changePlan({ id: subscriptionId, planId: bigger.id, seats: 12 });
    expect((await periods()).map((p) => [p.seats, p.startsOn, p.endsOn])).toEqual([[7, '2026-11-01', yesterday], [12, today, null]]);
    // Nothing to change is said so, and a plan of another offering is refused.
    await expect(caller.subscriptions.changePlan({ id: subscriptionId, planId: bigger.id, seats: 12 })).rejects.toThrow("C'est déjà le plan et les quantités de cet abonnement.");
    await expect(caller.subscriptions.changePlan({ id: subscriptionId, planId: tenant.members[0]!.id })).rejects.toThrow("Ce plan n'est pas un plan de ce service.");
  });
});

describe('usage metering', () => {
  it('the daily Schedule records each metric of each active subscription once per day', async () => {
    const scheduleId = `usage-test-${randomUUID()}`;
    const handle = await ensureUsageSchedule(worker.running.connection, { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: worker.taskQueue }, scheduleId);
    try {
      // Made again (every worker start does it): still one schedule, updated in place.
      await ensureUsageSchedule(worker.running.connection, { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: worker.taskQueue }, scheduleId);
      const description = await handle.describe();
      expect(description.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 23, end: 23, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
      expect(description.spec.timezone).toBe('Europe/Paris');

      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
      const records = () => superuserDb().selectFrom('usageRecords').select(['metric', 'quantity', 'day']).where('subscriptionId', '=', subscriptionId).orderBy('metric').execute();
      await handle.trigger();
      const deadline = Date.now() + 30_000;
      while ((await records()).length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      const first = await records();
      expect(first.map((r) => [r.metric, r.day])).toEqual([['inhabitants', today], ['seats', today], ['storage_bytes', today], ['users', today]]);
      const q = Object.fromEntries(first.map((r) => [r.metric, Number(r.quantity)]));
      expect(q.seats).toBe(12); // after the change of plan above
      expect(q.inhabitants).toBe(tenant.members[0]!.population);
      expect(q.users).toBe(3); // the commune's DSI, agent and elected official
      expect(q.storage_bytes).toBeGreaterThan(1_000_000);

      // A second run the same day corrects the day's figures, never adds rows.
      const runsBefore = (await handle.describe()).info.recentActions.length;
      await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      while ((await handle.describe()).info.recentActions.length <= runsBefore && Date.now() < deadline + 30_000) await new Promise((resolve) => setTimeout(resolve, 200));
      const last = (await handle.describe()).info.recentActions.at(-1)!;
      await (await testTemporal()).workflow.getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId).result();
      expect((await records()).length).toBe(4);
    } finally {
      await handle.delete();
    }
  }, 120_000); // the run measures every syndicate of the shared test database, while the other files run
});
