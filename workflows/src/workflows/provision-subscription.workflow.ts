import { ActivityCancellationType, CancellationScope, condition, defineSignal, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import {
  decideSignalName, PROVISION_FIRST_STEP, PROVISION_LAST_STEP, provisionSubscriptionWorkflowName,
  type ProvisionSubscriptionInput, type SubscriptionDecision, type WorkflowProgress,
} from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';
import { STEP_RETRY, StepRunner } from './step-runner.ts';

// Making a database can take a while on a busy cluster: 2 minutes per attempt. A cancelled run
// lets the attempt in flight finish, then removes what it made.
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes', retry: STEP_RETRY, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
// Steps that touch the provisioners heartbeat: a worker killed mid-step is replaced within 20 s.
const resourceSteps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes', heartbeatTimeout: '20 seconds', retry: STEP_RETRY, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const cleanup = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumInterval: '30 seconds' } });
// Removal retries until it succeeds: nothing is left orphaned.
const resourceCleanup = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', heartbeatTimeout: '20 seconds', retry: { maximumInterval: '30 seconds' } });

export const decideSignal = defineSignal<[SubscriptionDecision]>(decideSignalName);

const KIND_NOTE: Record<string, (r: { externalId: string; url: string | null }) => string> = {
  'postgres-database': (r) => `base ${r.externalId} prête`,
  'oidc-client': (r) => `client SSO ${r.externalId} enregistré`,
  'app-endpoint': (r) => `adresse ${r.url ?? r.externalId}`,
};

/**
 * Provisions a subscription (workflow id `subscription:<id>`): the syndicate's decision when the
 * offering needs one (a `decideSubscription` signal), then each resource of the recipe in order,
 * then activation. A resource step that fails (a refusal at once, a technical error after its
 * retries) removes every resource made so far, then waits: "retry" provisions the recipe again
 * from the start, "cancel" ends the request. Nothing is left orphaned either way.
 */
export async function provisionSubscription(input: ProvisionSubscriptionInput): Promise<WorkflowProgress> {
  const keys = input.recipe.map((r) => r.key);
  const runner = new StepRunner(provisionSubscriptionWorkflowName, [PROVISION_FIRST_STEP, ...keys, PROVISION_LAST_STEP]);
  const workflowId = runner.progress.workflowId;
  const args = { subscriptionId: input.subscriptionId, syndicateId: input.syndicateId, memberId: input.memberId, requestedBy: input.requestedBy, workflowId };
  let decision: SubscriptionDecision | null = null;
  let refused = false;
  setHandler(decideSignal, (d) => { decision ??= d; });

  const removeAll = async () => {
    await resourceCleanup.removeSubscriptionResources(args);
    for (const key of keys) {
      const step = runner.step(key);
      if (step.state === 'done') step.state = 'compensated';
    }
  };

  try {
    await runner.scope.run(async () => {
      if (input.requiresApproval) {
        const approval = runner.step(PROVISION_FIRST_STEP);
        approval.note = 'en attente de la décision du syndicat';
        const outcome = await runner.run(PROVISION_FIRST_STEP, async () => {
          await condition(() => decision !== null);
          return steps.recordSubscriptionDecision({ ...args, decision: decision! });
        }, (d) => (d.approved ? `approuvée${d.reason ? ` : ${d.reason}` : ''}` : `refusée : ${d.reason ?? ''}`));
        if (!outcome.approved) {
          refused = true;
          for (const step of runner.progress.steps.slice(1)) runner.skip(step.key, 'demande refusée');
          return;
        }
      } else {
        runner.skip(PROVISION_FIRST_STEP, 'sans approbation : service ouvert à tous les membres');
      }
      // The recipe, again from the start after a failure and a retry (every ensure is idempotent).
      for (;;) {
        try {
          await steps.markSubscriptionProvisioning(args);
          for (const resource of input.recipe) {
            await runner.attempt(resource.key, () => resourceSteps.provisionResource({ ...args, key: resource.key, kind: resource.kind }), KIND_NOTE[resource.kind]);
          }
          break;
        } catch (error) {
          if (isCancellation(error)) throw error;
          const message = runner.progress.steps.find((s) => s.state === 'failed')?.error ?? 'échec';
          await removeAll();
          await steps.markSubscriptionFailed({ ...args, error: message });
          await runner.waitForRetry();
          for (const key of keys) {
            const step = runner.step(key);
            step.state = 'pending';
            step.note = null;
          }
        }
      }
      await runner.run(PROVISION_LAST_STEP, () => steps.activateSubscription(args), (r) => (r.url ? `en service : ${r.url}` : 'en service'));
    });
    runner.progress.state = 'completed';
    await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: refused ? 'refused' : 'completed' });
    return runner.progress;
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Compensation runs even though the run is cancelled: every resource made goes, the request ends.
    await CancellationScope.nonCancellable(async () => {
      await resourceCleanup.removeSubscriptionResources(args);
      for (const step of runner.progress.steps) {
        if (keys.includes(step.key) && step.state === 'done') step.state = 'compensated';
        else if (step.state === 'running' || step.state === 'failed' || step.state === 'pending') step.state = 'skipped';
      }
      await cleanup.cancelSubscriptionRequest({ ...args, cancelledBy: runner.progress.cancelledBy });
      runner.progress.state = 'cancelled';
      await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'cancelled' });
    });
    return runner.progress;
  }
}
