import { ApplicationFailure } from '@temporalio/activity';
import type { BulkOnboardInput, OnboardMemberInput } from '@mutualis/contracts';
import {
  activateMember, compensateOnboarding, createDsiInvitation, createIdentityOrganisation, openCostShare, recordRunState,
  createStarterSubscriptions, registerEpciMembers, registerMember, sendQueuedMail, StepRefusedError, type InvitedRole, type MailSender,
} from '@mutualis/core';
import type { Db } from '@mutualis/db';

export interface OnboardingDeps { db: Db; mailer: MailSender; secretKey: string; origin: string }

type StepArgs = Pick<OnboardMemberInput, 'memberId' | 'syndicateId' | 'requestedBy'> & { workflowId: string };

/** Business refusals are not retried: the run shows the message and waits for a person. */
export async function refusalsAreFinal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StepRefusedError) throw ApplicationFailure.nonRetryable(error.message, 'StepRefused');
    throw error;
  }
}

/** The onboarding activities: thin wrappers over the idempotent steps of @mutualis/core. */
export function createOnboardingActivities({ db, mailer, secretKey, origin }: OnboardingDeps) {
  return {
    registerMember: (a: StepArgs) => refusalsAreFinal(() => registerMember(db, a)),
    createIdentityOrganisation: (a: StepArgs) => refusalsAreFinal(() => createIdentityOrganisation(db, a)),
    createDsiInvitation: (a: StepArgs & { dsi: { email: string; name: string }; role?: InvitedRole }) => refusalsAreFinal(() => createDsiInvitation(db, { ...a, secretKey })),
    sendMail: (a: { syndicateId: string; outboxId: string }) => sendQueuedMail(db, { mailer, secretKey, origin }, a.syndicateId, a.outboxId),
    openCostShare: (a: StepArgs & { startsOn: string }) => refusalsAreFinal(() => openCostShare(db, a)),
    /** Creates the subscriptions to the catalog's default offerings (the workflow starts their provisioning runs). */
    starterOfferings: (a: StepArgs) => refusalsAreFinal(() => createStarterSubscriptions(db, a)),
    activateMember: (a: StepArgs) => refusalsAreFinal(() => activateMember(db, a)),
    compensateOnboarding: (a: StepArgs & { cancelledBy: string | null; undo: string[] }) => compensateOnboarding(db, a),
    registerEpciMembers: (a: BulkOnboardInput & { workflowId: string }) => registerEpciMembers(db, a),
    recordRunState: (a: { syndicateId: string; workflowId: string; status: string }) => recordRunState(db, a),
  };
}
