import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { bulkOnboardWorkflowId } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

const idSchema = z.uuid();

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  if (!idSchema.safeParse(event.params.id).success) error(404, { message: 'not found' });
  const run = await orPageError(api(event).workflows.get({ workflowId: bulkOnboardWorkflowId(event.params.id) }));
  return { run, canManageRuns: actor.ability.can('update', 'WorkflowRun') };
};

export const actions: Actions = {
  cancel: async (event) => {
    try {
      await api(event).workflows.cancel({ workflowId: bulkOnboardWorkflowId(event.params.id!) });
      return { done: 'cancel' };
    } catch (e) {
      if (e instanceof TRPCError) return fail(400, { message: e.message });
      throw e;
    }
  },
};
