import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { CURRENT_SUBSCRIPTION_STATUSES } from '@mutualis/contracts';
import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { yearOf } from '#lib/server/cost-year.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireSpace } from '#lib/server/guards.ts';
import { COST_ROLES, managedCommune } from '#lib/server/managed-commune.ts';

/** A commune's own contribution: its figures only (the API answers for that member alone). */
export const load: PageServerLoad = async (event) => {
  const actor = requireSpace(event, 'commune');
  const { memberId } = managedCommune(event, COST_ROLES);
  const communes = actor.memberships.filter((ms) => ms.memberId !== null && COST_ROLES.includes(ms.role))
    .map((ms) => ({ id: ms.memberId!, name: ms.memberName ?? ms.memberId! }))
    .filter((c, i, all) => all.findIndex((x) => x.id === c.id) === i);
  if (!communes.some((c) => c.id === memberId)) error(404, { message: 'not found' });
  const year = yearOf(event.url);
  const caller = api(event);
  const [allocation, trend, subscriptions, publication] = await Promise.all([
    // A year the commune did not belong to has no contribution: the page says so rather than failing.
    orPageError(caller.costs.allocation({ year, memberId }).catch((e: unknown) => {
      if (e instanceof TRPCError && e.code === 'NOT_FOUND') return null;
      throw e;
    })),
    orPageError(caller.costs.trend({ toYear: year, memberId })),
    caller.subscriptions.list({ memberId, limit: 100 }),
    caller.costs.publication.get(),
  ]);
  const own = allocation?.members.find((m) => m.memberId === memberId) ?? null;
  const current = new Set<string>(CURRENT_SUBSCRIPTION_STATUSES);
  return {
    year, memberId, communes,
    name: communes.find((c) => c.id === memberId)!.name,
    member: own,
    daysInYear: allocation?.daysInYear ?? 365,
    lines: allocation?.lines ?? [],
    offerings: (allocation?.offerings ?? []).map((o) => ({ id: o.id, slug: o.slug, nameFr: o.nameFr, nameEn: o.nameEn })),
    publishedToMembers: publication.publishedToMembers,
    trend,
    uses: subscriptions.items.filter((s) => current.has(s.status))
      .map((s) => ({ id: s.id, offeringName: s.offeringName, offeringNameEn: s.offeringNameEn, planName: s.planName, planNameEn: s.planNameEn, seats: s.seats, status: s.status })),
  };
};
