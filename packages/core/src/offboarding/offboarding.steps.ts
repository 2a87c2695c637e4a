/**
 * The steps of a member's departure, as the worker's activities run them: export its data, suspend
 * its accounts, (the workflow waits the retention period,) erase its personal data. Like onboarding,
 * each step is idempotent — its database effects are recorded under `<workflowId>:<step>` in the
 * same transaction (`once`) — and business problems throw `StepRefusedError` (not retried).
 */
import type { MemberStatus, OffboardMemberInput } from '@mutualis/contracts';
import { sql, withTenant, type Db, type Tx } from '@mutualis/db';
import { appendAudit } from '../audit/audit.service.ts';
import { once } from '../effects.ts';
import { normaliseSearch } from '../members/member.service.ts';
import { parisToday } from '../onboarding/onboarding.service.ts';
import { StepRefusedError } from '../onboarding/onboarding.steps.ts';
import { buildMemberArchive, type MemberArchiveData } from './member-archive.ts';

type StepInput = Pick<OffboardMemberInput, 'memberId' | 'syndicateId' | 'requestedBy'> & { workflowId: string };

/** A member's status in the words of a sentence ("Ce membre est parti"). */
export const MEMBER_STATUS_WORDS: Record<MemberStatus, string> = {
  onboarding: "en cours d'adhésion", active: 'actif', offboarding: 'en cours de départ', left: 'parti', failed: 'en échec', cancelled: 'annulé',
};

/** The display name an erased account keeps (its e-mail becomes `anonyme-<id>@invalid`). */
export const ERASED_DISPLAY_NAME = 'Compte supprimé';

function inSyndicate<T>(db: Db, input: StepInput, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withTenant(db, { syndicateId: input.syndicateId, memberIds: null }, fn);
}

async function memberOf(tx: Tx, memberId: string) {
  const member = await tx.selectFrom('members').selectAll().where('id', '=', memberId).executeTakeFirst();
  if (!member) throw new StepRefusedError("Ce membre n'existe plus : le départ ne peut pas continuer. Annulez-le.");
  return member;
}

function requireStatus(member: { name: string; status: MemberStatus }, expected: MemberStatus, what: string): void {
  if (member.status !== expected) {
    throw new StepRefusedError(`${member.name} est ${MEMBER_STATUS_WORDS[member.status]}, plus ${MEMBER_STATUS_WORDS[expected]} : ${what}. Annulez le départ, ou rétablissez le statut puis réessayez.`);
  }
}

const audit = (tx: Tx, input: StepInput, action: string, after: unknown) => appendAudit(tx, {
  syndicateId: input.syndicateId, memberId: input.memberId, actorUserId: input.requestedBy.userId, action,
  subjectType: 'Member', subjectId: input.memberId, after, ip: input.requestedBy.ip,
});

/** The ids of users holding a role in `memberId` and in nothing else (no other member, no syndicate role). */
async function usersOnlyIn(tx: Tx, memberId: string, candidates: readonly string[]): Promise<Array<{ id: string; status: 'invited' | 'active' | 'disabled' }>> {
  if (candidates.length === 0) return [];
  return tx.selectFrom('users').select(['users.id', 'users.status']).where('users.id', 'in', candidates)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('memberships as other').select('other.id').whereRef('other.userId', '=', 'users.id')
      .where((eb) => eb.or([eb('other.memberId', 'is', null), eb('other.memberId', '!=', memberId)])))))
    .orderBy('users.id').execute();
}

async function memberUserIds(tx: Tx, memberId: string): Promise<string[]> {
  const rows = await tx.selectFrom('memberships').select('userId').distinct().where('memberId', '=', memberId).execute();
  return rows.map((r) => r.userId);
}

/** What a step recorded with `once`, if it ran (compensation and erasure read the suspension's record). */
async function recordedEffect<T>(tx: Tx, key: string): Promise<T | null> {
  const row = await tx.selectFrom('activityEffects').select('result').where('key', '=', key).executeTakeFirst();
  return (row?.result as T | undefined) ?? null;
}

// ---------------------------------------------------------------------------------------------

export interface ExportResult { exportId: string; fileName: string; size: number; sha256: string }

/**
 * 1. Export: the member's data (record, users and roles, identity groups, invitations without their
 * token hashes, cost shares, audit trail) zipped as JSON and CSV, stored in `member_exports`.
 */
export function exportMemberData(db: Db, input: StepInput): Promise<ExportResult> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:export`, async () => {
    // The request starts this run inside its transaction: until that commits (its run row and its
    // audit event with it), the export would miss them. Retryable: a moment later they are there.
    const recorded = await tx.selectFrom('workflowRuns').select('id').where('workflowId', '=', input.workflowId).executeTakeFirst();
    if (!recorded) throw new Error("La demande de départ n'est pas encore enregistrée : l'export reprendra dans un instant.");
    const member = await memberOf(tx, input.memberId);
    requireStatus(member, 'active', "ses données ne sont pas exportées");
    const syndicate = await tx.selectFrom('syndicates').select(['id', 'name']).where('id', '=', input.syndicateId).executeTakeFirstOrThrow();
    const memberships = await tx.selectFrom('memberships').select(['id', 'userId', 'role', 'createdAt']).where('memberId', '=', input.memberId).orderBy('createdAt').orderBy('id').execute();
    const invitations = await tx.selectFrom('invitations').select(['id', 'userId', 'expiresAt', 'usedAt', 'revokedAt', 'createdAt'])
      .where('memberId', '=', input.memberId).orderBy('createdAt').orderBy('id').execute();
    const userIds = [...new Set([...memberships.map((m) => m.userId), ...invitations.map((i) => i.userId)])];
    const users = userIds.length === 0 ? [] : await tx.selectFrom('users').select(['id', 'email', 'displayName', 'status', 'createdAt'])
      .where('id', 'in', userIds).orderBy('email').execute();
    const identityGroups = await tx.selectFrom('identityGroups').select(['id', 'role', 'name', 'createdAt']).where('memberId', '=', input.memberId).orderBy('role').execute();
    const costShares = await tx.selectFrom('costShares').select(['id', 'startsOn', 'endsOn', 'createdAt']).where('memberId', '=', input.memberId).orderBy('startsOn').execute();
    const events = await tx.selectFrom('auditEvents')
      .select(['seq', 'occurredAt', 'action', 'actorUserId', 'subjectType', 'subjectId', 'before', 'after', 'ip', 'hash'])
      .where('memberId', '=', input.memberId).orderBy('seq').execute();
    const exportedAt = new Date();
    const data: MemberArchiveData = {
      exportedAt, syndicate,
      member: {
        id: member.id, kind: member.kind, name: member.name, inseeCode: member.inseeCode, siren: member.siren, population: member.population,
        agentCount: member.agentCount, status: member.status, contactName: member.contactName, contactEmail: member.contactEmail,
        createdAt: member.createdAt, updatedAt: member.updatedAt,
      },
      users, memberships, identityGroups, invitations, costShares,
      auditEvents: events.map((e) => ({ ...e, hash: e.hash.toString('hex') })),
    };
    const archive = buildMemberArchive(data);
    const fileName = `export-${normaliseSearch(member.name).replaceAll(' ', '-') || 'membre'}-${parisToday(exportedAt)}.zip`;
    const content = Buffer.from(archive.bytes);
    // `once` makes this the first run of the step for this workflow id: an archive left by an earlier run of the same id is replaced.
    const row = await tx.insertInto('memberExports').values({
      syndicateId: input.syndicateId, memberId: input.memberId, workflowId: input.workflowId, fileName, size: content.length, sha256: archive.sha256, content,
    }).onConflict((oc) => oc.column('workflowId').doUpdateSet({ fileName, size: content.length, sha256: archive.sha256, content, erasedAt: null }))
      .returning('id').executeTakeFirstOrThrow();
    await audit(tx, input, 'member.exported', { fileName, size: content.length, sha256: archive.sha256, files: archive.files, users: users.length, auditEvents: events.length });
    return { exportId: row.id, fileName, size: content.length, sha256: archive.sha256 };
  }));
}

export interface SuspendResult {
  /** the users whose only roles are in this member, with their status before (compensation restores it) */
  users: Array<{ id: string; previousStatus: 'invited' | 'active' | 'disabled' }>;
  /** users with roles elsewhere, who keep their account and sessions */
  keptUserIds: string[];
  endedSessions: number;
}

/**
 * 2. Suspend: the member is `offboarding`; every account whose only roles are in this member is
 * disabled and its sessions ended. Accounts with roles elsewhere keep them; the member's own
 * memberships stay until erasure (a cancelled departure finds everything in place).
 */
export function suspendMember(db: Db, input: StepInput): Promise<SuspendResult> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:suspend`, async () => {
    const member = await memberOf(tx, input.memberId);
    requireStatus(member, 'active', "il n'est pas suspendu");
    const all = await memberUserIds(tx, input.memberId);
    const only = await usersOnlyIn(tx, input.memberId, all);
    const onlyIds = only.map((u) => u.id);
    const toDisable = only.filter((u) => u.status !== 'disabled').map((u) => u.id);
    if (toDisable.length > 0) await tx.updateTable('users').set({ status: 'disabled' }).where('id', 'in', toDisable).execute();
    const ended = onlyIds.length === 0 ? [] : await tx.updateTable('sessions').set({ endedAt: new Date() })
      .where('userId', 'in', onlyIds).where('endedAt', 'is', null).returning('id').execute();
    await tx.updateTable('members').set({ status: 'offboarding', updatedAt: new Date() }).where('id', '=', input.memberId).execute();
    const keptUserIds = all.filter((id) => !onlyIds.includes(id));
    await audit(tx, input, 'member.suspended', { status: 'offboarding', disabledUserIds: toDisable, keptUserIds, endedSessions: ended.length });
    return { users: only.map((u) => ({ id: u.id, previousStatus: u.status })), keptUserIds, endedSessions: ended.length };
  }));
}

export interface EraseResult { anonymisedUsers: number; keptUsers: number; costShareEndsOn: string }

/**
 * 4. Erase, after the retention period: the accounts that belong only to this member are
 * anonymised (e-mail `anonyme-<id>@invalid`, name « Compte supprimé », no password) and their
 * sessions deleted; the member's roles, invitations, identity groups and mails are deleted, its
 * export emptied, its contact removed and its cost share closed today (Paris). The member stays,
 * anonymised, as `left`; the audit trail is kept whole (append-only).
 */
export function eraseMemberData(db: Db, input: StepInput): Promise<EraseResult> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:erase`, async () => {
    const member = await memberOf(tx, input.memberId);
    requireStatus(member, 'offboarding', "ses données ne sont pas effacées");
    const suspended = (await recordedEffect<SuspendResult>(tx, `${input.workflowId}:suspend`))?.users.map((u) => u.id) ?? [];
    const current = await memberUserIds(tx, input.memberId);
    const candidates = [...new Set([...suspended, ...current])];
    // Re-checked now: an account given a role elsewhere during the retention period is kept.
    const erased = (await usersOnlyIn(tx, input.memberId, candidates)).map((u) => u.id);
    const keptUsers = candidates.length - erased.length;
    await tx.deleteFrom('memberships').where('memberId', '=', input.memberId).execute();
    await tx.deleteFrom('invitations').where('memberId', '=', input.memberId).execute();
    if (erased.length > 0) {
      await tx.deleteFrom('sessions').where('userId', 'in', erased).execute();
      await tx.updateTable('users').set({
        email: sql<string>`'anonyme-' || id || '@invalid'`, displayName: ERASED_DISPLAY_NAME, passwordHash: null, status: 'disabled',
      }).where('id', 'in', erased).execute();
    }
    await tx.deleteFrom('identityGroups').where('memberId', '=', input.memberId).execute();
    // Mails about the member hold addresses and names: the outbox keeps none of them.
    await tx.deleteFrom('mailOutbox').where('memberId', '=', input.memberId).execute();
    await tx.updateTable('memberExports').set({ content: null, erasedAt: new Date() }).where('memberId', '=', input.memberId).where('content', 'is not', null).execute();
    const today = parisToday();
    await tx.updateTable('costShares').set({ endsOn: sql<string>`greatest(starts_on, ${today}::date)` })
      .where('memberId', '=', input.memberId).where('endsOn', 'is', null).execute();
    await tx.updateTable('members').set({ status: 'left', contactEmail: null, contactName: null, updatedAt: new Date() }).where('id', '=', input.memberId).execute();
    await audit(tx, input, 'member.erased', { status: 'left', anonymisedUsers: erased.length, keptUsers, costShareEndsOn: today });
    return { anonymisedUsers: erased.length, keptUsers, costShareEndsOn: today };
  }));
}

// ---------------------------------------------------------------------------------------------
// Compensation, when the departure is cancelled before erasure: the member stays.

/**
 * Puts the member back as it was: `active` again, its accounts re-enabled (each to its status
 * before suspension; ended sessions stay ended), the export deleted (the member's data stays where
 * it is, a copy has no purpose). Reads what the steps recorded in the database rather than what the
 * workflow saw, so a step that committed just as the run was cancelled is undone too.
 */
export function compensateOffboarding(db: Db, input: StepInput & { cancelledBy: string | null }): Promise<{ undone: string[]; reenabledUsers: number }> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:compensate`, async () => {
    const undone: string[] = [];
    let reenabledUsers = 0;
    const suspension = await recordedEffect<SuspendResult>(tx, `${input.workflowId}:suspend`);
    if (suspension) {
      for (const status of ['active', 'invited'] as const) {
        const ids = suspension.users.filter((u) => u.previousStatus === status).map((u) => u.id);
        if (ids.length === 0) continue;
        const rows = await tx.updateTable('users').set({ status }).where('id', 'in', ids).where('status', '=', 'disabled').returning('id').execute();
        reenabledUsers += rows.length;
      }
      await tx.updateTable('members').set({ status: 'active', updatedAt: new Date() }).where('id', '=', input.memberId).where('status', '=', 'offboarding').execute();
      undone.push('suspend');
    }
    const exports = await tx.deleteFrom('memberExports').where('workflowId', '=', input.workflowId).returning('id').execute();
    if (exports.length > 0) undone.push('export');
    const member = await tx.selectFrom('members').select('status').where('id', '=', input.memberId).executeTakeFirst();
    await appendAudit(tx, {
      syndicateId: input.syndicateId, memberId: input.memberId, actorUserId: input.cancelledBy, action: 'member.offboarding_cancelled',
      subjectType: 'Member', subjectId: input.memberId, after: { status: member?.status ?? null, undone, reenabledUsers, cancelledBy: input.cancelledBy }, ip: null,
    });
    return { undone, reenabledUsers };
  }));
}
