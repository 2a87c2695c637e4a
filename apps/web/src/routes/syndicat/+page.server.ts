import type { PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { requireSpace } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  requireSpace(event, 'syndicate');
  const caller = api(event);
  const [all, onboarding] = await Promise.all([caller.members.list({ limit: 1 }), caller.members.list({ limit: 1, status: 'onboarding' })]);
  return { memberCount: all.total, onboardingCount: onboarding.total };
};
