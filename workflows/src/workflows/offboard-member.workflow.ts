import { ActivityCancellationType, CancellationScope, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import { OFFBOARD_STEPS, offboardMemberWorkflowName, type OffboardMemberInput, type WorkflowProgress } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';
import { STEP_RETRY, StepRunner } from './step-runner.ts';

// Technical errors retry with backoff, then the run waits for a person. A cancelled run waits for a
// step in flight to finish (the SDK's default, stated here because compensation relies on it): it
// then undoes what that step committed instead of racing it.
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: STEP_RETRY,
});
const cleanup = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumInterval: '30 seconds' } });

const parisDateTime = (ms: number) => new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(new Date(ms));
const kilobytes = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024))} Ko`;

/**
 * A member leaves (workflow id `offboard:<memberId>`): export its data, suspend its accounts, keep
 * everything for the retention period (a timer: `retentionSeconds`), then erase its personal data.
 * Cancelling before erasure keeps the member (compensation reactivates it); once erasure runs, a
 * cancel request is ignored — it cannot be undone.
 */
export async function offboardMember(input: OffboardMemberInput): Promise<WorkflowProgress> {
  const runner = new StepRunner(offboardMemberWorkflowName, OFFBOARD_STEPS);
  const workflowId = runner.progress.workflowId;
  const args = { memberId: input.memberId, syndicateId: input.syndicateId, requestedBy: input.requestedBy, workflowId };
  // Erasure is one transaction: while it fails and waits, cancelling is still safe; while it runs, not.
  runner.cancellable = () => runner.step('erase').state !== 'running';
  try {
    await runner.scope.run(async () => {
      await runner.run('export', () => steps.exportMemberData(args), (r) => `${r.fileName} (${kilobytes(r.size)}, SHA-256 ${r.sha256.slice(0, 12)}…)`);
      await runner.run('suspend', () => steps.suspendMember(args),
        (r) => `${r.users.length} compte(s) suspendu(s), ${r.endedSessions} session(s) fermée(s), ${r.keptUserIds.length} compte(s) gardé(s) pour leurs autres rôles`);
      await runner.run('retention', async () => {
        const until = Date.now() + input.retentionSeconds * 1000;
        runner.step('retention').note = `données conservées jusqu'au ${parisDateTime(until)}`;
        await sleep(input.retentionSeconds * 1000);
        return until;
      }, (until) => `période de conservation terminée le ${parisDateTime(until)}`);
      await runner.run('erase', () => steps.eraseMemberData(args),
        (r) => `${r.anonymisedUsers} compte(s) anonymisé(s), quote-part close le ${r.costShareEndsOn}`);
    });
    runner.progress.state = 'completed';
    await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'completed' });
    return runner.progress;
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Compensation runs even though the run is cancelled.
    await CancellationScope.nonCancellable(async () => {
      const { undone } = await cleanup.compensateOffboarding({ ...args, cancelledBy: runner.progress.cancelledBy });
      for (const step of runner.progress.steps) {
        if (undone.includes(step.key)) step.state = 'compensated';
        else if (step.state === 'running' || step.state === 'failed') step.state = 'skipped';
      }
      runner.progress.state = 'cancelled';
      await cleanup.recordRunState({ syndicateId: input.syndicateId, workflowId, status: 'cancelled' });
    });
    return runner.progress;
  }
}
