import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { memberIdInput } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  requireActor(event);
  // A malformed id is simply a page that does not exist.
  if (!memberIdInput.safeParse({ id: event.params.id }).success) error(404, { message: 'not found' });
  return { member: await orPageError(api(event).members.get({ id: event.params.id })) };
};
