import type { Client } from '@temporalio/client';
import { accessibleWhere } from '@mutualis/authz';
import {
  DEFAULT_MEMBER_RETENTION_DAYS, offboardMemberWorkflowName, offboardWorkflowId, TASK_QUEUE, type OffboardMemberInput,
} from '@mutualis/contracts';
import { sql, withTenant, type Db } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { MEMBER_STATUS_WORDS } from './offboarding.steps.ts';

/** The retention period in seconds, from a number of days (MEMBER_RETENTION_DAYS, 90 by default). */
export function retentionSeconds(days: number = DEFAULT_MEMBER_RETENTION_DAYS): number {
  return Math.round(days * 86_400);
}

/**
 * Starts a member's departure (`offboardMember`, workflow id `offboard:<memberId>`): export, suspend,
 * wait `retention` seconds, erase. Only an active member can leave. In one transaction with the run's
 * record and audit event: if Temporal refuses to start, nothing is kept.
 */
export async function requestOffboarding(db: Db, temporal: Client, actor: Actor, memberId: string, retention: number, taskQueue = TASK_QUEUE): Promise<{ workflowId: string }> {
  if (!actor.ability.can('update', 'Member')) throw new ForbiddenError();
  if (!Number.isFinite(retention) || retention < 0) throw new ValidationError('retentionSeconds', 'La durée de conservation doit être un nombre positif de secondes.');
  const workflowId = offboardWorkflowId(memberId);
  await withTenant(db, actor.tenant, async (tx) => {
    const member = await tx.selectFrom('members').select(['id', 'name', 'status']).where('id', '=', memberId)
      .where(accessibleWhere(actor.ability, 'update', 'Member', 'members')).forUpdate().executeTakeFirst();
    if (!member) throw new NotFoundError("Ce membre est introuvable, ou vous n'y avez pas accès.");
    const run = await tx.selectFrom('workflowRuns').select('status').where('workflowId', '=', workflowId).executeTakeFirst();
    if (run?.status === 'running') throw new ValidationError('id', `Le départ de ${member.name} est déjà en cours.`);
    if (member.status !== 'active') {
      throw new ValidationError('id', `${member.name} est ${MEMBER_STATUS_WORDS[member.status]} : seul un membre actif peut quitter le syndicat.`);
    }
    // A departure cancelled earlier ran under the same business id: its step records are spent, this run starts afresh.
    await sql`delete from activity_effects where key like ${`${workflowId}:%`}`.execute(tx);
    await tx.insertInto('workflowRuns').values({
      syndicateId: actor.syndicateId, memberId, subjectType: 'Member', subjectId: memberId, workflowType: offboardMemberWorkflowName, workflowId, status: 'running',
    }).onConflict((oc) => oc.column('workflowId').doUpdateSet({ status: 'running', updatedAt: new Date() })).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId, actorUserId: actor.userId, action: 'member.offboard', subjectType: 'Member', subjectId: memberId,
      after: { name: member.name, retentionSeconds: retention, workflowId }, ip: actor.ip,
    });
    const input: OffboardMemberInput = { memberId, syndicateId: actor.syndicateId, requestedBy: { userId: actor.userId, ip: actor.ip }, retentionSeconds: retention };
    // Started last, inside the transaction: if Temporal refuses, nothing above is kept.
    await temporal.workflow.start(offboardMemberWorkflowName, { workflowId, taskQueue, args: [input] });
  });
  return { workflowId };
}

export interface MemberExportFile {
  fileName: string;
  size: number;
  /** hex SHA-256 of the zip, for the member to check the file */
  sha256: string;
  createdAt: Date;
  /** the zip, base64 */
  contentBase64: string;
}

/**
 * The archive of a departing member's data, for the syndicate to hand over (audited: it holds
 * personal data). Available from the export step until erasure.
 */
export async function getMemberExport(db: Db, actor: Actor, memberId: string): Promise<MemberExportFile> {
  if (!actor.ability.can('update', 'Member')) throw new ForbiddenError();
  return withTenant(db, actor.tenant, async (tx) => {
    const member = await tx.selectFrom('members').select(['id', 'name']).where('id', '=', memberId)
      .where(accessibleWhere(actor.ability, 'update', 'Member', 'members')).executeTakeFirst();
    if (!member) throw new NotFoundError("Ce membre est introuvable, ou vous n'y avez pas accès.");
    const file = await tx.selectFrom('memberExports').select(['fileName', 'size', 'sha256', 'createdAt', 'content', 'erasedAt'])
      .where('memberId', '=', memberId).orderBy('createdAt', 'desc').executeTakeFirst();
    if (!file) throw new NotFoundError(`Aucun export des données de ${member.name} : il est fait au début de son départ.`);
    if (!file.content) throw new NotFoundError(`L'export des données de ${member.name} a été effacé avec ses données personnelles, à la fin de la période de conservation.`);
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId, actorUserId: actor.userId, action: 'member.export_downloaded', subjectType: 'Member', subjectId: memberId,
      after: { fileName: file.fileName, sha256: file.sha256 }, ip: actor.ip,
    });
    return { fileName: file.fileName, size: file.size, sha256: file.sha256, createdAt: file.createdAt, contentBase64: file.content.toString('base64') };
  });
}
