import { isCancellation, proxyActivities } from '@temporalio/workflow';
import { inviteDsiWorkflowName, type InviteDsiInput, type WorkflowProgress } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';
import { STEP_RETRY, StepRunner } from './step-runner.ts';

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: STEP_RETRY,
});

/** Invites a member's DSI again, or one of its people (users.invite) (workflow id `invite:<id>`): a new account or link, sent by mail once. */
export async function inviteDsi(input: InviteDsiInput): Promise<WorkflowProgress> {
  const runner = new StepRunner(inviteDsiWorkflowName, ['invite']);
  const workflowId = runner.progress.workflowId;
  const args = { memberId: input.memberId, syndicateId: input.syndicateId, requestedBy: input.requestedBy, workflowId };
  try {
    await runner.scope.run(() => runner.run('invite', async () => {
      const { outboxId } = await steps.createDsiInvitation({ ...args, dsi: input.dsi, ...(input.role ? { role: input.role } : {}) });
      await steps.sendMail({ syndicateId: input.syndicateId, outboxId });
      return input.dsi.email;
    }, (email) => `invitation envoyée à ${email}`));
    runner.progress.state = 'completed';
  } catch (error) {
    // Only a cancellation ends the run here; anything else is a bug that must show as a failed run.
    if (!isCancellation(error)) throw error;
    runner.progress.state = 'cancelled';
  }
  await steps.recordRunState({ syndicateId: input.syndicateId, workflowId, status: runner.progress.state });
  return runner.progress;
}
