import { fail, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { homeOf, safeRedirect } from '#lib/server/guards.ts';

export const load: PageServerLoad = (event) => {
  if (event.locals.actor) redirect(303, safeRedirect(event.url.searchParams.get('redirectTo')) ?? homeOf(event.locals.actor));
  return {};
};

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const email = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    let spaces: string[];
    let secondFactor: string;
    try {
      ({ spaces, secondFactor } = await api(event).auth.login({ email, password }));
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields: Record<string, string> = {};
      if (e.cause instanceof ZodError) for (const issue of e.cause.issues) fields[String(issue.path[0] ?? 'email')] ??= issue.message;
      const status = e.code === 'TOO_MANY_REQUESTS' ? 429 : e.code === 'BAD_REQUEST' ? 400 : e.code === 'SERVICE_UNAVAILABLE' ? 503 : 401;
      return fail(status, { email, message: e.cause instanceof ZodError ? null : e.message, fields });
    }
    const redirectTo = event.url.searchParams.get('redirectTo');
    // The password was right; the second factor (or its enrolment) comes next, then the same destination.
    if (secondFactor !== 'done') redirect(303, `/connexion/verification${redirectTo ? `?redirectTo=${encodeURIComponent(redirectTo)}` : ''}`);
    const home = spaces.includes('syndicate') ? '/syndicat' : spaces.includes('board') ? '/comite' : '/commune';
    redirect(303, safeRedirect(redirectTo) ?? home);
  },
};
