import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  const search = event.url.searchParams.get('q')?.slice(0, 100) ?? '';
  const cursor = event.url.searchParams.get('apres');
  const page = await orPageError(api(event).members.list({ search: search || undefined, cursor, limit: 50 }));
  return { search, page, isFirstPage: !cursor, canOnboard: actor.ability.can('create', 'Member') };
};
