/**
 * The worker process dies (SIGKILL) while the invite step is sending its mail: the relay has the
 * whole message but has not answered yet, so the mail was never accepted. A new worker process
 * takes over once the attempt times out (the activity's 30 s start-to-close limit); the run
 * completes with one DSI account, one invitation and exactly one mail accepted by the relay.
 */
import { afterAll, expect, it } from 'vitest';
import type { WorkflowProgress } from '@mutualis/contracts';
import { requestOnboarding } from '@mutualis/core';
import { appDb, closeDbs } from '../../support/db.ts';
import { createTenant, testTemporal } from '../../support/factories.ts';
import { onboardingFootprint } from '../../support/onboarding.ts';
import { startTestSink, type ReceivedMail, type TestSink } from '../../support/smtp.ts';
import { newTaskQueue, spawnWorkerProcess, waitForProgress, type WorkerProcess } from '../../support/workers.ts';

const workers: WorkerProcess[] = [];
let sink: TestSink | undefined;
afterAll(async () => {
  for (const w of workers) await w.stop();
  await sink?.stop();
  await closeDbs();
});

it('a worker killed while the invitation mail is in flight: a new worker completes the run with exactly one mail accepted', async () => {
  const tenant = await createTenant({ communes: 1 });
  const email = `dsi.crash.${tenant.tag}@tests.example`;
  let dataArrived!: (mail: ReceivedMail) => void;
  const invitationInFlight = new Promise<ReceivedMail>((resolve) => { dataArrived = resolve; });
  // The relay answers DATA 2 s after the message has arrived: time for the kill to land first.
  sink = await startTestSink(undefined, { replyDelayMs: 2_000, onDataReceived: (mail) => { if (mail.to.includes(email)) dataArrived(mail); } });
  const taskQueue = newTaskQueue('crash');
  const first = spawnWorkerProcess(taskQueue, sink.url);
  workers.push(first);
  await first.ready;

  const { actor } = await tenant.openSession('syndicate_operator');
  const { caller } = tenant.caller(actor);
  const temporal = await testTemporal();
  const { memberId, workflowId } = await requestOnboarding(appDb(), temporal, actor, { kind: 'commune', inseeCode: '69256', dsi: { email, name: 'Dominique Roux' } }, taskQueue);

  const inFlight = await invitationInFlight;
  first.child.kill('SIGKILL');
  expect(await first.exited).toBeNull(); // killed by the signal, no exit code
  const second = spawnWorkerProcess(taskQueue, sink.url);
  workers.push(second);
  await second.ready;
  // The new worker answers the progress query (queries need a live worker): the invite step is still running.
  const during = await waitForProgress(caller, workflowId, () => true, 20_000);
  expect(during.steps.map((s) => s.state)).toEqual(['done', 'done', 'running', 'pending', 'pending', 'pending']);
  const result: WorkflowProgress = await temporal.workflow.getHandle(workflowId).result();
  expect(result.state).toBe('completed');
  expect(result.steps.find((s) => s.key === 'invite')).toMatchObject({ state: 'done', attempts: 1 });

  // The killed worker's transaction never completed; the new worker's did, with the same Message-ID.
  expect(sink.abandoned.filter((m) => m.to.includes(email))).toEqual([inFlight]);
  const accepted = sink.acceptedTo(email);
  expect(accepted).toHaveLength(1);
  const messageId = (raw: string) => /^Message-ID: (.+)$/im.exec(raw)?.[1];
  expect(messageId(accepted[0]!.raw)).toBe(messageId(inFlight.raw));
  expect(accepted[0]!.links).toEqual(inFlight.links);

  const f = await onboardingFootprint(tenant.syndicateId, memberId, email);
  expect(f.member?.status).toBe('active');
  expect(f.dsiUsers).toHaveLength(1);
  expect(f.memberships.map((m) => m.role)).toEqual(['commune_dsi']);
  expect(f.invitations).toHaveLength(1);
  expect(f.outbox.filter((m) => m.template === 'dsi-invitation').map((m) => m.status)).toEqual(['sent']);

  // In the history: the mail activity's first attempt timed out with the dead worker, the second ran on the new one.
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const sendMail = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendMail')!;
  const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(sendMail.eventId));
  const started = events.find((e) => String(e.eventId) === String(completed?.activityTaskCompletedEventAttributes?.startedEventId));
  expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
  expect(started?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo).toBeTruthy();
  const createInvitation = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createDsiInvitation');
  expect(createInvitation).toHaveLength(1);
}, 90_000);
