/**
 * The steps of onboarding a member, as the worker's activities run them. Each step is idempotent:
 * its database effects are recorded under `<workflowId>:<step>` in the same transaction (`once`),
 * so a retry after a crash returns what the first attempt did. Business problems throw
 * `StepRefusedError` (not retried: the run waits for a person); anything else is retried.
 */
import { randomUUID } from 'node:crypto';
import { MEMBER_ROLES, type OnboardMemberInput } from '@mutualis/contracts';
import { withTenant, type Db, type Tx } from '@mutualis/db';
import { appendAudit } from '../audit/audit.service.ts';
import { once } from '../effects.ts';
import { invitationToken, tokenHash } from '../invitations/invitation-token.ts';
import { enqueueMail } from '../mail/mail.service.ts';

/** A business refusal: retrying cannot help, a person must act (the message says how). */
export class StepRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepRefusedError';
  }
}

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

type StepInput = Pick<OnboardMemberInput, 'memberId' | 'syndicateId' | 'requestedBy'> & { workflowId: string };

function inSyndicate<T>(db: Db, input: StepInput, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withTenant(db, { syndicateId: input.syndicateId, memberIds: null }, fn);
}

async function memberOf(tx: Tx, memberId: string) {
  const member = await tx.selectFrom('members').selectAll().where('id', '=', memberId).executeTakeFirst();
  // Retryable: the request starts this run inside its transaction, so the first step may look
  // before the member's row is committed (a refusal here would stop a healthy run for a person).
  if (!member) throw new Error("Ce membre n'est pas (encore) enregistré : l'adhésion reprendra dans un instant ; s'il a été supprimé, annulez-la.");
  return member;
}

const audit = (tx: Tx, input: StepInput, action: string, after: unknown) => appendAudit(tx, {
  syndicateId: input.syndicateId, memberId: input.memberId, actorUserId: input.requestedBy.userId, action,
  subjectType: 'Member', subjectId: input.memberId, after, ip: input.requestedBy.ip,
});

/** 1. Register: the member is recorded as onboarding, with its population and contact. */
export function registerMember(db: Db, input: StepInput): Promise<{ name: string }> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:register`, async () => {
    const member = await memberOf(tx, input.memberId);
    if (member.status !== 'onboarding') throw new StepRefusedError(`Ce membre est « ${member.status} », pas en cours d'adhésion.`);
    await audit(tx, input, 'member.registered', { name: member.name, population: member.population, agentCount: member.agentCount, contactEmail: member.contactEmail });
    return { name: member.name };
  }));
}

/** 2. Identity organisation: one group per commune role, so the SSO knows who belongs where. */
export function createIdentityOrganisation(db: Db, input: StepInput): Promise<{ groups: number }> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:identity`, async () => {
    const member = await memberOf(tx, input.memberId);
    const rows = MEMBER_ROLES.map((role) => ({ syndicateId: input.syndicateId, memberId: input.memberId, role, name: `${member.name} — ${role}` }));
    await tx.insertInto('identityGroups').values(rows).onConflict((oc) => oc.columns(['memberId', 'role']).doNothing()).execute();
    await audit(tx, input, 'member.identity_created', { groups: rows.map((r) => r.role) });
    return { groups: rows.length };
  }));
}

/** The roles a member's people are invited with. */
export type InvitedRole = 'commune_dsi' | 'commune_agent' | 'commune_elected';

/**
 * 3a. The DSI's account (or, from users.invite, an agent's or elected official's) (invited, no password yet), its role in the member, and a single-use
 * invitation valid 7 days, with the mail that carries it queued. Returns the outbox id to send.
 */
export function createDsiInvitation(db: Db, input: StepInput & { dsi: { email: string; name: string }; role?: InvitedRole; secretKey: string }): Promise<{ outboxId: string; userId: string; createdUser: boolean }> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:invite`, async () => {
    const member = await memberOf(tx, input.memberId);
    const email = input.dsi.email.toLowerCase();
    // Users are visible only within the syndicate: an address taken elsewhere shows up as a conflict on insert.
    let user = await tx.selectFrom('users').select(['id', 'status']).where('email', '=', email).executeTakeFirst();
    let createdUser = false;
    if (!user) {
      const inserted = await tx.insertInto('users').values({ syndicateId: input.syndicateId, email, displayName: input.dsi.name, passwordHash: null, status: 'invited' })
        .onConflict((oc) => oc.column('email').doNothing()).returning(['id', 'status']).executeTakeFirst();
      if (!inserted) throw new StepRefusedError(`L'adresse ${email} appartient déjà à un compte d'un autre organisme : indiquez une autre adresse pour le DSI.`);
      user = inserted;
      createdUser = true;
    }
    if (user.status === 'disabled') throw new StepRefusedError(`Le compte ${email} est désactivé : réactivez-le ou indiquez une autre adresse.`);
    const role = input.role ?? 'commune_dsi';
    const hasRole = await tx.selectFrom('memberships').select('id').where('userId', '=', user.id).where('memberId', '=', input.memberId).where('role', '=', role).executeTakeFirst();
    if (!hasRole) await tx.insertInto('memberships').values({ syndicateId: input.syndicateId, userId: user.id, memberId: input.memberId, role }).execute();
    const invitationId = randomUUID();
    const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
    await tx.insertInto('invitations').values({
      id: invitationId, syndicateId: input.syndicateId, memberId: input.memberId, userId: user.id,
      idempotencyKey: `${input.workflowId}:invite`, tokenHash: tokenHash(invitationToken(input.secretKey, invitationId)), expiresAt,
    }).execute();
    const outboxId = await enqueueMail(tx, {
      syndicateId: input.syndicateId, memberId: input.memberId, key: `${input.workflowId}:invite:mail`, to: email,
      template: 'dsi-invitation', params: { memberName: member.name, invitationId, expiresAt: expiresAt.toISOString(), role },
    });
    if (role === 'commune_dsi') {
      await tx.updateTable('members').set({ contactEmail: email, contactName: input.dsi.name }).where('id', '=', input.memberId).execute();
    }
    await audit(tx, input, role === 'commune_dsi' ? 'member.dsi_invited' : 'user.invited', { email, role, invitationId, expiresAt: expiresAt.toISOString() });
    return { outboxId, userId: user.id, createdUser };
  }));
}

/** 4. The member's cost share opens on the onboarding date (the cost allocation prorates from it). */
export function openCostShare(db: Db, input: StepInput & { startsOn: string }): Promise<{ startsOn: string }> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:costShare`, async () => {
    await tx.insertInto('costShares').values({ syndicateId: input.syndicateId, memberId: input.memberId, startsOn: input.startsOn })
      .onConflict((oc) => oc.columns(['memberId', 'startsOn']).doNothing()).execute();
    await audit(tx, input, 'member.cost_share_opened', { startsOn: input.startsOn });
    return { startsOn: input.startsOn };
  }));
}

// 5. Starter services: createStarterSubscriptions (subscriptions/subscription.steps.ts).

/** 6. Active: the member is live; the syndicate's operators are told by mail (returns the mails to send). */
export function activateMember(db: Db, input: StepInput): Promise<{ outboxIds: string[] }> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:activate`, async () => {
    const member = await memberOf(tx, input.memberId);
    await tx.updateTable('members').set({ status: 'active', updatedAt: new Date() }).where('id', '=', input.memberId).execute();
    const operators = await tx.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.userId')
      .select(['users.id', 'users.email']).where('memberships.role', '=', 'syndicate_operator').where('memberships.memberId', 'is', null)
      .where('users.status', '=', 'active').execute();
    const outboxIds: string[] = [];
    for (const op of operators) {
      outboxIds.push(await enqueueMail(tx, {
        syndicateId: input.syndicateId, memberId: input.memberId, key: `${input.workflowId}:activate:notify:${op.id}`, to: op.email,
        template: 'member-onboarded', params: { memberName: member.name, memberId: input.memberId },
      }));
    }
    await audit(tx, input, 'member.activated', { status: 'active', notified: operators.length });
    return { outboxIds };
  }));
}

// ---------------------------------------------------------------------------------------------
// Compensation, when a run is cancelled: undo what the steps made, newest first. Idempotent too.

export interface CancelInput extends StepInput { cancelledBy: string | null; undo: string[] }

/** Removes what the done steps created, and marks the member cancelled, saying who cancelled. */
export function compensateOnboarding(db: Db, input: CancelInput): Promise<{ undone: string[] }> {
  return inSyndicate(db, input, (tx) => once(tx, input.syndicateId, `${input.workflowId}:compensate`, async () => {
    const undone: string[] = [];
    if (input.undo.includes('costShare')) {
      await tx.deleteFrom('costShares').where('memberId', '=', input.memberId).execute();
      undone.push('costShare');
    }
    if (input.undo.includes('invite')) {
      await tx.updateTable('invitations').set({ revokedAt: new Date() }).where('memberId', '=', input.memberId).where('revokedAt', 'is', null).execute();
      const dsis = await tx.deleteFrom('memberships').where('memberId', '=', input.memberId).returning('userId').execute();
      for (const { userId } of dsis) {
        // An account made for this member and never used is removed; one with other roles stays.
        const other = await tx.selectFrom('memberships').select('id').where('userId', '=', userId).executeTakeFirst();
        if (!other) await tx.deleteFrom('users').where('id', '=', userId).where('status', '=', 'invited').execute();
      }
      undone.push('invite');
    }
    if (input.undo.includes('identity')) {
      await tx.deleteFrom('identityGroups').where('memberId', '=', input.memberId).execute();
      undone.push('identity');
    }
    // Whatever step was reached, a cancelled member keeps no personal contact and no unsent mail.
    await tx.deleteFrom('mailOutbox').where('memberId', '=', input.memberId).where('status', '=', 'pending').execute();
    await tx.updateTable('members').set({ status: 'cancelled', contactEmail: null, contactName: null, updatedAt: new Date() }).where('id', '=', input.memberId).execute();
    await appendAudit(tx, {
      syndicateId: input.syndicateId, memberId: input.memberId, actorUserId: input.cancelledBy, action: 'member.onboarding_cancelled',
      subjectType: 'Member', subjectId: input.memberId, after: { status: 'cancelled', undone, cancelledBy: input.cancelledBy }, ip: null,
    });
    return { undone };
  }));
}

/** Records the run's final state on its workflow_runs row (lists and dashboards read it). */
export function recordRunState(db: Db, input: { syndicateId: string; workflowId: string; status: string }): Promise<void> {
  return withTenant(db, { syndicateId: input.syndicateId, memberIds: null }, async (tx) => {
    await tx.updateTable('workflowRuns').set({ status: input.status, updatedAt: new Date() }).where('workflowId', '=', input.workflowId).execute();
  });
}
