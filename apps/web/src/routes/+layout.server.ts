import type { LayoutServerLoad } from './$types';
import { spaceOfRole } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { seesAllocationOverview } from '#lib/server/guards.ts';

export const load: LayoutServerLoad = async (event) => {
  const actor = event.locals.actor;
  // The catalogue and the services are for the syndicate's staff and the communes' DSIs (other
  // roles that may read them reach the pages by address); decisions are for those who may approve.
  const servesServices = actor?.memberships.some((ms) => spaceOfRole(ms.role) === 'syndicate' || ms.role === 'commune_dsi') ?? false;
  return {
    locale: event.locals.locale,
    me: await api(event).auth.me(),
    nav: {
      catalog: servesServices && (actor?.ability.can('read', 'Offering') ?? false),
      services: servesServices && (actor?.ability.can('read', 'Subscription') ?? false),
      requests: actor?.ability.can('approve', 'Subscription') ?? false,
      // The cost model for the staff who may read it (finance, administrators); a commune's own costs for its elected officials and DSI.
      costs: actor?.ability.can('read', 'CostModel') ?? false,
      communeCosts: actor?.memberships.some((ms) => ms.role === 'commune_elected' || ms.role === 'commune_dsi') ?? false,
      // Board members reach the cost pages through their own space's link; finance and administrators through this one.
      sharedCosts: actor ? seesAllocationOverview(actor) && !actor.memberships.some((ms) => spaceOfRole(ms.role) === 'board') : false,
    },
  };
};
