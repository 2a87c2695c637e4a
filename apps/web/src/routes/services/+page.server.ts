import { error } from '@sveltejs/kit';
import { z } from 'zod';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '@mutualis/contracts';
import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

const uuid = z.uuid();

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  if (!actor.ability.can('read', 'Subscription')) error(404, { message: 'not found' });
  const caller = api(event);
  const isStaff = actor.memberships.some((ms) => ms.memberId === null);
  const params = event.url.searchParams;
  const memberParam = params.get('membre');
  const statusParam = params.get('statut');
  const memberId = memberParam && uuid.safeParse(memberParam).success ? memberParam : undefined;
  const status = SUBSCRIPTION_STATUSES.includes(statusParam as SubscriptionStatus) ? (statusParam as SubscriptionStatus) : undefined;
  const cursor = params.get('apres');
  const [page, members] = await Promise.all([
    orPageError(caller.subscriptions.list({ memberId, status, cursor, limit: 50 })),
    isStaff && actor.ability.can('read', 'Member') ? caller.members.list({ limit: 200 }).then((p) => p.items.map((i) => ({ id: i.id, name: i.name }))) : Promise.resolve([]),
  ]);
  return { page, members, isStaff, memberId: memberId ?? '', status: status ?? '', isFirstPage: !cursor, canRequest: actor.ability.can('create', 'Subscription') };
};
