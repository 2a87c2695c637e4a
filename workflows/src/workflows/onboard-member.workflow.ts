import { ActivityCancellationType, CancellationScope, getExternalWorkflowHandle, isCancellation, patched, proxyActivities, startChild } from '@temporalio/workflow';
import { ONBOARD_STEPS, onboardMemberWorkflowName, provisionWorkflowId, type OnboardMemberInput, type WorkflowProgress } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';
import { cancelSignal, STEP_RETRY, StepRunner } from './step-runner.ts';
import { provisionSubscription } from './provision-subscription.workflow.ts';

// Technical errors (database, SMTP down) retry with backoff, then the run waits for a person.
// 30 s per attempt, not less, for real SMTP relays: connecting and the greeting may take 10 s each
// (the mailer's limits), and a relay that scans the message answers DATA seconds later; an attempt
// cut short while the relay still works on the mail is retried beside it and may send it twice.
const stepOptions = { startToCloseTimeout: '30 seconds', retry: STEP_RETRY } as const;
// A cancelled run lets a step attempt in flight finish (commit or fail) before compensating, so
// nothing it writes can land after the compensation has run; a step between retries stops at once.
const waitingSteps = proxyActivities<Activities>({ ...stepOptions, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });
// Runs started before that change compensated at once (the SDK's TRY_CANCEL): they keep doing so
// on replay, or their histories (and queries on them) would no longer match the code.
const stepsBeforeWaiting = proxyActivities<Activities>(stepOptions);
const WAIT_FOR_STEP_ON_CANCEL = 'onboard-wait-for-step-on-cancel';
const cleanup = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumInterval: '30 seconds' } });
/** The steps whose effects compensateOnboarding removes. */
const COMPENSATED = ['identity', 'invite', 'costShare'];

/**
 * Onboards a member (workflow id `onboard:<memberId>`): register, identity organisation, DSI
 * invitation, cost share, starter services, activation. Cancelling compensates what was done.
 */
export async function onboardMember(input: OnboardMemberInput): Promise<WorkflowProgress> {
  const runner = new StepRunner(onboardMemberWorkflowName, ONBOARD_STEPS);
  const steps = patched(WAIT_FOR_STEP_ON_CANCEL) ? waitingSteps : stepsBeforeWaiting;
  const workflowId = runner.progress.workflowId;
  const args = { memberId: input.memberId, syndicateId: input.syndicateId, requestedBy: input.requestedBy, workflowId };
  const startedChildren: string[] = [];
  try {
    await runner.scope.run(async () => {
      await runner.run('register', () => steps.registerMember(args), (r) => r.name);
      await runner.run('identity', () => steps.createIdentityOrganisation(args), (r) => `${r.groups} groupes`);
      if (input.dsi) {
        const dsi = input.dsi;
        await runner.run('invite', async () => {
          const { outboxId } = await steps.createDsiInvitation({ ...args, dsi });
          await steps.sendMail({ syndicateId: input.syndicateId, outboxId });
          return dsi.email;
        }, (email) => `invitation envoyée à ${email}`);
      } else {
        runner.skip('invite', 'aucun DSI indiqué : à inviter plus tard');
      }
      await runner.run('costShare', () => steps.openCostShare({ ...args, startsOn: input.startsOn }), (r) => `à partir du ${r.startsOn}`);
      const starters = await runner.run('starterServices', () => steps.starterOfferings(args),
        (list) => (list.length === 0 ? 'aucun service par défaut au catalogue' : `${list.length} service(s) : ${list.map((s) => s.offeringName).join(', ')}`));
      // Each starter service is provisioned by its own run, which outlives this one.
      for (const starter of starters) {
        const childId = provisionWorkflowId(starter.subscriptionId);
        if (startedChildren.includes(childId)) continue;
        await startChild(provisionSubscription, {
          workflowId: childId, parentClosePolicy: 'ABANDON',
          args: [{ subscriptionId: starter.subscriptionId, syndicateId: input.syndicateId, memberId: input.memberId, requestedBy: input.requestedBy, requiresApproval: false, recipe: starter.recipe }],
        });
        startedChildren.push(childId);
      }
      await runner.run('activate', async () => {
        const { outboxIds } = await steps.activateMember(args);
        for (const outboxId of outboxIds) await steps.sendMail({ syndicateId: input.syndicateId, outboxId });
        return outboxIds.length;
      }, (n) => `${n} opérateur(s) prévenu(s)`);
    });
    runner.progress.state = 'completed';
    await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'completed' });
    return runner.progress;
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Compensation runs even though the run is cancelled.
    await CancellationScope.nonCancellable(async () => {
      // Every step that started, not only the done ones: a step interrupted between its activities
      // (the DSI's account and invitation made, their mail still retrying) has effects to undo too.
      const undo = runner.progress.steps.filter((s) => s.attempts > 0 && s.state !== 'skipped').map((s) => s.key);
      // Starter services already under way are cancelled too: each removes what it made.
      for (const childId of startedChildren) {
        await getExternalWorkflowHandle(childId).signal(cancelSignal, { actorUserId: runner.progress.cancelledBy ?? input.requestedBy.userId });
      }
      await cleanup.compensateOnboarding({ ...args, cancelledBy: runner.progress.cancelledBy, undo });
      for (const step of runner.progress.steps) {
        if (undo.includes(step.key) && COMPENSATED.includes(step.key)) step.state = 'compensated';
        else if (step.state === 'running' || step.state === 'failed') step.state = 'skipped';
      }
      runner.progress.state = 'cancelled';
      await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'cancelled' });
    });
    return runner.progress;
  }
}
