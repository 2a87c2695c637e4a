import type { PageServerLoad } from './$types';
import type { MemberSummary } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { requireSpace } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  requireSpace(event, 'board');
  const caller = api(event);
  // The board sees every member; pages of 200 keep each query small.
  const items: MemberSummary[] = [];
  let cursor: string | null = null;
  do {
    const page = await caller.members.list({ limit: 200, cursor, status: 'active' });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < 2000);
  return { items, totalPopulation: items.reduce((sum, m) => sum + m.population, 0) };
};
