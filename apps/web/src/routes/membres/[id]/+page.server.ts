import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { Actions, PageServerLoad } from './$types';
import { memberIdInput, offboardWorkflowId, onboardWorkflowId } from '@mutualis/contracts';
import { env } from '#lib/server/env.ts';
import { api } from '#lib/server/context.ts';
import { settled } from '#lib/server/runs.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  // A malformed id is simply a page that does not exist.
  if (!memberIdInput.safeParse({ id: event.params.id }).success) error(404, { message: 'not found' });
  const caller = api(event);
  const member = await orPageError(caller.members.get({ id: event.params.id }));
  // The onboarding run, if the actor may see it; "unavailable" when Temporal cannot answer right now.
  let runUnavailable = false;
  const runOf = async (workflowId: string) => {
    if (!actor.ability.can('read', 'WorkflowRun')) return null;
    try {
      return await caller.workflows.get({ workflowId });
    } catch (e) {
      if (!(e instanceof TRPCError && e.code === 'NOT_FOUND')) runUnavailable = true;
      return null;
    }
  };
  const [run, offboardRun] = await Promise.all([runOf(onboardWorkflowId(member.id)), runOf(offboardWorkflowId(member.id))]);
  return {
    member, run, offboardRun, runUnavailable,
    canManageRuns: actor.ability.can('update', 'WorkflowRun'),
    canInvite: actor.ability.can('update', 'Member'),
    canOffboard: actor.ability.can('update', 'Member') && actor.ability.can('update', 'WorkflowRun'),
    retentionDays: env().MEMBER_RETENTION_DAYS,
  };
};

async function decide(event: Parameters<Actions[string]>[0], what: 'retry' | 'cancel', workflowIdOf = onboardWorkflowId) {
  try {
    const caller = api(event);
    const workflowId = workflowIdOf(event.params.id!);
    if (what === 'retry') await caller.workflows.retry({ workflowId });
    else {
      await caller.workflows.cancel({ workflowId });
      await settled(event, workflowId);
    }
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
  offboard: async (event) => {
    try {
      await api(event).members.offboard({ id: event.params.id! });
      return { offboarding: true };
    } catch (e) {
      if (e instanceof TRPCError) return fail(e.code === 'FORBIDDEN' ? 403 : 400, { message: e.message });
      throw e;
    }
  },
  offboardRetry: (event) => decide(event, 'retry', offboardWorkflowId),
  offboardCancel: (event) => decide(event, 'cancel', offboardWorkflowId),
};
