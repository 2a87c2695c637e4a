import { proxyActivities } from '@temporalio/workflow';
import type { PingInput, PingResult } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';

const { databaseTime } = proxyActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5 } });

/** A trivial workflow that proves the whole chain: client → server → worker → activity → database. */
export async function pingWorkflow(input: PingInput): Promise<PingResult> {
  const time = await databaseTime();
  return { greeting: `Bonjour ${input.name}`, databaseTime: time };
}
