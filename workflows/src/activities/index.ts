import { createHealthActivities } from './health.activities.ts';
import { createOnboardingActivities, type OnboardingDeps } from './onboarding.activities.ts';
import { createOffboardingActivities } from './offboarding.activities.ts';
import { createSubscriptionActivities, type SubscriptionDeps } from './subscription.activities.ts';

export type ActivityDeps = OnboardingDeps & SubscriptionDeps;

/** Every activity the worker registers, built from its dependencies (real ones in production and tests). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps), ...createOnboardingActivities(deps), ...createOffboardingActivities(deps), ...createSubscriptionActivities(deps),
  };
}
export type Activities = ReturnType<typeof createActivities>;
