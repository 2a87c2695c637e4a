import { proxyActivities } from '@temporalio/workflow';
import type { CheckResourcesInput, ResourceCheck } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';

const steps = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

/** "Vérifier" (and "Réparer"): inspects every resource of a subscription, remakes what drifted when asked. */
export async function checkResources(input: CheckResourcesInput): Promise<ResourceCheck[]> {
  return steps.checkSubscriptionResources(input);
}
