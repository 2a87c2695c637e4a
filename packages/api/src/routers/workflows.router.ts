import { workflowIdInput } from '@mutualis/contracts';
import { cancelRun, getRunProgress, retryRun } from '@mutualis/core';
import { can } from '../trpc.ts';

export const workflowsRouter = {
  /** The progress of a run: every step with its state, times, attempts and last error in plain words. */
  get: can('read', 'WorkflowRun').input(workflowIdInput).query(async ({ ctx, input }) => getRunProgress(ctx.db, await ctx.temporal(), ctx.actor, input.workflowId)),
  /** Runs the failed step of a waiting run again. */
  retry: can('update', 'WorkflowRun').input(workflowIdInput).mutation(async ({ ctx, input }) => {
    await retryRun(ctx.db, await ctx.temporal(), ctx.actor, input.workflowId);
    return { ok: true as const };
  }),
  /** Cancels a run; what its steps made is removed. */
  cancel: can('update', 'WorkflowRun').input(workflowIdInput).mutation(async ({ ctx, input }) => {
    await cancelRun(ctx.db, await ctx.temporal(), ctx.actor, input.workflowId);
    return { ok: true as const };
  }),
};
