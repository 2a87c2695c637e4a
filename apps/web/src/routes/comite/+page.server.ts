import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireAllocationOverview } from '#lib/server/guards.ts';
import { contributionsPage, currentYear, tableQuery, yearParam } from './contributions.ts';

/**
 * The board's space: a year's split of the costs between all members (costs.allocation), its
 * five-year trend (costs.trend), and the table of contributions sorted, searched and paged on the
 * server from the address, so that all of it works without JavaScript.
 */
export const load: PageServerLoad = async (event) => {
  requireAllocationOverview(event);
  const year = yearParam(event.url.searchParams);
  const query = tableQuery(event.url.searchParams);
  const caller = api(event);
  const [allocation, trend] = await Promise.all([
    orPageError(caller.costs.allocation({ year })),
    orPageError(caller.costs.trend({ toYear: year, years: 5 })),
  ]);
  const { members, ...rest } = allocation;
  const now = currentYear();
  const years = [...new Set([now + 1, ...Array.from({ length: 6 }, (_, i) => now - i), year])].sort((a, b) => b - a);
  return { year, years, query, allocation: rest, table: contributionsPage(members, query), trend };
};
