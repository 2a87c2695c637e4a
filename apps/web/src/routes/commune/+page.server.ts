import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { requireSpace } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  const actor = requireSpace(event, 'commune');
  const caller = api(event);
  const ids = [...new Set(actor.memberships.map((ms) => ms.memberId).filter((id): id is string => id !== null))];
  const communes = await Promise.all(ids.map((id) => caller.members.get({ id })));
  return {
    communes: communes.map((c) => ({ ...c, roles: actor.memberships.filter((ms) => ms.memberId === c.id).map((ms) => ms.role) })),
  };
};
