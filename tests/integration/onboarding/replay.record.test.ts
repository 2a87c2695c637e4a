/**
 * Records the onboardMember histories that replay.test.ts replays. Not part of the normal suite
 * (vitest.config.ts leaves *.record.test.ts out unless RECORD_HISTORIES=1): run it on purpose,
 * after an intended incompatible change, with
 *   RECORD_HISTORIES=1 npm test -- tests/integration/onboarding/replay.record.test.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { WorkflowProgress } from '@mutualis/contracts';
import { requestOnboarding } from '@mutualis/core';
import { HISTORIES, recordedFiles } from './replay.test.ts';

describe('recording onboardMember histories (RECORD_HISTORIES=1)', () => {
  // Imported here only: recording needs the stack (database, Temporal, SMTP), replaying does not.
  let stack: Awaited<ReturnType<typeof openStack>>;
  beforeAll(async () => { stack = await openStack(); }, 120_000);
  afterAll(async () => { await stack?.close(); });

  async function record(name: string, run: () => Promise<string>) {
    const workflowId = await run();
    const handle = (await stack.temporal()).workflow.getHandle(workflowId);
    await handle.result();
    writeFileSync(path.join(HISTORIES, `${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
  }

  it('records the runs', async () => {
    const { tenant, onboard, caller, waitForState, deadRelay } = stack;
    // 1. Everything done, with a DSI invited by mail.
    await record('completed-with-dsi', async () => (await onboard({ kind: 'commune', inseeCode: '69256', dsi: { email: `dsi.replay.${tenant.tag}@tests.example`, name: 'Camille Martin' } })).workflowId);
    // 2. Everything done, the invitation skipped (no DSI given).
    await record('completed-without-dsi', async () => (await onboard({ kind: 'commune', inseeCode: '69259' })).workflowId);
    // 3. The invitation refused (address of another syndicate), retried by a person, refused again, then cancelled.
    await record('refused-retried-cancelled', async () => {
      const { workflowId } = await onboard({ kind: 'commune', inseeCode: '69266', dsi: { email: stack.otherEmail, name: 'Autre Syndicat' } });
      await waitForState(workflowId, (p) => p.state === 'waiting');
      await caller.workflows.retry({ workflowId });
      await waitForState(workflowId, (p) => p.state === 'waiting' && p.steps[2]!.attempts === 2);
      await caller.workflows.cancel({ workflowId });
      return workflowId;
    });
    // 4. Cancelled while the invitation's mail was retrying (SMTP down).
    await record('cancelled-while-mail-retries', async () => {
      const { workflowId } = await deadRelay.onboard({ kind: 'commune', inseeCode: '69029', dsi: { email: `dsi.down.${tenant.tag}@tests.example`, name: 'Sacha Bernard' } });
      await waitForState(workflowId, (p) => ((p as { live?: { attempt: number } | null }).live?.attempt ?? 0) >= 2);
      await caller.workflows.cancel({ workflowId });
      return workflowId;
    });
    expect(recordedFiles()).toEqual(expect.arrayContaining(['cancelled-while-mail-retries.json', 'completed-with-dsi.json', 'completed-without-dsi.json', 'refused-retried-cancelled.json']));
  }, 120_000);
});

/** What recording needs: a tenant, our worker and sink, and a worker whose relay is down. */
async function openStack() {
  const [{ appDb, closeDbs }, { createTenant, testTemporal }, smtp, workers] = await Promise.all([
    import('../../support/db.ts'), import('../../support/factories.ts'), import('../../support/smtp.ts'), import('../../support/workers.ts'),
  ]);
  const tenant = await createTenant({ communes: 1 });
  const other = await createTenant({ communes: 1 });
  const { actor } = await tenant.openSession('syndicate_operator');
  const { caller } = tenant.caller(actor);
  const sink = await smtp.startTestSink();
  const worker = await workers.startTestWorker('replay-record', { smtpUrl: sink.url });
  const dead = await smtp.claimPort();
  const downWorker = await workers.startTestWorker('replay-record-down', { smtpUrl: dead.url });
  type Input = Parameters<typeof requestOnboarding>[3];
  return {
    tenant, caller, temporal: testTemporal, otherEmail: other.users.commune_agent.email,
    onboard: async (input: Input) => requestOnboarding(appDb(), await testTemporal(), actor, input, worker.taskQueue),
    deadRelay: { onboard: async (input: Input) => requestOnboarding(appDb(), await testTemporal(), actor, input, downWorker.taskQueue) },
    waitForState: (workflowId: string, done: (p: WorkflowProgress) => boolean) => workers.waitForProgress(caller, workflowId, done),
    async close() {
      await Promise.all([worker.stop(), downWorker.stop()]);
      await sink.stop();
      dead.release();
      await closeDbs();
    },
  };
}
