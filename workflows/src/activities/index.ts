import { createHealthActivities } from './health.activities.ts';
import { createOnboardingActivities, type OnboardingDeps } from './onboarding.activities.ts';
import { createOffboardingActivities } from './offboarding.activities.ts';

export type ActivityDeps = OnboardingDeps;

/** Every activity the worker registers, built from its dependencies (real ones in production and tests). */
export function createActivities(deps: ActivityDeps) {
  return { ...createHealthActivities(deps), ...createOnboardingActivities(deps), ...createOffboardingActivities(deps) };
}
export type Activities = ReturnType<typeof createActivities>;
