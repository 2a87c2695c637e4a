import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { Actions, PageServerLoad } from './$types';
import { messages } from '#lib/i18n/index.ts';
import { api } from '#lib/server/context.ts';
import { failStatus, fieldErrorsOf, orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  if (!actor.ability.can('approve', 'Subscription')) error(404, { message: 'not found' });
  const page = await orPageError(api(event).subscriptions.list({ status: 'requested', limit: 200 }));
  // Oldest first: requests are decided in the order they came.
  return { requests: page.items.filter((s) => s.requiresApproval).reverse() };
};

export const actions: Actions = {
  decide: async (event) => {
    const m = messages(event.locals.locale);
    const form = await event.request.formData();
    const id = String(form.get('id') ?? '');
    const decision = form.get('decision') === 'refuse' ? 'refuse' as const : 'approve' as const;
    const reason = String(form.get('reason') ?? '').trim();
    const what = { name: String(form.get('name') ?? ''), member: String(form.get('member') ?? '') };
    try {
      await api(event).subscriptions.approve(decision === 'refuse' ? { id, decision, reason } : { id, decision, reason: reason || undefined });
      return { id, done: decision === 'refuse' ? m.requests.refused(what.name, what.member) : m.requests.approved(what.name, what.member) };
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields = fieldErrorsOf(e);
      return fail(failStatus(e), { id, reason, fieldError: fields.reason ?? null, message: fields.reason ? null : e.message });
    }
  },
};
