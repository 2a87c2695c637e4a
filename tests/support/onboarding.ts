/**
 * What an onboarding left in the database for one member, read as the schema owner (past
 * row-level security), so tests assert the rows the steps and their compensation wrote.
 */
import { ownerDb } from './db.ts';

export async function onboardingFootprint(syndicateId: string, memberId: string, dsiEmail?: string) {
  const owner = ownerDb();
  const [member, identityGroups, memberships, invitations, costShares, outbox, audit, runs] = await Promise.all([
    owner.selectFrom('members').selectAll().where('id', '=', memberId).executeTakeFirst(),
    owner.selectFrom('identityGroups').selectAll().where('memberId', '=', memberId).orderBy('role').execute(),
    owner.selectFrom('memberships').selectAll().where('memberId', '=', memberId).execute(),
    owner.selectFrom('invitations').selectAll().where('memberId', '=', memberId).execute(),
    owner.selectFrom('costShares').selectAll().where('memberId', '=', memberId).execute(),
    owner.selectFrom('mailOutbox').selectAll().where('memberId', '=', memberId).orderBy('createdAt').execute(),
    owner.selectFrom('auditEvents').select(['action', 'actorUserId', 'after', 'seq']).where('syndicateId', '=', syndicateId)
      .where('memberId', '=', memberId).orderBy('seq').execute(),
    owner.selectFrom('workflowRuns').selectAll().where('subjectId', '=', memberId).execute(),
  ]);
  const dsiUsers = dsiEmail
    ? await owner.selectFrom('users').selectAll().where('email', '=', dsiEmail.toLowerCase()).execute()
    : [];
  return { member, identityGroups, memberships, invitations, costShares, outbox, audit, runs, dsiUsers };
}

/** The audit actions of a member, oldest first. */
export async function auditActions(syndicateId: string, memberId: string): Promise<string[]> {
  return (await onboardingFootprint(syndicateId, memberId)).audit.map((e) => e.action);
}
