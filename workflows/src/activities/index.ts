import { createHealthActivities, type ActivityDeps } from './health.activities.ts';

export type { ActivityDeps } from './health.activities.ts';

/** Every activity the worker registers, built from its dependencies (real ones in production and tests). */
export function createActivities(deps: ActivityDeps) {
  return { ...createHealthActivities(deps) };
}
export type Activities = ReturnType<typeof createActivities>;
