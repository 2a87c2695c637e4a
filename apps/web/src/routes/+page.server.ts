import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { homeOf, requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = (event) => {
  redirect(303, homeOf(requireActor(event)));
};
