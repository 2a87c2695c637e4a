import { error, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { takeFederationCookie } from '#lib/server/federation-cookie.ts';
import { safeRedirect } from '#lib/server/guards.ts';

const HOME: Record<string, string> = { syndicate: '/syndicat', board: '/comite', commune: '/commune' };

/**
 * Where the commune's provider sends the browser back. The sealed request leaves the browser here,
 * whatever happens (a second visit of the same URL finds nothing and is refused); the session is
 * opened by the API, then the person goes to the second-factor page if one is due, else back to
 * where they were going (an application's sign-in, `/interaction/<uid>`) or to their space.
 */
export const load: PageServerLoad = async (event) => {
  const request = takeFederationCookie(event) ?? '';
  let result;
  try {
    result = await api(event).federation.complete({ query: event.url.search, request });
  } catch (e) {
    if (!(e instanceof TRPCError)) throw e;
    error(e.code === 'FORBIDDEN' ? 403 : 400, { message: e.message });
  }
  const target = safeRedirect(result.redirectTo);
  if (result.secondFactor !== 'done') {
    redirect(303, target ? `/connexion/verification?redirectTo=${encodeURIComponent(target)}` : '/connexion/verification');
  }
  const space = ['syndicate', 'board', 'commune'].find((s) => (result.spaces as string[]).includes(s)) ?? 'commune';
  redirect(303, target ?? HOME[space]!);
};
