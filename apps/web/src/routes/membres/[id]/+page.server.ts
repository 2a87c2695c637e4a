import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { Actions, PageServerLoad } from './$types';
import { memberIdInput, onboardWorkflowId } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  // A malformed id is simply a page that does not exist.
  if (!memberIdInput.safeParse({ id: event.params.id }).success) error(404, { message: 'not found' });
  const caller = api(event);
  const member = await orPageError(caller.members.get({ id: event.params.id }));
  // The onboarding run, if the actor may see it; "unavailable" when Temporal cannot answer right now.
  let run: Awaited<ReturnType<typeof caller.workflows.get>> | null = null;
  let runUnavailable = false;
  if (actor.ability.can('read', 'WorkflowRun')) {
    try {
      run = await caller.workflows.get({ workflowId: onboardWorkflowId(member.id) });
    } catch (e) {
      if (!(e instanceof TRPCError && e.code === 'NOT_FOUND')) runUnavailable = true;
    }
  }
  return { member, run, runUnavailable, canManageRuns: actor.ability.can('update', 'WorkflowRun'), canInvite: actor.ability.can('update', 'Member') };
};

async function decide(event: Parameters<Actions[string]>[0], what: 'retry' | 'cancel') {
  try {
    const caller = api(event);
    const workflowId = onboardWorkflowId(event.params.id!);
    if (what === 'retry') await caller.workflows.retry({ workflowId });
    else await caller.workflows.cancel({ workflowId });
    return { done: what };
  } catch (e) {
    if (e instanceof TRPCError) return fail(e.code === 'FORBIDDEN' ? 403 : 400, { message: e.message });
    throw e;
  }
}

export const actions: Actions = {
  invite: async (event) => {
    const form = await event.request.formData();
    const dsi = { email: String(form.get('dsiEmail') ?? '').trim(), name: String(form.get('dsiName') ?? '').trim() };
    try {
      await api(event).members.inviteDsi({ id: event.params.id!, dsi });
      return { invited: dsi.email };
    } catch (e) {
      if (e instanceof TRPCError) return fail(400, { message: e.message, dsi });
      throw e;
    }
  },
  retry: (event) => decide(event, 'retry'),
  cancel: (event) => decide(event, 'cancel'),
};
