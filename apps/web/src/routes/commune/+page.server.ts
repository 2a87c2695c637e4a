import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { requireSpace } from '#lib/server/guards.ts';
import { asSubject } from '@mutualis/authz';

export const load: PageServerLoad = async (event) => {
  const actor = requireSpace(event, 'commune');
  const caller = api(event);
  const ids = [...new Set(actor.memberships.map((ms) => ms.memberId).filter((id): id is string => id !== null))];
  const communes = await Promise.all(ids.map((id) => caller.members.get({ id })));
  // The portal: the commune's applications in service, each opened with the same sign-in (the SSO).
  const canSeeServices = actor.ability.can('read', 'Subscription');
  const applications = await Promise.all(ids.map(async (id) => (canSeeServices
    ? (await caller.subscriptions.list({ memberId: id, status: 'active', limit: 100 })).items.filter((s) => s.url !== null)
    : [])));
  return {
    communes: communes.map((c, i) => ({
      ...c, roles: actor.memberships.filter((ms) => ms.memberId === c.id).map((ms) => ms.role),
      canManageIdentity: actor.ability.can('update', asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId: c.id })),
      applications: applications[i]!.map((s) => ({ id: s.id, nameFr: s.offeringName, nameEn: s.offeringNameEn, kind: s.offeringKind, url: s.url! })),
    })),
  };
};
