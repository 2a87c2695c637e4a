import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import { ONBOARD_STEPS, onboardMemberWorkflowName, type OnboardMemberInput, type WorkflowProgress } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';
import { STEP_RETRY, StepRunner } from './step-runner.ts';

// Technical errors (database, SMTP down) retry with backoff, then the run waits for a person.
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: STEP_RETRY,
});
const cleanup = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumInterval: '30 seconds' } });

/**
 * Onboards a member (workflow id `onboard:<memberId>`): register, identity organisation, DSI
 * invitation, cost share, starter services, activation. Cancelling compensates what was done.
 */
export async function onboardMember(input: OnboardMemberInput): Promise<WorkflowProgress> {
  const runner = new StepRunner(onboardMemberWorkflowName, ONBOARD_STEPS);
  const workflowId = runner.progress.workflowId;
  const args = { memberId: input.memberId, syndicateId: input.syndicateId, requestedBy: input.requestedBy, workflowId };
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
      const offerings = await runner.run('starterServices', () => steps.starterOfferings(args), (list) => (list.length === 0 ? 'aucun service par défaut au catalogue' : `${list.length} service(s)`));
      // Each starter service will be provisioned by its own child workflow once the catalog exists.
      void offerings;
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
      const undo = runner.doneSteps();
      await cleanup.compensateOnboarding({ ...args, cancelledBy: runner.progress.cancelledBy, undo });
      for (const step of runner.progress.steps) {
        if (step.state === 'done' && ['identity', 'invite', 'costShare'].includes(step.key)) step.state = 'compensated';
        if (step.state === 'pending' || step.state === 'running' || step.state === 'failed') step.state = step.state === 'pending' ? 'pending' : 'skipped';
      }
      runner.progress.state = 'cancelled';
      await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'cancelled' });
    });
    return runner.progress;
  }
}
