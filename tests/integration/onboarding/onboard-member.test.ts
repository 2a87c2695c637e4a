/**
 * Onboarding a commune of the official reference through the service (requestOnboarding) and a real
 * worker of our own (its task queue, its SMTP sink), on the real PostgreSQL and Temporal server:
 * the happy path, and the refusals a person must act on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { MEMBER_ROLES, ONBOARD_STEPS, onboardWorkflowId, type WorkflowProgress } from '@mutualis/contracts';
import { parisToday, referenceCommunes, requestOnboarding, verifyAuditChain, type Actor } from '@mutualis/core';
import { withTenant } from '@mutualis/db';
import { appDb, closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, sha256, testTemporal, type TestTenant } from '../../support/factories.ts';
import { onboardingFootprint } from '../../support/onboarding.ts';
import { startTestSink, type TestSink } from '../../support/smtp.ts';
import { startTestWorker, TEST_ORIGIN, waitForProgress, type TestWorker } from '../../support/workers.ts';

const VAULX = referenceCommunes().get('69256')!;
const DAY = 86_400_000;

let sink: TestSink;
let worker: TestWorker;
beforeAll(async () => {
  sink = await startTestSink();
  worker = await startTestWorker('onboard', { smtpUrl: sink.url });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await sink?.stop();
  await closeDbs();
});

const stepOf = (p: WorkflowProgress, key: string) => p.steps.find((s) => s.key === key)!;

async function operatorOf(tenant: TestTenant): Promise<Actor> {
  return (await tenant.openSession('syndicate_operator')).actor;
}

describe('onboarding a commune (requestOnboarding → onboardMember on our worker)', () => {
  it('registers Vaulx-en-Velin, makes its identity groups, invites its DSI by mail, opens its cost share and activates it', async () => {
    expect(VAULX).toMatchObject({ name: 'Vaulx-en-Velin', inseeCode: '69256' });
    const tenant = await createTenant({ communes: 1 });
    const operator = await operatorOf(tenant);
    const dsi = { email: `Dsi.Vaulx.${tenant.tag}@Tests.example`, name: 'Camille Martin' };
    const email = dsi.email.toLowerCase();
    const temporal = await testTemporal();
    const startedAt = Date.now();

    const { memberId, workflowId } = await requestOnboarding(appDb(), temporal, operator, { kind: 'commune', inseeCode: '69256', dsi }, worker.taskQueue);
    expect(workflowId).toBe(onboardWorkflowId(memberId));
    const handle = temporal.workflow.getHandle(workflowId);
    const result: WorkflowProgress = await handle.result();
    const finishedAt = Date.now();

    // The run: every step done, with what it did in words.
    expect(result.state).toBe('completed');
    expect(result.cancelledBy).toBeNull();
    expect(result.steps.map((s) => [s.key, s.state, s.attempts])).toEqual(ONBOARD_STEPS.map((k) => [k, 'done', 1]));
    expect(result.steps.map((s) => s.note)).toEqual([
      'Vaulx-en-Velin', `${MEMBER_ROLES.length} groupes`, `invitation envoyée à ${email}`, `à partir du ${parisToday()}`,
      'aucun service par défaut au catalogue', '1 opérateur(s) prévenu(s)',
    ]);
    expect(result.steps.every((s) => s.error === null && s.startedAt !== null && s.endedAt !== null)).toBe(true);

    const f = await onboardingFootprint(tenant.syndicateId, memberId, email);
    // The member, from the official reference, now active.
    expect(f.member).toMatchObject({
      syndicateId: tenant.syndicateId, kind: 'commune', name: 'Vaulx-en-Velin', inseeCode: '69256', siren: VAULX.siren,
      population: VAULX.population, agentCount: Math.round(VAULX.population / 40), status: 'active', contactEmail: email, contactName: 'Camille Martin',
    });
    expect(f.runs).toEqual([expect.objectContaining({ workflowId, workflowType: 'onboardMember', status: 'completed', memberId })]);
    // One identity group per member role.
    expect(f.identityGroups.map((g) => g.role)).toEqual([...MEMBER_ROLES].sort());
    expect(f.identityGroups.every((g) => g.syndicateId === tenant.syndicateId && g.name.startsWith('Vaulx-en-Velin — '))).toBe(true);
    // One DSI account, invited (no password yet), in this syndicate, DSI of this member only.
    expect(f.dsiUsers).toHaveLength(1);
    const dsiUser = f.dsiUsers[0]!;
    expect(dsiUser).toMatchObject({ syndicateId: tenant.syndicateId, email, displayName: 'Camille Martin', status: 'invited', passwordHash: null });
    expect(f.memberships.map((m) => [m.userId, m.role])).toEqual([[dsiUser.id, 'commune_dsi']]);
    // One invitation: the token's hash only, valid 7 days from the step.
    expect(f.invitations).toHaveLength(1);
    const invitation = f.invitations[0]!;
    expect(Object.keys(invitation).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'idempotencyKey', 'memberId', 'revokedAt', 'syndicateId', 'tokenHash', 'usedAt', 'userId']);
    expect(invitation).toMatchObject({ userId: dsiUser.id, idempotencyKey: `${workflowId}:invite`, usedAt: null, revokedAt: null });
    expect(invitation.tokenHash).toHaveLength(32);
    expect(invitation.expiresAt.getTime()).toBeGreaterThanOrEqual(startedAt + 7 * DAY - 1_000);
    expect(invitation.expiresAt.getTime()).toBeLessThanOrEqual(finishedAt + 7 * DAY + 1_000);
    // One cost share, from today on the Paris calendar, open-ended.
    expect(f.costShares.map((c) => [c.startsOn, c.endsOn])).toEqual([[parisToday(), null]]);

    // The audit trail, in order, by the operator who asked; the chain still verifies.
    expect(f.audit.map((e) => e.action)).toEqual([
      'member.onboard', 'member.registered', 'member.identity_created', 'member.dsi_invited', 'member.cost_share_opened', 'member.activated',
    ]);
    expect(new Set(f.audit.map((e) => e.actorUserId))).toEqual(new Set([tenant.users.syndicate_operator.id]));
    const chain = await withTenant(appDb(), { syndicateId: tenant.syndicateId, memberIds: null }, (tx) => verifyAuditChain(tx, tenant.syndicateId));
    expect(chain).toMatchObject({ ok: true, firstBrokenSeq: null });

    // Exactly one invitation mail, whose link carries the token whose hash is stored.
    const invitationMails = sink.acceptedTo(email);
    expect(invitationMails).toHaveLength(1);
    const links = invitationMails[0]!.links.filter((l) => l.includes('/invitation/'));
    expect(links).toHaveLength(1);
    const match = new RegExp(`^${TEST_ORIGIN.replaceAll('.', '\\.')}/invitation/([A-Za-z0-9_-]{43})$`).exec(links[0]!);
    expect(match).not.toBeNull();
    const token = match![1]!;
    expect(sha256(token).equals(invitation.tokenHash)).toBe(true);
    expect(invitationMails[0]!.raw).toContain('Vaulx-en-Velin');
    // The token itself is stored nowhere: not in the database row, not in the workflow's history.
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).not.toContain(token);
    // The syndicate's operator is told the member is active, with a link to its page.
    const notices = sink.acceptedTo(tenant.users.syndicate_operator.email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.links).toContain(`${TEST_ORIGIN}/membres/${memberId}`);
    expect(f.outbox.map((m) => [m.template, m.toAddress, m.status, m.attempts])).toEqual([
      ['dsi-invitation', email, 'sent', 1], ['member-onboarded', tenant.users.syndicate_operator.email, 'sent', 1],
    ]);

    // The progress, as the member page reads it: through the API, with the operator's session.
    const { caller } = tenant.caller(operator);
    const progress = await caller.workflows.get({ workflowId });
    expect(progress).toMatchObject({ workflowId, workflowType: 'onboardMember', state: 'completed', subjectType: 'Member', subjectId: memberId, live: null });
    expect(progress.steps).toEqual(result.steps);
  });

  it('refuses at once a commune that is already a member, writing nothing', async () => {
    const tenant = await createTenant({ communes: 1 });
    const owner = ownerDb();
    // Bron is an active member, Saint-Fons is onboarding: neither can be onboarded again.
    for (const [code, status] of [['69029', 'active'], ['69199', 'onboarding']] as const) {
      const ref = referenceCommunes().get(code)!;
      await owner.insertInto('members').values({
        syndicateId: tenant.syndicateId, kind: 'commune', name: ref.name, inseeCode: ref.inseeCode, siren: ref.siren,
        population: ref.population, agentCount: 10, status, searchText: ref.name.toLowerCase(),
      }).execute();
    }
    const counts = async () => Promise.all(['members', 'workflowRuns', 'auditEvents', 'activityEffects'].map(async (table) => {
      const row = await owner.selectFrom(table as 'members').select((eb) => eb.fn.countAll<string>().as('n')).where('syndicateId', '=', tenant.syndicateId).executeTakeFirstOrThrow();
      return Number(row.n);
    }));
    const before = await counts();
    const { caller } = tenant.caller(await operatorOf(tenant));
    for (const [code, name, status] of [['69029', 'Bron', 'active'], ['69199', 'Saint-Fons', 'onboarding']] as const) {
      const started = Date.now();
      const error = await caller.members.onboard({ kind: 'commune', inseeCode: code, dsi: { email: `dsi.${code}.${tenant.tag}@tests.example`, name: 'Alex Durand' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('BAD_REQUEST');
      expect((error as TRPCError).message).toBe(`${name} est déjà membre du syndicat (statut : ${status}).`);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    expect(await counts()).toEqual(before);
    expect(await owner.selectFrom('users').select('id').where('email', 'like', `dsi.%.${tenant.tag}@tests.example`).execute()).toEqual([]);
  });

  it('a DSI address of another syndicate\'s user stops the invite step at once; cancelling undoes what was done and says who cancelled', async () => {
    const tenant = await createTenant({ communes: 1 });
    const other = await createTenant({ communes: 1 });
    const taken = other.users.commune_dsi;
    const operator = await operatorOf(tenant);
    const admin = await tenant.openSession('syndicate_admin');
    const temporal = await testTemporal();
    const { memberId, workflowId } = await requestOnboarding(appDb(), temporal, operator,
      { kind: 'commune', inseeCode: '69256', dsi: { email: taken.email, name: 'Quelqu’un d’Ailleurs' } }, worker.taskQueue);
    const { caller } = tenant.caller(admin.actor);

    const waiting = await waitForProgress(caller, workflowId, (p) => p.state === 'waiting');
    expect(waiting.steps.map((s) => s.state)).toEqual(['done', 'done', 'failed', 'pending', 'pending', 'pending']);
    const invite = stepOf(waiting, 'invite');
    expect(invite.attempts).toBe(1);
    expect(invite.error).toBe(`L'adresse ${taken.email} appartient déjà à un compte d'un autre organisme : indiquez une autre adresse pour le DSI.`);
    expect(waiting.live).toBeNull();
    // A refusal is not retried by Temporal: one attempt of the activity in the history.
    const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createDsiInvitation');
    const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes && scheduled.some((s) => String(s.eventId) === String(e.activityTaskStartedEventAttributes!.scheduledEventId)));
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);

    await caller.workflows.cancel({ workflowId });
    const result: WorkflowProgress = await temporal.workflow.getHandle(workflowId).result();
    expect(result.state).toBe('cancelled');
    expect(result.cancelledBy).toBe(tenant.users.syndicate_admin.id);
    // The refused step is undone too (it wrote nothing, so there was nothing to remove).
    expect(result.steps.map((s) => s.state)).toEqual(['done', 'compensated', 'compensated', 'pending', 'pending', 'pending']);

    const f = await onboardingFootprint(tenant.syndicateId, memberId, taken.email);
    expect(f.member?.status).toBe('cancelled');
    expect(f.runs.map((r) => r.status)).toEqual(['cancelled']);
    expect(f.identityGroups).toEqual([]);
    expect(f.invitations).toEqual([]);
    expect(f.memberships).toEqual([]);
    expect(f.costShares).toEqual([]);
    expect(f.outbox).toEqual([]);
    // The other syndicate's user is untouched.
    expect(f.dsiUsers).toEqual([expect.objectContaining({ id: taken.id, syndicateId: other.syndicateId, status: 'active' })]);
    expect(sink.acceptedTo(taken.email)).toEqual([]);
    // Who cancelled, in the audit trail: the request, and the compensation in the cancelling admin's name.
    // (workflow.cancel is written once the signal is sent, so the compensation may come first.)
    expect(f.audit.slice(0, 3).map((e) => [e.action, e.actorUserId])).toEqual([
      ['member.onboard', operator.userId], ['member.registered', operator.userId], ['member.identity_created', operator.userId],
    ]);
    expect(f.audit.slice(3).map((e) => [e.action, e.actorUserId]).sort()).toEqual([
      ['member.onboarding_cancelled', admin.actor.userId], ['workflow.cancel', admin.actor.userId],
    ]);
    expect(f.audit.find((e) => e.action === 'member.onboarding_cancelled')!.after).toMatchObject({ status: 'cancelled', cancelledBy: admin.actor.userId, undone: ['invite', 'identity'] });
    // A cancelled member no longer blocks a new onboarding of the same commune.
    const again = await requestOnboarding(appDb(), temporal, operator, { kind: 'commune', inseeCode: '69256' }, worker.taskQueue);
    expect((await temporal.workflow.getHandle(again.workflowId).result() as WorkflowProgress).state).toBe('completed');
  });
});
