/**
 * Replay of recorded onboardMember histories against the current workflow bundle: a change to the
 * workflow code that would break runs already in flight (a step added, moved or removed, a timer or
 * signal handled differently) fails here, in CI, before it reaches a worker in production.
 *
 * The histories are real runs (tests/integration/onboarding/histories/*.json, Temporal's JSON
 * history format, the one `temporal workflow show --output json` writes). Replaying needs no server.
 * Histories of earlier code are kept under their version's name (`before-<patch>.*.json`): they are
 * the runs in flight at the time of that change, which the `patched()` branch must still replay.
 *
 * Re-record them, on purpose, after an intended incompatible change (which needs a versioning plan
 * for runs in flight: `patched()` or a new workflow type), with the test stack's settings:
 *   RECORD_HISTORIES=1 pnpm exec vitest run tests/integration/onboarding/replay.test.ts
 * (through the stack: `npm test -- tests/integration/onboarding/replay.test.ts` with
 * RECORD_HISTORIES=1 in the environment). Review the diff, then commit the files.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { WorkflowProgress } from '@mutualis/contracts';
import { requestOnboarding } from '@mutualis/core';
import { workflowBundle } from '@mutualis/worker';

const HISTORIES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const recording = process.env.RECORD_HISTORIES === '1';

interface Recorded { workflowId: string; history: unknown }

const recordedFiles = () => readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): Recorded => {
  const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as { events: Array<Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const workflowId = String(history.events[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? file);
  return { workflowId, history };
};

describe.runIf(recording)('recording onboardMember histories (RECORD_HISTORIES=1)', () => {
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

describe('replaying recorded onboardMember histories against the current workflow code', () => {
  beforeAll(() => {
    try { Runtime.install({ logger: new DefaultLogger('WARN') }); } catch { /* a runtime already exists in this process */ }
  });

  it('has recorded histories to replay', () => {
    expect(recordedFiles().length).toBeGreaterThanOrEqual(4);
  });

  it('replays every recorded history without a non-determinism error', async () => {
    const files = recordedFiles();
    const histories = files.map(load);
    const results: Array<{ file: string; error: string | null }> = [];
    let i = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      results.push({ file: files[i++]!, error: result.error ? String(result.error) : null });
    }
    expect(results).toEqual(files.map((file) => ({ file, error: null })));
  }, 120_000);

  it('notices a history that does not match: the check can fail', async () => {
    // The completed run with its first activity renamed: the current code schedules registerMember, the history says otherwise.
    const { workflowId, history } = load('completed-with-dsi.json');
    const tampered = JSON.parse(JSON.stringify(history).replace('"registerMember"', '"registerMemberV0"')) as unknown;
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, tampered, workflowId)).rejects.toThrow(/[Nn]ondeterminis/);
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
