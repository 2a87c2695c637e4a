import { executeChild, isCancellation, proxyActivities } from '@temporalio/workflow';
import {
  BULK_ONBOARD_CONCURRENCY, BULK_ONBOARD_STEPS, bulkOnboardWorkflowName, onboardWorkflowId,
  type BulkOnboardInput, type ChildProgress, type WorkflowProgress,
} from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';
import { onboardMember } from './onboard-member.workflow.ts';
import { STEP_RETRY, StepRunner } from './step-runner.ts';

const steps = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: STEP_RETRY,
});

/**
 * Onboards every commune of an EPCI (workflow id `bulkOnboard:<id>`): registers those not yet
 * members, then runs one `onboardMember` child per commune, a few at a time. Each child can be
 * watched, retried or cancelled on its own; the `progress` query aggregates them.
 */
export async function onboardEpciCommunes(input: BulkOnboardInput): Promise<WorkflowProgress> {
  const runner = new StepRunner(bulkOnboardWorkflowName, BULK_ONBOARD_STEPS);
  const workflowId = runner.progress.workflowId;
  const children: ChildProgress[] = [];
  runner.progress.children = children;
  try {
    await runner.scope.run(async () => {
      const members = await runner.run('register', () => steps.registerEpciMembers({ ...input, workflowId }), (list) => `${list.length} commune(s) à faire adhérer`);
      for (const m of members) children.push({ subjectId: m.memberId, name: m.name, workflowId: onboardWorkflowId(m.memberId), state: 'pending' });
      await runner.run('onboard', async () => {
        let next = 0;
        const lane = async () => {
          while (next < children.length) {
            const child = children[next++]!;
            if (child.state === 'completed') continue;
            child.state = 'running';
            try {
              const result = await executeChild(onboardMember, {
                workflowId: child.workflowId,
                args: [{ memberId: child.subjectId, syndicateId: input.syndicateId, requestedBy: input.requestedBy, dsi: null, startsOn: input.startsOn }],
              });
              child.state = result.state === 'completed' ? 'completed' : 'cancelled';
            } catch {
              child.state = 'failed';
            }
          }
        };
        await Promise.all(Array.from({ length: BULK_ONBOARD_CONCURRENCY }, lane));
        return children.filter((c) => c.state === 'completed').length;
      }, (done) => `${done} / ${children.length} actives`);
    });
    runner.progress.state = 'completed';
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelling the bulk run cancels the children still running; each undoes its own steps.
    runner.progress.state = 'cancelled';
  }
  await steps.recordRunState({ syndicateId: input.syndicateId, workflowId, status: runner.progress.state });
  return runner.progress;
}
