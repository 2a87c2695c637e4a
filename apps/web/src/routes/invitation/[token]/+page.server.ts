import { fail, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';

export const load: PageServerLoad = async (event) => {
  const token = event.params.token;
  const invitation = token.length >= 20 && token.length <= 100
    ? await api(event).auth.invitation({ token })
    : { status: 'unknown' as const, email: null, displayName: null, memberName: null, expiresAt: null };
  return { invitation };
};

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const password = String(form.get('password') ?? '');
    const confirmation = String(form.get('confirmation') ?? '');
    if (password !== confirmation) return fail(400, { field: 'confirmation', message: 'Les deux mots de passe ne sont pas identiques.' });
    let secondFactor: string;
    try {
      ({ secondFactor } = await api(event).auth.acceptInvitation({ token: event.params.token, password }));
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const field = e.code === 'BAD_REQUEST' ? ((e.cause as { field?: string } | undefined)?.field ?? 'password') : 'token';
      return fail(400, { field, message: e.message });
    }
    // A DSI (or anyone under an "MFA for everyone" policy) sets up a second factor before going further.
    redirect(303, secondFactor === 'done' ? '/commune' : `/connexion/verification?redirectTo=${encodeURIComponent('/commune')}`);
  },
};
