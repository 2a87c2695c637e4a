import { ActivityCancellationType, CancellationScope, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import { DEPROVISION_STEPS, deprovisionSubscriptionWorkflowName, type DeprovisionSubscriptionInput, type WorkflowProgress } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';
import { STEP_RETRY, StepRunner } from './step-runner.ts';

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes', retry: STEP_RETRY, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
// Steps that touch the provisioners heartbeat: a worker killed mid-step is replaced within 20 s.
const resourceSteps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes', heartbeatTimeout: '20 seconds', retry: STEP_RETRY, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const cleanup = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumInterval: '30 seconds' } });

const parisDateTime = (ms: number) => new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(new Date(ms));

/**
 * A cancelled subscription (workflow id `deprovision:<request>`): suspended for the grace period
 * (a timer, `graceSeconds`) with its data kept, then every resource removed, then ended. Cancelling
 * this run before removal keeps the subscription as it was; once removal runs, it cannot be stopped.
 */
export async function deprovisionSubscription(input: DeprovisionSubscriptionInput): Promise<WorkflowProgress> {
  const runner = new StepRunner(deprovisionSubscriptionWorkflowName, DEPROVISION_STEPS);
  const workflowId = runner.progress.workflowId;
  const args = { subscriptionId: input.subscriptionId, syndicateId: input.syndicateId, memberId: input.memberId, requestedBy: input.requestedBy, workflowId };
  runner.cancellable = () => runner.step('remove').state === 'pending' || runner.step('remove').state === 'failed';
  try {
    await runner.scope.run(async () => {
      const until = Date.now() + input.graceSeconds * 1000;
      await runner.run('suspend', () => steps.beginDeprovisioning({ ...args, graceUntil: new Date(until).toISOString() }),
        () => `données conservées jusqu'au ${parisDateTime(until)}`);
      await runner.run('grace', async () => {
        runner.step('grace').note = `résiliation effective le ${parisDateTime(until)} ; annulable d'ici là`;
        await sleep(Math.max(0, until - Date.now()));
        return until;
      }, (t) => `délai de grâce terminé le ${parisDateTime(t)}`);
      await runner.run('remove', () => resourceSteps.removeSubscriptionResources(args), (r) => `${r.removed.length} ressource(s) supprimée(s)`);
      await runner.run('end', () => steps.endSubscription(args), (r) => `abonnement terminé le ${r.endedOn}`);
    });
    runner.progress.state = 'completed';
    await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'completed' });
    return runner.progress;
  } catch (error) {
    if (!isCancellation(error)) throw error;
    await CancellationScope.nonCancellable(async () => {
      await cleanup.keepSubscription({ ...args, cancelledBy: runner.progress.cancelledBy });
      for (const step of runner.progress.steps) {
        if (step.key === 'suspend' && step.state === 'done') step.state = 'compensated';
        else if (step.state !== 'done') step.state = 'skipped';
      }
      runner.progress.state = 'cancelled';
      await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'cancelled' });
    });
    return runner.progress;
  }
}
