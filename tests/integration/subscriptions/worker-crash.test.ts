/**
 * The worker process dies (SIGKILL) in the middle of a subscription's recipe: the database step is
 * done and the SSO client step is inside its transaction, held up by a lock. A new worker process
 * takes the step over once the killed one stops heartbeating (20 s); the run completes with one
 * database, one login role, one SSO client and one address: nothing made twice.
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { WorkflowProgress } from '@mutualis/contracts';
import { requestSubscription } from '@mutualis/core';
import { sql } from '@mutualis/db';
import { appDb, closeDbs, superuserDb } from '../../support/db.ts';
import { testEnv } from '../../support/env.ts';
import { createTenant, testTemporal } from '../../support/factories.ts';
import { newTaskQueue, spawnWorkerProcess, type WorkerProcess } from '../../support/workers.ts';
import { addOffering, footprint, FULL_RECIPE } from './support.ts';

const workers: WorkerProcess[] = [];
const locker = new pg.Client({ connectionString: testEnv().databaseUrl });
afterAll(async () => {
  for (const w of workers) await w.stop();
  await locker.end().catch(() => {});
  await closeDbs();
});

it('a worker killed mid-recipe: a new worker completes the run, and no database, role or SSO client is made twice', async () => {
  const tenant = await createTenant({ communes: 1, catalog: true });
  const member = tenant.members[0]!;
  const taskQueue = newTaskQueue('subscription-crash');
  const first = spawnWorkerProcess(taskQueue, process.env.SMTP_URL!);
  workers.push(first);
  await first.ready;

  // Hold writes to the SSO clients: the recipe's second step will wait inside its transaction.
  await locker.connect();
  await locker.query('begin');
  await locker.query('lock table oidc_clients in exclusive mode');

  const dsi = await tenant.actorFor('commune_dsi');
  // The file cloud's recipe, without the approval step.
  const { offeringId, planId } = await addOffering(tenant.syndicateId, 'wiki', FULL_RECIPE);
  const temporal = await testTemporal();
  const { subscriptionId, workflowId } = await requestSubscription(appDb(), temporal, dsi, { memberId: member.id, offeringId, planId }, taskQueue);

  // Wait until the database exists and the SSO step's insert is blocked on the lock.
  const deadline = Date.now() + 30_000;
  for (;;) {
    // Asked on another connection: inside the locker's transaction, pg_stat_activity is a frozen snapshot.
    const blocked = await sql<{ query: string }>`select query from pg_stat_activity where wait_event_type = 'Lock' and query ilike '%oidc_clients%'`.execute(superuserDb());
    if (blocked.rows.length === 1) break;
    if (Date.now() > deadline) throw new Error(`the recipe did not reach its second step: ${JSON.stringify(await footprint(subscriptionId))}\n${first.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const during = await footprint(subscriptionId);
  expect(during.databases).toHaveLength(1);
  expect(during.resources.map((r) => [r.key, r.state])).toEqual([['database', 'ready'], ['sso', 'provisioning']]);
  first.child.kill('SIGKILL');
  expect(await first.exited).toBeNull();
  await locker.query('rollback');

  const second = spawnWorkerProcess(taskQueue, process.env.SMTP_URL!);
  workers.push(second);
  await second.ready;
  const result: WorkflowProgress = await temporal.workflow.getHandle(workflowId).result();
  expect(result.state).toBe('completed');
  expect(result.steps.find((s) => s.key === 'database')).toMatchObject({ state: 'done', attempts: 1 });
  expect(result.steps.find((s) => s.key === 'sso')).toMatchObject({ state: 'done', attempts: 1 });

  const made = await footprint(subscriptionId);
  expect(made.sub?.status).toBe('active');
  expect(made.resources.map((r) => [r.key, r.state])).toEqual([['database', 'ready'], ['sso', 'ready'], ['endpoint', 'ready']]);
  expect(made.databases).toHaveLength(1);
  expect(made.roles).toEqual(made.databases);
  expect(made.clients).toHaveLength(1);
  expect(made.clients[0]!.clientId).toBe(made.resources[1]!.externalId);
  expect(made.endpoints).toHaveLength(1);
}, 120_000);
