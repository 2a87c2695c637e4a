import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { accessibleWhere } from '@mutualis/authz';
import { inviteDsiWorkflowId, inviteDsiWorkflowName, TASK_QUEUE, type InviteDsiInput } from '@mutualis/contracts';
import { withTenant, type Db } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';

/**
 * Invites (or invites again) a member's DSI: the outstanding links of the member are revoked and
 * the `inviteDsi` workflow makes a new single-use link and sends it. Used when a link expired or
 * was used, when the DSI changes, or for a commune onboarded without one.
 */
export async function requestDsiInvitation(db: Db, temporal: Client, actor: Actor, memberId: string, dsi: { email: string; name: string }, taskQueue = TASK_QUEUE): Promise<{ workflowId: string }> {
  if (!actor.ability.can('update', 'Member')) throw new ForbiddenError();
  const workflowId = inviteDsiWorkflowId(randomUUID());
  await withTenant(db, actor.tenant, async (tx) => {
    const member = await tx.selectFrom('members').select(['id', 'name', 'status']).where('id', '=', memberId)
      .where(accessibleWhere(actor.ability, 'update', 'Member', 'members')).executeTakeFirst();
    if (!member) throw new NotFoundError("Ce membre est introuvable, ou vous n'y avez pas accès.");
    if (member.status !== 'active' && member.status !== 'onboarding') throw new ValidationError('id', `${member.name} n'est pas actif : on ne peut pas inviter son DSI.`);
    await tx.updateTable('invitations').set({ revokedAt: new Date() }).where('memberId', '=', memberId).where('usedAt', 'is', null).where('revokedAt', 'is', null).execute();
    await tx.insertInto('workflowRuns').values({
      syndicateId: actor.syndicateId, memberId, subjectType: 'Member', subjectId: memberId, workflowType: inviteDsiWorkflowName, workflowId, status: 'running',
    }).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId, actorUserId: actor.userId, action: 'member.dsi_invitation_requested', subjectType: 'Member', subjectId: memberId,
      after: { email: dsi.email, name: dsi.name }, ip: actor.ip,
    });
    const input: InviteDsiInput = { memberId, syndicateId: actor.syndicateId, requestedBy: { userId: actor.userId, ip: actor.ip }, dsi };
    await temporal.workflow.start(inviteDsiWorkflowName, { workflowId, taskQueue, args: [input] });
  });
  return { workflowId };
}
