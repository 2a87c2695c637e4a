import { randomBytes, randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { WorkflowProgress } from '@mutualis/contracts';
import { readEnv, startWorker, type RunningWorker } from '@mutualis/worker';
import { ownerDb } from '../../support/db.ts';
import { testEnv } from '../../support/env.ts';
import { sha256, type TestCaller, type TestTenant } from '../../support/factories.ts';

/**
 * Our own worker, in this process, on a task queue of its own: the runs these tests start are
 * executed by the code under test, and never by the stack's worker on the default queue.
 */
export async function startOwnWorker(name: string): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  const env = testEnv();
  const taskQueue = `tests-${name}-${randomUUID()}`;
  try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* a runtime already exists in this process */ }
  const workerEnv = readEnv({
    ...process.env, APP_DATABASE_URL: env.appDatabaseUrl, TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: env.temporalNamespace, TEMPORAL_TASK_QUEUE: taskQueue,
  });
  const running: RunningWorker = await startWorker(workerEnv, { identity: `tests-${taskQueue}` });
  return {
    taskQueue,
    async stop() {
      running.worker.shutdown();
      await running.run;
      await running.db.destroy();
      await running.connection.close();
    },
  };
}

/** Polls a run's progress (workflows.get, as the member page does) until `done` holds. */
export async function waitForProgress(caller: TestCaller, workflowId: string, done: (p: WorkflowProgress) => boolean, timeoutMs = 30_000): Promise<WorkflowProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: WorkflowProgress | null = null;
  while (Date.now() < deadline) {
    last = await caller.workflows.get({ workflowId }).catch(() => null);
    if (last && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Run ${workflowId} did not reach the expected state in ${timeoutMs} ms; last progress: ${JSON.stringify(last)}`);
}

/** What a member has once onboarded: identity groups, a DSI invitation, an open cost share, a contact. */
export async function onboardedData(tenant: TestTenant, memberId: string, dsi: { id: string; email: string; displayName: string }) {
  const owner = ownerDb();
  await owner.updateTable('users').set({ displayName: dsi.displayName }).where('id', '=', dsi.id).execute();
  await owner.updateTable('members').set({ contactEmail: dsi.email, contactName: dsi.displayName }).where('id', '=', memberId).execute();
  await owner.insertInto('identityGroups').values(['commune_dsi', 'commune_agent'].map((role) => ({
    syndicateId: tenant.syndicateId, memberId, role: role as 'commune_dsi', name: `groupe ${role}`,
  }))).execute();
  await owner.insertInto('invitations').values({
    syndicateId: tenant.syndicateId, memberId, userId: dsi.id, idempotencyKey: `tests:${randomUUID()}`,
    tokenHash: sha256(randomBytes(32)), expiresAt: new Date(Date.now() + 86_400_000), usedAt: new Date(),
  }).execute();
  await owner.insertInto('costShares').values({ syndicateId: tenant.syndicateId, memberId, startsOn: '2026-01-01' }).execute();
}
