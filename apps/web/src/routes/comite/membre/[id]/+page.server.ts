import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { memberIdInput } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireAllocationOverview } from '#lib/server/guards.ts';
import { yearParam } from '../../contributions.ts';

/** One member's contribution for the board: its share of each budget line, its subscriptions, its trend. */
export const load: PageServerLoad = async (event) => {
  requireAllocationOverview(event);
  if (!memberIdInput.safeParse({ id: event.params.id }).success) error(404, { message: 'not found' });
  const year = yearParam(event.url.searchParams);
  const caller = api(event);
  const [allocation, trend] = await Promise.all([
    orPageError(caller.costs.allocation({ year, memberId: event.params.id })),
    orPageError(caller.costs.trend({ toYear: year, years: 5, memberId: event.params.id })),
  ]);
  const member = allocation.members.find((m) => m.memberId === event.params.id);
  if (!member) error(404, { message: 'not found' });
  return { year, member, lines: allocation.lines, offerings: allocation.offerings, daysInYear: allocation.daysInYear, trend };
};
