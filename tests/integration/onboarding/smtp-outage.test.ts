/**
 * The SMTP relay is down while a DSI is invited: the invite step retries (Temporal's backoff, live
 * attempt and error shown by workflows.get); when the relay comes back on the same port the run
 * completes with exactly one mail; cancelled during the outage, nothing of the onboarding is left.
 * Each test has its own worker (task queue) and its own relay port, on which nothing listens at first.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { WorkflowProgress } from '@mutualis/contracts';
import { requestOnboarding } from '@mutualis/core';
import { appDb, closeDbs } from '../../support/db.ts';
import { createTenant, testTemporal } from '../../support/factories.ts';
import { onboardingFootprint } from '../../support/onboarding.ts';
import { claimPort, startTestSink, type ClaimedPort, type TestSink } from '../../support/smtp.ts';
import { startTestWorker, waitForProgress, type TestWorker } from '../../support/workers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => closeDbs());

/** A worker whose relay is a claimed port with nothing listening on it: SMTP is down. */
async function relayDown(name: string): Promise<{ port: ClaimedPort; worker: TestWorker }> {
  const port = await claimPort();
  cleanups.push(() => port.release());
  const worker = await startTestWorker(name, { smtpUrl: port.url });
  cleanups.push(() => worker.stop());
  return { port, worker };
}

async function onboardWithDsi(taskQueue: string) {
  const tenant = await createTenant({ communes: 1 });
  const { actor } = await tenant.openSession('syndicate_operator');
  const email = `dsi.${tenant.tag}@tests.example`;
  const run = await requestOnboarding(appDb(), await testTemporal(), actor, { kind: 'commune', inseeCode: '69256', dsi: { email, name: 'Sacha Bernard' } }, taskQueue);
  return { tenant, actor, email, ...run, caller: tenant.caller(actor).caller };
}

describe('the SMTP relay is down while the DSI is invited', () => {
  it('retries the invite step with backoff, shows the attempt and the connection error, and sends exactly one mail once the relay is back', async () => {
    const { port, worker } = await relayDown('smtp-down');
    const { tenant, email, memberId, workflowId, caller } = await onboardWithDsi(worker.taskQueue);

    // Retrying: the step stays `running`, the live view shows Temporal's attempt and the last error.
    const retrying = await waitForProgress(caller, workflowId, (p) => (p.live?.attempt ?? 0) >= 2, 20_000);
    expect(retrying.state).toBe('running');
    expect(retrying.steps.map((s) => s.state)).toEqual(['done', 'done', 'running', 'pending', 'pending', 'pending']);
    expect(retrying.live!.step).toBe('invite');
    expect(retrying.live!.lastError).toContain(`Le serveur de messagerie n’a pas accepté le courriel pour ${email}`);
    expect(retrying.live!.lastError).toMatch(new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port.port}`));
    const pending = await onboardingFootprint(tenant.syndicateId, memberId, email);
    expect(pending.outbox.map((m) => [m.template, m.status])).toEqual([['dsi-invitation', 'pending']]);
    expect(pending.outbox[0]!.attempts).toBeGreaterThanOrEqual(1);
    expect(pending.outbox[0]!.lastError).toMatch(/ECONNREFUSED/);

    // The relay comes back on the same address: the next attempt goes through.
    let sink: TestSink | undefined;
    cleanups.push(() => sink?.stop({ release: false }));
    sink = await startTestSink(port);
    const result: WorkflowProgress = await (await testTemporal()).workflow.getHandle(workflowId).result();
    expect(result.state).toBe('completed');
    // The workflow ran the step once; the retries were the activity's, within that one run of the step.
    expect(result.steps.find((s) => s.key === 'invite')).toMatchObject({ state: 'done', attempts: 1, error: null });

    expect(sink.acceptedTo(email)).toHaveLength(1);
    const f = await onboardingFootprint(tenant.syndicateId, memberId, email);
    expect(f.dsiUsers).toHaveLength(1);
    expect(f.invitations).toHaveLength(1);
    const mail = f.outbox.find((m) => m.template === 'dsi-invitation')!;
    expect(mail.status).toBe('sent');
    expect(mail.attempts).toBeGreaterThanOrEqual(2);
    expect(mail.lastError).toBeNull();
    expect(mail.sentAt).not.toBeNull();
    expect(f.member?.status).toBe('active');
  }, 60_000);

  it('cancelled while the invite step retries: nothing of the onboarding is left, and the audit names who cancelled', async () => {
    const { worker } = await relayDown('smtp-cancel');
    const { tenant, email, memberId, workflowId } = await onboardWithDsi(worker.taskQueue);
    const admin = await tenant.openSession('syndicate_admin');
    const { caller } = tenant.caller(admin.actor);

    const retrying = await waitForProgress(caller, workflowId, (p) => (p.live?.attempt ?? 0) >= 2, 20_000);
    expect(retrying.live?.step).toBe('invite');
    // By now the step has made the DSI's account, role, invitation and queued mail.
    const during = await onboardingFootprint(tenant.syndicateId, memberId, email);
    expect([during.dsiUsers.length, during.memberships.length, during.invitations.length, during.identityGroups.length]).toEqual([1, 1, 1, 4]);

    await caller.workflows.cancel({ workflowId });
    const result: WorkflowProgress = await (await testTemporal()).workflow.getHandle(workflowId).result();
    expect(result.state).toBe('cancelled');
    expect(result.cancelledBy).toBe(admin.actor.userId);
    expect(result.steps.map((s) => s.state)).toEqual(['done', 'compensated', 'compensated', 'pending', 'pending', 'pending']);

    const f = await onboardingFootprint(tenant.syndicateId, memberId, email);
    expect(f.member?.status).toBe('cancelled');
    expect(f.runs.map((r) => r.status)).toEqual(['cancelled']);
    expect(f.identityGroups).toEqual([]);
    expect(f.costShares).toEqual([]);
    expect(f.dsiUsers).toEqual([]);
    expect(f.memberships).toEqual([]);
    // No invitation that could still be used.
    expect(f.invitations.filter((i) => i.revokedAt === null)).toEqual([]);
    // The queued mail was never sent, and no unsent mail nor contact address is kept.
    expect(f.outbox).toEqual([]);
    expect(f.member).toMatchObject({ contactEmail: null, contactName: null });
    const cancelled = f.audit.find((e) => e.action === 'member.onboarding_cancelled');
    expect(cancelled?.actorUserId).toBe(admin.actor.userId);
    expect(cancelled?.after).toMatchObject({ status: 'cancelled', cancelledBy: admin.actor.userId });
    expect(f.audit.find((e) => e.action === 'workflow.cancel')?.actorUserId).toBe(admin.actor.userId);
  }, 60_000);
});
