/** The whole chain on the real Temporal server: client → server → our worker → activity → PostgreSQL. */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pingWorkflowName } from '@mutualis/contracts';
import { readEnv, startWorker, type RunningWorker } from '@mutualis/worker';
import type { pingWorkflow } from '@mutualis/workflows/workflows';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testEnv } from '../support/env.ts';

// A queue of its own, so the stack's worker (on the default queue) cannot be the one that answers.
const taskQueue = `tests-ping-${randomUUID()}`;
let running: RunningWorker;
let connection: Connection;

beforeAll(async () => {
  const env = testEnv();
  // The SDK logs every worker state change at INFO; a test run shows warnings and errors only.
  try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* a runtime already exists in this process */ }
  // The worker's own settings as the stack gives them (readEnv names any that is missing), on our queue.
  const workerEnv = readEnv({
    ...process.env, APP_DATABASE_URL: env.appDatabaseUrl, TEMPORAL_ADDRESS: env.temporalAddress, TEMPORAL_NAMESPACE: env.temporalNamespace, TEMPORAL_TASK_QUEUE: taskQueue,
  });
  running = await startWorker(workerEnv, { identity: `tests-${taskQueue}` });
  connection = await Connection.connect({ address: env.temporalAddress });
}, 120_000);

afterAll(async () => {
  await connection?.close();
  if (running) {
    running.worker.shutdown();
    await running.run;
    await running.db.destroy();
    await running.connection.close();
  }
});

it('runs pingWorkflow on our worker, whose activity reads the database clock', async () => {
  const client = new Client({ connection, namespace: testEnv().temporalNamespace });
  const workflowId = `tests:ping:${randomUUID()}`;
  const before = Date.now();
  const handle = await client.workflow.start<typeof pingWorkflow>(pingWorkflowName, { taskQueue, workflowId, args: [{ name: 'Givors' }] });
  const result = await handle.result();
  expect(result.greeting).toBe('Bonjour Givors');
  expect(result.databaseTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const time = Date.parse(result.databaseTime);
  // The database and this process share a clock (same machine or NTP): allow some skew.
  expect(time).toBeGreaterThan(before - 5_000);
  expect(time).toBeLessThan(Date.now() + 5_000);

  const description = await handle.describe();
  expect(description.status.name).toBe('COMPLETED');
  expect(description.taskQueue).toBe(taskQueue);
  // The activity ran on our worker, identified as such in the history.
  const history = await handle.fetchHistory();
  const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
  expect(started.map((e) => e.activityTaskStartedEventAttributes!.identity)).toEqual([`tests-${taskQueue}`]);
}, 60_000);
