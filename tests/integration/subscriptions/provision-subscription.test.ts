/**
 * Subscriptions through the services and a real worker (ours, on its own task queue) against the
 * real Temporal server and the real hosting cluster: approval and refusal, a failed step that
 * removes what earlier steps made, cancellation with its grace period (taken back, then to the end).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionWorkflowId, type WorkflowProgress } from '@mutualis/contracts';
import {
  cancelSubscription, decideSubscription, getSubscription, keepSubscriptionAfterCancel, requestSubscription, revealSecrets,
} from '@mutualis/core';
import { appDb, closeDbs, superuserDb } from '../../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../../support/factories.ts';
import { startTestWorker, waitForProgress, type TestWorker } from '../../support/workers.ts';
import { canConnect, footprint, revealedUrl, stateOf } from './support.ts';

let worker: TestWorker;
let tenant: TestTenant;
const secretKey = process.env.MUTUALIS_SECRET_KEY!;
beforeAll(async () => {
  [worker, tenant] = await Promise.all([startTestWorker('subscriptions', { smtpUrl: process.env.SMTP_URL! }), createTenant({ communes: 3, catalog: true })]);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await closeDbs();
});

const result = async (workflowId: string): Promise<WorkflowProgress> => (await testTemporal()).workflow.getHandle(workflowId).result();

describe('provisionSubscription', () => {
  it('a request that needs approval waits for the syndicate; approved, it provisions the recipe and the DSI sees each secret once', async () => {
    const member = tenant.members[0]!;
    const dsi = await tenant.actorFor('commune_dsi');
    const operator = await tenant.actorFor('syndicate_operator');
    const temporal = await testTemporal();
    const fichiers = tenant.offerings.fichiers!;
    const requested = await requestSubscription(appDb(), temporal, dsi, { memberId: member.id, offeringId: fichiers.id, planId: fichiers.plans.essentiel!, seats: 12, storageGb: 50 }, worker.taskQueue);
    expect(requested).toMatchObject({ workflowId: provisionWorkflowId(requested.subscriptionId), requiresApproval: true, annualCents: 12 * 2_400 + 50 * 120 });

    const { caller } = tenant.caller(dsi);
    const waiting = await waitForProgress(caller, requested.workflowId, (p) => stateOf(p, 'approval') === 'running');
    expect(waiting.steps.map((s) => s.key)).toEqual(['approval', 'database', 'sso', 'endpoint', 'activate']);
    expect(waiting.steps[0]!.note).toBe('en attente de la décision du syndicat');
    expect((await footprint(requested.subscriptionId)).sub?.status).toBe('requested');
    // The DSI cannot decide on their own request.
    await expect(decideSubscription(appDb(), temporal, dsi, { id: requested.subscriptionId, decision: 'approve' })).rejects.toThrow(/Votre rôle ne permet pas/);

    await decideSubscription(appDb(), temporal, operator, { id: requested.subscriptionId, decision: 'approve', reason: 'Budget voté' });
    const done = await result(requested.workflowId);
    expect(done.state).toBe('completed');
    expect(done.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(done.steps[0]!.note).toBe('approuvée : Budget voté');

    const made = await footprint(requested.subscriptionId);
    expect(made.sub).toMatchObject({ status: 'active', decisionReason: 'Budget voté' });
    expect(made.resources.map((r) => [r.key, r.state])).toEqual([['database', 'ready'], ['sso', 'ready'], ['endpoint', 'ready']]);
    expect(made.databases).toHaveLength(1);
    expect(made.roles).toEqual(made.databases);
    expect(made.clients).toHaveLength(1);
    expect(made.clients[0]!.memberId).toBe(member.id);
    expect(made.endpoints).toHaveLength(1);
    expect(made.endpoints[0]!.url).toMatch(new RegExp(`^https://fichiers\\.commune-1-${tenant.tag}\\.mutualis\\.localhost$`));
    expect(made.clients[0]!.redirectUris).toEqual([`${made.endpoints[0]!.url}/oidc/callback`]);
    expect(made.periods).toHaveLength(1);
    // Secrets are kept encrypted until shown: never the plain password in the row.
    expect(made.resources.filter((r) => r.secretCiphertext).map((r) => r.key)).toEqual(['database', 'sso']);

    const detail = await getSubscription(appDb(), dsi, requested.subscriptionId);
    expect(detail).toMatchObject({ status: 'active', url: made.endpoints[0]!.url, canRevealSecrets: true, annualCents: 12 * 2_400 + 50 * 120 });
    // The operator sees the subscription but not its secrets.
    await expect(revealSecrets(appDb(), operator, requested.subscriptionId, secretKey)).rejects.toThrow(/Seul le DSI/);
    const secrets = await revealSecrets(appDb(), dsi, requested.subscriptionId, secretKey);
    expect(secrets.map((s) => s.resourceKey)).toEqual(['database', 'sso']);
    expect(await canConnect(revealedUrl(secrets[0]!.values))).toBe(true);
    expect(await revealSecrets(appDb(), dsi, requested.subscriptionId, secretKey).catch((e: Error) => e.message)).toMatch(/déjà été affichés/);
    expect((await footprint(requested.subscriptionId)).resources.every((r) => r.secretCiphertext === null)).toBe(true);
  });

  it('refused with a reason: the DSI sees the reason, nothing is made', async () => {
    const member = tenant.members[1]!;
    const dsi = await tenant.addUser('commune_dsi', member.id).then((u) => tenant.actorFor(u));
    const admin = await tenant.actorFor('syndicate_admin');
    const temporal = await testTemporal();
    const ged = tenant.offerings.ged!;
    const requested = await requestSubscription(appDb(), temporal, dsi, { memberId: member.id, offeringId: ged.id, planId: Object.values(ged.plans)[0]! }, worker.taskQueue);
    const { caller } = tenant.caller(dsi);
    await waitForProgress(caller, requested.workflowId, (p) => stateOf(p, 'approval') === 'running');
    await expect(decideSubscription(appDb(), temporal, admin, { id: requested.subscriptionId, decision: 'refuse', reason: '' } as never)).rejects.toThrow(/raison du refus/);
    await decideSubscription(appDb(), temporal, admin, { id: requested.subscriptionId, decision: 'refuse', reason: 'Pas de budget cette année' });
    const done = await result(requested.workflowId);
    expect(done.steps.map((s) => s.state)).toEqual(['done', ...done.steps.slice(1).map(() => 'skipped')]);
    expect(done.steps[0]!.note).toBe('refusée : Pas de budget cette année');
    const after = await footprint(requested.subscriptionId);
    expect(after.sub).toMatchObject({ status: 'refused', decisionReason: 'Pas de budget cette année' });
    expect([after.resources, after.clients, after.endpoints, after.databases, after.periods]).toEqual([[], [], [], [], []]);
    expect((await getSubscription(appDb(), dsi, requested.subscriptionId)).decisionReason).toBe('Pas de budget cette année');
    // Decided once: a second decision is refused.
    await expect(decideSubscription(appDb(), temporal, admin, { id: requested.subscriptionId, decision: 'approve' })).rejects.toThrow(/n'attend plus de décision/);
  });

  it('a failure in step 2 removes what step 1 made; once the cause is fixed, "retry" provisions again from the start', async () => {
    const member = tenant.members[2]!;
    const owner = superuserDb();
    // An offering with no approval: a database, then the instance address.
    const offering = await owner.insertInto('offerings').values({
      syndicateId: tenant.syndicateId, slug: 'agenda', kind: 'application', nameFr: 'Agenda partagé', nameEn: 'Shared calendar', descriptionFr: 'Agendas des services.',
      descriptionEn: 'Department calendars.', requiresApproval: false, isDefault: false,
      recipe: JSON.stringify([{ key: 'database', kind: 'postgres-database' }, { key: 'endpoint', kind: 'app-endpoint' }]),
    }).returning('id').executeTakeFirstOrThrow();
    const plan = await owner.insertInto('offeringPlans').values({ syndicateId: tenant.syndicateId, offeringId: offering.id, code: 'std', nameFr: 'Standard', nameEn: 'Standard' }).returning('id').executeTakeFirstOrThrow();
    await owner.insertInto('planPrices').values({ syndicateId: tenant.syndicateId, planId: plan.id, effectiveFrom: '2026-01-01', annualFixedCents: 0, perUserCents: 600, perGbCents: 0, perInhabitantCents: 0 }).execute();
    // The address the instance would get is already taken (a leftover with no subscription).
    const hostname = `agenda.commune-3-${tenant.tag}.mutualis.localhost`;
    await owner.insertInto('appEndpoints').values({ syndicateId: tenant.syndicateId, memberId: member.id, subscriptionId: null, hostname, url: `https://${hostname}` }).execute();

    const operator = await tenant.actorFor('syndicate_operator');
    const { caller } = tenant.caller(operator);
    const requested = await requestSubscription(appDb(), await testTemporal(), operator, { memberId: member.id, offeringId: offering.id, planId: plan.id }, worker.taskQueue);
    const failed = await waitForProgress(caller, requested.workflowId, (p) => p.state === 'waiting');
    expect(failed.steps.map((s) => s.state)).toEqual(['skipped', 'compensated', 'failed', 'pending']);
    expect(failed.steps[2]!.error).toBe(`L'adresse https://${hostname} est déjà utilisée par une autre instance : libérez-la ou demandez au syndicat de choisir un autre nom.`);
    const rolledBack = await footprint(requested.subscriptionId);
    expect(rolledBack.sub?.status).toBe('failed');
    expect(rolledBack.databases).toEqual([]);
    expect(rolledBack.roles).toEqual([]);
    expect(rolledBack.resources.map((r) => [r.key, r.state])).toEqual([['database', 'removed'], ['endpoint', 'removed']]);

    await owner.deleteFrom('appEndpoints').where('hostname', '=', hostname).execute();
    await caller.workflows.retry({ workflowId: requested.workflowId });
    const done = await result(requested.workflowId);
    expect(done.steps.map((s) => s.state)).toEqual(['skipped', 'done', 'done', 'done']);
    const made = await footprint(requested.subscriptionId);
    expect(made.sub?.status).toBe('active');
    expect(made.databases).toHaveLength(1);
    expect(made.endpoints.map((e) => e.hostname)).toEqual([hostname]);
  });

  it('cancelled during the grace period, everything is kept; cancelled again, after the grace period nothing is left', async () => {
    const member = tenant.members[0]!;
    const dsi = await tenant.actorFor('commune_dsi');
    const temporal = await testTemporal();
    const { caller } = tenant.caller(dsi);
    const [sub] = (await caller.subscriptions.list({ memberId: member.id, status: 'active' })).items.filter((s) => s.offeringName === 'Cloud de fichiers');
    expect(sub).toBeDefined();
    const before = await footprint(sub!.id);

    const first = await cancelSubscription(appDb(), temporal, dsi, sub!.id, 3600, worker.taskQueue);
    const inGrace = await waitForProgress(caller, first.workflowId, (p) => stateOf(p, 'grace') === 'running');
    expect(inGrace.steps[1]!.note).toMatch(/^résiliation effective le .+ ; annulable d'ici là$/);
    expect((await footprint(sub!.id)).sub?.status).toBe('deprovisioning');
    await keepSubscriptionAfterCancel(appDb(), temporal, dsi, sub!.id);
    const kept = await result(first.workflowId);
    expect(kept.state).toBe('cancelled');
    expect(kept.steps.map((s) => s.state)).toEqual(['compensated', 'skipped', 'skipped', 'skipped']);
    const afterKeep = await footprint(sub!.id);
    expect(afterKeep.sub).toMatchObject({ status: 'active', graceUntil: null });
    expect({ ...afterKeep, sub: null }).toEqual({ ...before, sub: null });

    const second = await cancelSubscription(appDb(), temporal, dsi, sub!.id, 1, worker.taskQueue);
    const ended = await result(second.workflowId);
    expect(ended.state).toBe('completed');
    expect(ended.steps.find((s) => s.key === 'remove')!.note).toBe('3 ressource(s) supprimée(s)');
    const gone = await footprint(sub!.id);
    expect(gone.sub?.status).toBe('ended');
    expect([gone.databases, gone.roles, gone.clients, gone.endpoints]).toEqual([[], [], [], []]);
    expect(gone.resources.every((r) => r.state === 'removed')).toBe(true);
    expect(gone.periods.at(-1)!.endsOn).not.toBeNull();
  });
});
