import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { yearOf } from '#lib/server/cost-year.ts';
import { requireSpace } from '#lib/server/guards.ts';
import { COST_ROLES, managedCommune } from '#lib/server/managed-commune.ts';

/** Every member's contribution, for a commune's elected officials and DSI once the syndicate has published it. */
export const load: PageServerLoad = async (event) => {
  const actor = requireSpace(event, 'commune');
  const { memberId } = managedCommune(event, COST_ROLES);
  if (!actor.memberships.some((ms) => ms.memberId === memberId && COST_ROLES.includes(ms.role))) error(404, { message: 'not found' });
  const year = yearOf(event.url);
  try {
    const allocation = await api(event).costs.allocation({ year });
    // Unpublished, the API answers with the commune's own figures only: nothing to show here.
    if (!allocation.publishedToMembers || allocation.scope !== 'all') return { year, memberId, published: false as const, members: [], totals: null };
    return {
      year, memberId, published: true as const, totals: allocation.totals,
      members: allocation.members.map((m) => ({
        memberId: m.memberId, name: m.name, population: m.population, sharedCents: m.sharedCents, aLaCarteCents: m.aLaCarteCents,
        totalCents: m.totalCents, perInhabitantCents: m.perInhabitantCents,
      })),
    };
  } catch (e) {
    if (e instanceof TRPCError && e.code === 'FORBIDDEN') return { year, memberId, published: false as const, members: [], totals: null };
    throw e;
  }
};
