import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DailyUsageResult, RecordDailyUsageInput } from '@mutualis/contracts';
import type { Activities } from '../activities/index.ts';

const steps = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute', retry: { maximumInterval: '5 minutes' } });

const parisDay = (date: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);

/** The metering schedule's daily run: records the day's usage of every billed subscription (idempotent per day). */
export async function recordDailyUsage(input: RecordDailyUsageInput = {}): Promise<DailyUsageResult> {
  const day = input.day ?? parisDay(workflowInfo().startTime);
  return steps.recordDailyUsage({ day });
}
