import type { OffboardMemberInput } from '@mutualis/contracts';
import { compensateOffboarding, eraseMemberData, exportMemberData, suspendMember } from '@mutualis/core';
import type { Db } from '@mutualis/db';
import { refusalsAreFinal } from './onboarding.activities.ts';

type StepArgs = Pick<OffboardMemberInput, 'memberId' | 'syndicateId' | 'requestedBy'> & { workflowId: string };

/** The offboarding activities: thin wrappers over the idempotent steps of @mutualis/core. */
export function createOffboardingActivities({ db }: { db: Db }) {
  return {
    exportMemberData: (a: StepArgs) => refusalsAreFinal(() => exportMemberData(db, a)),
    suspendMember: (a: StepArgs) => refusalsAreFinal(() => suspendMember(db, a)),
    eraseMemberData: (a: StepArgs) => refusalsAreFinal(() => eraseMemberData(db, a)),
    compensateOffboarding: (a: StepArgs & { cancelledBy: string | null }) => compensateOffboarding(db, a),
  };
}
