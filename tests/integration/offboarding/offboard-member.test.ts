/**
 * A member's departure through the service and a real worker (our own, on its own task queue):
 * export, suspension, retention timer, erasure; and a departure cancelled during retention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { strFromU8, unzipSync } from 'fflate';
import { createHash } from 'node:crypto';
import { offboardWorkflowId, type WorkflowProgress } from '@mutualis/contracts';
import { authenticate, parisToday, requestOffboarding, verifyAuditChain } from '@mutualis/core';
import { withTenant } from '@mutualis/db';
import { appDb, closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../../support/factories.ts';
import { onboardedData, startOwnWorker, waitForProgress } from './support.ts';

let worker: Awaited<ReturnType<typeof startOwnWorker>>;
beforeAll(async () => { worker = await startOwnWorker('offboard'); }, 120_000);
afterAll(async () => {
  await worker?.stop();
  await closeDbs();
});

const stateOf = (p: WorkflowProgress, key: string) => p.steps.find((s) => s.key === key)?.state;
const auditActions = async (tenant: TestTenant, memberId: string) => (await ownerDb().selectFrom('auditEvents').select(['action', 'actorUserId', 'after'])
  .where('syndicateId', '=', tenant.syndicateId).where('memberId', '=', memberId).orderBy('seq').execute());

describe('a member leaves (members.offboard, workflow offboardMember)', () => {
  it('exports its data, suspends its accounts, waits the retention period, then erases its personal data', async () => {
    const tenant = await createTenant({ communes: 2 });
    const [member, other] = tenant.members as [typeof tenant.members[0], typeof tenant.members[0]];
    const owner = ownerDb();
    const dsi = { ...tenant.users.commune_dsi, displayName: 'Dominique Lefèvre' };
    await onboardedData(tenant, member.id, dsi);
    // An agent of both communes keeps their account (and sessions) when one of them leaves.
    const shared = await tenant.addUser('commune_agent', member.id);
    await owner.insertInto('memberships').values({ syndicateId: tenant.syndicateId, userId: shared.id, memberId: other.id, role: 'commune_agent' }).execute();
    const dsiSession = await tenant.openSession(dsi);
    const sharedSession = await tenant.openSession(shared);

    const admin = await tenant.actorFor('syndicate_admin');
    const { caller } = tenant.caller(admin);
    const started = Date.now();
    const { workflowId } = await requestOffboarding(appDb(), await testTemporal(), admin, member.id, 2, worker.taskQueue);
    expect(workflowId).toBe(offboardWorkflowId(member.id));

    // During the retention period: suspended, and the export can be downloaded.
    const waiting = await waitForProgress(caller, workflowId, (p) => stateOf(p, 'retention') === 'running');
    expect(waiting.steps.map((s) => s.state)).toEqual(['done', 'done', 'running', 'pending']);
    expect(waiting.steps[2]!.note).toMatch(/^données conservées jusqu'au /);
    const file = await caller.members.exportArchive({ id: member.id });
    const suspendedMember = await owner.selectFrom('members').select('status').where('id', '=', member.id).executeTakeFirstOrThrow();
    const suspendedUsers = await owner.selectFrom('users').select(['id', 'status']).where('id', 'in', [dsi.id, shared.id]).execute();
    const openSessions = await owner.selectFrom('sessions').select(['userId', 'endedAt']).where('userId', 'in', [dsi.id, shared.id]).execute();
    expect(await authenticate(appDb(), dsiSession.token, tenant.ip)).toBeNull();
    expect(suspendedMember.status).toBe('offboarding');
    expect(Object.fromEntries(suspendedUsers.map((u) => [u.id, u.status]))).toEqual({ [dsi.id]: 'disabled', [shared.id]: 'active' });
    expect(waiting.steps[1]!.note).toBe('3 compte(s) suspendu(s), 1 session(s) fermée(s), 1 compte(s) gardé(s) pour leurs autres rôles');
    expect(openSessions.filter((s) => s.userId === dsi.id).every((s) => s.endedAt !== null)).toBe(true);
    expect(openSessions.filter((s) => s.userId === shared.id).every((s) => s.endedAt === null)).toBe(true);

    // The archive: the zip the member gets, checked as they would.
    const zip = Buffer.from(file.contentBase64, 'base64');
    expect(zip.length).toBe(file.size);
    expect(createHash('sha256').update(zip).digest('hex')).toBe(file.sha256);
    expect(file.fileName).toMatch(/^export-commune-1-[0-9a-f]+-\d{4}-\d{2}-\d{2}\.zip$/);
    const entries = unzipSync(new Uint8Array(zip));
    expect(Object.keys(entries).sort()).toEqual(['LISEZMOI.txt', 'export.json', 'groupes-identite.csv', 'invitations.csv', 'journal-audit.csv',
      'membre.csv', 'quotes-parts.csv', 'roles.csv', 'utilisateurs.csv']);
    // UTF-8 with a byte order mark (strFromU8, like TextDecoder, drops it when decoding).
    expect([...entries['utilisateurs.csv']!.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const users = strFromU8(entries['utilisateurs.csv']!);
    expect(users.startsWith('identifiant;email;nom;statut;cree_le\r\n')).toBe(true);
    expect(users.split('\r\n')).toContainEqual(expect.stringMatching(new RegExp(`^${dsi.id};${dsi.email.replaceAll('.', '\\.')};Dominique Lefèvre;active;\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$`)));
    expect(strFromU8(entries['quotes-parts.csv']!)).toMatch(/;2026-01-01;;/);
    const json = JSON.parse(strFromU8(entries['export.json']!)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(json.format).toBe('mutualis-member-export');
    expect(json.member).toMatchObject({ id: member.id, name: member.name, inseeCode: member.inseeCode, status: 'active', contactEmail: dsi.email });
    expect(json.users.map((u: { id: string }) => u.id).sort()).toEqual([tenant.users.commune_agent.id, tenant.users.commune_elected.id, dsi.id, shared.id].sort());
    expect(json.memberships).toHaveLength(4);
    expect(json.identityGroups).toHaveLength(2);
    expect(json.invitations).toEqual([expect.objectContaining({ userId: dsi.id })]);
    expect(Object.keys(json.invitations[0])).not.toContain('tokenHash');
    expect(strFromU8(entries['export.json']!)).not.toMatch(/tokenHash|passwordHash|argon2/);
    expect(json.auditEvents.map((e: { action: string }) => e.action)).toContain('member.offboard');

    // The end: erased.
    const result: WorkflowProgress = await (await testTemporal()).workflow.getHandle(workflowId).result();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(result.state).toBe('completed');
    expect(result.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(result.steps[3]!.note).toBe(`3 compte(s) anonymisé(s), quote-part close le ${parisToday()}`);

    const left = await owner.selectFrom('members').selectAll().where('id', '=', member.id).executeTakeFirstOrThrow();
    expect(left).toMatchObject({ status: 'left', contactEmail: null, contactName: null, name: member.name, inseeCode: member.inseeCode });
    // The factory's three commune users belong to this member alone: anonymised. The shared agent keeps everything but this member's role.
    const accounts = await owner.selectFrom('users').select(['id', 'email', 'displayName', 'passwordHash', 'status'])
      .where('id', 'in', [dsi.id, tenant.users.commune_agent.id, tenant.users.commune_elected.id, shared.id]).execute();
    for (const id of [dsi.id, tenant.users.commune_agent.id, tenant.users.commune_elected.id]) {
      expect(accounts.find((a) => a.id === id)).toEqual({ id, email: `anonyme-${id}@invalid`, displayName: 'Compte supprimé', passwordHash: null, status: 'disabled' });
    }
    expect(accounts.find((a) => a.id === shared.id)).toMatchObject({ email: shared.email, status: 'active' });
    expect(await authenticate(appDb(), sharedSession.token, tenant.ip)).not.toBeNull();
    await expect(tenant.login(dsi)).rejects.toThrow();
    const count = async (table: 'memberships' | 'invitations' | 'identityGroups' | 'mailOutbox', memberId: string) =>
      Number((await owner.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('memberId', '=', memberId).executeTakeFirstOrThrow()).n);
    expect([await count('memberships', member.id), await count('invitations', member.id), await count('identityGroups', member.id)]).toEqual([0, 0, 0]);
    expect(await count('memberships', other.id)).toBeGreaterThan(0);
    expect(await owner.selectFrom('sessions').select('id').where('userId', '=', dsi.id).execute()).toEqual([]);
    expect(await owner.selectFrom('costShares').select(['startsOn', 'endsOn']).where('memberId', '=', member.id).execute()).toEqual([{ startsOn: '2026-01-01', endsOn: parisToday() }]);
    const stored = await owner.selectFrom('memberExports').select(['workflowId', 'sha256', 'content', 'erasedAt']).where('memberId', '=', member.id).execute();
    expect(stored).toEqual([{ workflowId, sha256: file.sha256, content: null, erasedAt: expect.any(Date) }]);
    const gone = await caller.members.exportArchive({ id: member.id }).catch((e: unknown) => e);
    expect((gone as TRPCError).code).toBe('NOT_FOUND');
    expect((gone as TRPCError).message).toMatch(/effacé avec ses données personnelles/);

    // The audit trail says all of it, in order, still chained.
    const actions = (await auditActions(tenant, member.id)).map((e) => e.action);
    expect(actions).toEqual(['member.offboard', 'member.exported', 'member.suspended', 'member.export_downloaded', 'member.erased']);
    const erased = (await auditActions(tenant, member.id)).at(-1)!;
    expect(erased).toMatchObject({ actorUserId: admin.userId, after: { status: 'left', anonymisedUsers: 3, keptUsers: 1 } });
    expect((await withTenant(appDb(), { syndicateId: tenant.syndicateId, memberIds: null }, (tx) => verifyAuditChain(tx, tenant.syndicateId))).ok).toBe(true);
  });

  it('cancelled during the retention period, keeps the member: active again, accounts re-enabled, the canceller recorded; it can leave later', async () => {
    const tenant = await createTenant({ communes: 1 });
    const member = tenant.members[0]!;
    const owner = ownerDb();
    const dsi = { ...tenant.users.commune_dsi, displayName: 'Camille Martin' };
    await onboardedData(tenant, member.id, dsi);
    // An account still invited goes back to invited; one disabled before the departure stays disabled.
    await owner.updateTable('users').set({ status: 'invited' }).where('id', '=', tenant.users.commune_agent.id).execute();
    await owner.updateTable('users').set({ status: 'disabled' }).where('id', '=', tenant.users.commune_elected.id).execute();

    const admin = await tenant.actorFor('syndicate_admin');
    const operator = await tenant.actorFor('syndicate_operator');
    const { caller } = tenant.caller(operator);
    const { workflowId } = await requestOffboarding(appDb(), await testTemporal(), admin, member.id, 3600, worker.taskQueue);
    await waitForProgress(caller, workflowId, (p) => stateOf(p, 'retention') === 'running');
    expect((await owner.selectFrom('users').select('status').where('id', '=', dsi.id).executeTakeFirstOrThrow()).status).toBe('disabled');

    // While it runs, a second departure is refused with the reason.
    const again = await tenant.caller(admin).caller.members.offboard({ id: member.id }).catch((e: unknown) => e);
    expect((again as TRPCError).code).toBe('BAD_REQUEST');
    expect((again as TRPCError).message).toBe(`Le départ de ${member.name} est déjà en cours.`);

    await caller.workflows.cancel({ workflowId });
    const result: WorkflowProgress = await (await testTemporal()).workflow.getHandle(workflowId).result();
    expect(result.state).toBe('cancelled');
    expect(result.cancelledBy).toBe(operator.userId);
    expect(result.steps.map((s) => [s.key, s.state])).toEqual([['export', 'compensated'], ['suspend', 'compensated'], ['retention', 'skipped'], ['erase', 'pending']]);

    const kept = await owner.selectFrom('members').select(['status', 'contactEmail']).where('id', '=', member.id).executeTakeFirstOrThrow();
    expect(kept).toEqual({ status: 'active', contactEmail: dsi.email });
    const statuses = await owner.selectFrom('users').select(['id', 'status', 'email']).where('id', 'in', [dsi.id, tenant.users.commune_agent.id, tenant.users.commune_elected.id]).execute();
    expect(Object.fromEntries(statuses.map((u) => [u.id, [u.status, u.email]]))).toEqual({
      [dsi.id]: ['active', dsi.email], [tenant.users.commune_agent.id]: ['invited', tenant.users.commune_agent.email], [tenant.users.commune_elected.id]: ['disabled', tenant.users.commune_elected.email],
    });
    await expect(tenant.login(dsi)).resolves.toMatchObject({ actor: { userId: dsi.id } });
    expect(await owner.selectFrom('memberships').select('id').where('memberId', '=', member.id).execute()).toHaveLength(3);
    expect(await owner.selectFrom('memberExports').select('id').where('memberId', '=', member.id).execute()).toEqual([]);
    const audit = await auditActions(tenant, member.id);
    const cancelled = audit.find((e) => e.action === 'member.offboarding_cancelled');
    expect(cancelled).toMatchObject({ actorUserId: operator.userId, after: { status: 'active', cancelledBy: operator.userId, undone: ['suspend', 'export'], reenabledUsers: 2 } });
    expect(audit.find((e) => e.action === 'workflow.cancel')).toMatchObject({ actorUserId: operator.userId });
    expect((await owner.selectFrom('workflowRuns').select('status').where('workflowId', '=', workflowId).executeTakeFirstOrThrow()).status).toBe('cancelled');

    // The same business id runs again from the start: a fresh export, then a second cancel.
    const second = await requestOffboarding(appDb(), await testTemporal(), admin, member.id, 3600, worker.taskQueue);
    expect(second.workflowId).toBe(workflowId);
    await waitForProgress(caller, workflowId, (p) => stateOf(p, 'retention') === 'running');
    expect((await owner.selectFrom('members').select('status').where('id', '=', member.id).executeTakeFirstOrThrow()).status).toBe('offboarding');
    expect((await caller.members.exportArchive({ id: member.id })).size).toBeGreaterThan(0);
    await caller.workflows.cancel({ workflowId });
    expect((await (await testTemporal()).workflow.getHandle(workflowId).result() as WorkflowProgress).state).toBe('cancelled');
    expect((await owner.selectFrom('members').select('status').where('id', '=', member.id).executeTakeFirstOrThrow()).status).toBe('active');
  });
});
