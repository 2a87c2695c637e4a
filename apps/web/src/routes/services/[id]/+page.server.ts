import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { deprovisionSubscriptionWorkflowName, provisionWorkflowId, subscriptionIdInput } from '@mutualis/contracts';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { messages } from '#lib/i18n/index.ts';
import { formatCents } from '#lib/money.ts';
import { api } from '#lib/server/context.ts';
import { intOrUndefined } from '#lib/server/form-values.ts';
import { settled } from '#lib/server/runs.ts';
import { env } from '#lib/server/env.ts';
import { failStatus, fieldErrorsOf, orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  // A malformed id is simply a page that does not exist.
  if (!subscriptionIdInput.safeParse({ id: event.params.id }).success) error(404, { message: 'not found' });
  // The page may carry secrets shown once: never kept by a cache.
  event.setHeaders({ 'cache-control': 'private, no-store' });
  const caller = api(event);
  const subscription = await orPageError(caller.subscriptions.get({ id: event.params.id }));
  let runUnavailable = false;
  const runOf = async (workflowId: string | undefined) => {
    if (!workflowId || !actor.ability.can('read', 'WorkflowRun')) return null;
    try {
      return await caller.workflows.get({ workflowId });
    } catch (e) {
      if (!(e instanceof TRPCError && e.code === 'NOT_FOUND')) runUnavailable = true;
      return null;
    }
  };
  // Runs come newest first: the latest cancellation is the one that matters.
  const deprovisionId = subscription.runs.find((r) => r.workflowType === deprovisionSubscriptionWorkflowName)?.workflowId;
  const [run, deprovisionRun] = await Promise.all([runOf(provisionWorkflowId(subscription.id)), runOf(deprovisionId)]);
  return {
    subscription, run, deprovisionRun, runUnavailable,
    canManageRuns: actor.ability.can('update', 'WorkflowRun'),
    canUpdate: actor.ability.can('update', 'Subscription'),
    canVerify: actor.ability.can('read', 'Resource'),
    graceDays: env().SUBSCRIPTION_GRACE_DAYS,
  };
};

type Event = RequestEvent;

/** A refused call as the page's form data: the sentence, and which form it belongs to. */
function refused(e: unknown, action: string, extra: Record<string, unknown> = {}) {
  if (!(e instanceof TRPCError)) throw e;
  const fields = fieldErrorsOf(e);
  return fail(failStatus(e), { action, message: e.message, fields, ...extra });
}


async function runDecision(event: Event, what: 'retry' | 'cancel', workflowId: string) {
  try {
    if (what === 'retry') await api(event).workflows.retry({ workflowId });
    else {
      await api(event).workflows.cancel({ workflowId });
      await settled(event, workflowId);
    }
    return { action: what, done: true };
  } catch (e) {
    return refused(e, what);
  }
}

export const actions: Actions = {
  reveal: async (event) => {
    try {
      const secrets = await api(event).subscriptions.revealSecrets({ id: event.params.id });
      return { action: 'reveal', secrets };
    } catch (e) {
      return refused(e, 'reveal');
    }
  },
  verify: async (event) => {
    try {
      return { action: 'check', repair: false, checks: await api(event).subscriptions.verify({ id: event.params.id }) };
    } catch (e) {
      return refused(e, 'check');
    }
  },
  repair: async (event) => {
    try {
      return { action: 'check', repair: true, checks: await api(event).subscriptions.repair({ id: event.params.id }) };
    } catch (e) {
      return refused(e, 'check');
    }
  },
  changePlan: async (event) => {
    const form = await event.request.formData();
    const values = { planId: String(form.get('planId') ?? ''), seats: String(form.get('seats') ?? ''), storageGb: String(form.get('storageGb') ?? '') };
    try {
      const { annualCents } = await api(event).subscriptions.changePlan({
        id: event.params.id, planId: values.planId, seats: intOrUndefined(form.get('seats')), storageGb: intOrUndefined(form.get('storageGb')),
      });
      return { action: 'changePlan', changed: messages(event.locals.locale).subscription.planChanged(formatCents(event.locals.locale, annualCents)) };
    } catch (e) {
      return refused(e, 'changePlan', { values });
    }
  },
  cancel: async (event) => {
    try {
      await api(event).subscriptions.cancel({ id: event.params.id });
      return { action: 'cancel', done: true };
    } catch (e) {
      return refused(e, 'cancel');
    }
  },
  retry: (event) => runDecision(event, 'retry', provisionWorkflowId(event.params.id)),
  cancelRun: (event) => runDecision(event, 'cancel', provisionWorkflowId(event.params.id)),
  /** Takes back a cancellation during its grace period (the DSI as well as the syndicate's staff). */
  stopCancel: async (event) => {
    try {
      await api(event).subscriptions.keep({ id: event.params.id });
      return { action: 'cancel', done: true };
    } catch (e) {
      return refused(e, 'cancel');
    }
  },
};
