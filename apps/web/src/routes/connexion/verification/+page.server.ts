import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { safeRedirect } from '#lib/server/guards.ts';
import { enrolmentActions, trpcFailure } from '#lib/server/mfa-actions.ts';

/**
 * The second step of a login: the code of an authenticator app, a security key, or a recovery
 * code; or, when the policy requires a second factor the person does not have yet, its enrolment.
 */
export const load: PageServerLoad = async (event) => {
  const next = safeRedirect(event.url.searchParams.get('redirectTo')) ?? '/';
  // After an enrolment (a POST), the session is open but the page still has recovery codes to show.
  const afterAction = event.request.method === 'POST';
  if (event.locals.actor && !afterAction) redirect(303, next);
  const pending = await api(event).mfa.pending();
  if (!pending && !afterAction) redirect(303, `/connexion${event.url.search}`);
  return { pending, next };
};

export const actions: Actions = {
  /** A code: the authenticator app's, or a recovery code. */
  verify: async (event) => {
    const form = await event.request.formData();
    const kind = form.get('kind') === 'recovery' ? 'recovery' as const : 'totp' as const;
    try {
      await api(event).mfa.verify({ kind, code: String(form.get('code') ?? '') });
    } catch (e) {
      return trpcFailure(e, { kind });
    }
    redirect(303, safeRedirect(event.url.searchParams.get('redirectTo')) ?? '/');
  },
  ...enrolmentActions,
};
