import { fail, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { fieldErrorsOf } from '#lib/server/errors.ts';
import { setFederationCookie } from '#lib/server/federation-cookie.ts';
import { homeOf, safeRedirect } from '#lib/server/guards.ts';

export const load: PageServerLoad = (event) => {
  if (event.locals.actor) redirect(303, safeRedirect(event.url.searchParams.get('redirectTo')) ?? homeOf(event.locals.actor));
  return { redirectTo: safeRedirect(event.url.searchParams.get('redirectTo')) };
};

export const actions: Actions = {
  /** "Se connecter avec le compte de ma commune": the e-mail's domain picks the provider; the browser goes there. */
  default: async (event) => {
    const form = await event.request.formData();
    const email = String(form.get('email') ?? '');
    const redirectTo = safeRedirect(String(form.get('redirectTo') ?? ''));
    let started;
    try {
      started = await api(event).federation.begin({ email, redirectTo });
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields = fieldErrorsOf(e);
      return fail(e.code === 'BAD_REQUEST' || e.code === 'NOT_FOUND' ? 400 : 503, { email, redirectTo, fields, message: fields.email ? null : e.message });
    }
    setFederationCookie(event, started.request, started.expiresAt);
    // The upstream's authorization endpoint, from the discovery document of the issuer the DSI configured.
    redirect(303, started.authorizationUrl, { external: true });
  },
};
