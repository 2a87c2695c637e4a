/**
 * Who may onboard and steer a run, explicitly (the tenant-isolation walker probes other tenants'
 * ids; here the callers act on their OWN commune's run): commune roles, read-only staff and an
 * external provider get FORBIDDEN for members.onboard, members.searchReference, workflows.retry and
 * workflows.cancel, and nothing changes (finance and the board may search the reference, public data,
 * to simulate a commune joining). A DSI still sees their commune's run (workflows.get).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import type { Role } from '@mutualis/contracts';
import { requestOnboarding } from '@mutualis/core';
import { appDb, closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, testTemporal, type TestTenant, type TestUser } from '../../support/factories.ts';
import { startTestSink, type TestSink } from '../../support/smtp.ts';
import { startTestWorker, waitForProgress, type TestWorker } from '../../support/workers.ts';

let sink: TestSink;
let worker: TestWorker;
let tenant: TestTenant;
let run: { memberId: string; workflowId: string };
const users = {} as Record<'commune_dsi' | 'commune_agent' | 'commune_elected', TestUser>;

beforeAll(async () => {
  sink = await startTestSink();
  worker = await startTestWorker('onboard-permissions', { smtpUrl: sink.url });
  tenant = await createTenant({ communes: 1 });
  const other = await createTenant({ communes: 1 });
  // A run that stays `waiting` (its DSI address belongs to another syndicate): something to retry or cancel.
  const { actor } = await tenant.openSession('syndicate_operator');
  run = await requestOnboarding(appDb(), await testTemporal(), actor,
    { kind: 'commune', inseeCode: '69256', dsi: { email: other.users.commune_agent.email, name: 'Autre Personne' } }, worker.taskQueue);
  await waitForProgress(tenant.caller(actor).caller, run.workflowId, (p) => p.state === 'waiting');
  // The commune's own people: they belong to the member being onboarded.
  for (const role of ['commune_dsi', 'commune_agent', 'commune_elected'] as const) users[role] = await tenant.addUser(role, run.memberId);
}, 120_000);

afterAll(async () => {
  if (run) {
    const { actor } = await tenant.openSession('syndicate_admin');
    await tenant.caller(actor).caller.workflows.cancel({ workflowId: run.workflowId }).catch(() => undefined);
    await (await testTemporal()).workflow.getHandle(run.workflowId).result().catch(() => undefined);
  }
  await worker?.stop();
  await sink?.stop();
  await closeDbs();
});

const REFUSED: Array<Role> = ['commune_dsi', 'commune_agent', 'commune_elected', 'syndicate_finance', 'board_member', 'external_provider'];

async function callerAs(role: Role) {
  const user = role === 'commune_dsi' || role === 'commune_agent' || role === 'commune_elected' ? users[role] : tenant.users[role];
  const { actor } = await tenant.openSession(user);
  return { actor, caller: tenant.caller(actor).caller };
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  const error = await call.then(() => null, (e: unknown) => e);
  if (!(error instanceof TRPCError)) throw new Error(`Expected a refusal, got ${error === null ? 'a result' : String(error)}`);
  return error.code;
}

const snapshot = async () => {
  const owner = ownerDb();
  const count = async (table: 'members' | 'auditEvents' | 'workflowRuns') => Number((await owner.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'))
    .where('syndicateId', '=', tenant.syndicateId).executeTakeFirstOrThrow()).n);
  return { members: await count('members'), audit: await count('auditEvents'), runs: await count('workflowRuns') };
};

describe('onboarding and its runs are for the syndicate\'s admins and operators', () => {
  it.each(REFUSED)('%s: FORBIDDEN to onboard, retry or cancel (and to search the reference, unless it simulates costs) — even their own commune\'s run', async (role) => {
    const { caller } = await callerAs(role);
    const before = await snapshot();
    expect(await codeOf(caller.members.onboard({ kind: 'commune', inseeCode: '69266', dsi: { email: `x.${tenant.tag}@tests.example`, name: 'X Y' } }))).toBe('FORBIDDEN');
    expect(await codeOf(caller.members.onboard({ kind: 'epci', siren: '200046977' }))).toBe('FORBIDDEN');
    if (role === 'syndicate_finance' || role === 'board_member') {
      expect((await caller.members.searchReference({ query: 'Vaulx' })).map((h) => h.inseeCode)).toContain('69256');
    } else {
      expect(await codeOf(caller.members.searchReference({ query: 'Vaulx' }))).toBe('FORBIDDEN');
    }
    expect(await codeOf(caller.workflows.retry({ workflowId: run.workflowId }))).toBe('FORBIDDEN');
    expect(await codeOf(caller.workflows.cancel({ workflowId: run.workflowId }))).toBe('FORBIDDEN');
    expect(await snapshot()).toEqual(before);
    const progress = await (await testTemporal()).workflow.getHandle(run.workflowId).query<{ state: string; cancelledBy: string | null; steps: Array<{ attempts: number }> }>('progress');
    expect(progress).toMatchObject({ state: 'waiting', cancelledBy: null });
    expect(progress.steps[2]!.attempts).toBe(1);
  });

  it('a commune DSI may follow their commune\'s run; its agents and elected officials may not', async () => {
    const dsi = await callerAs('commune_dsi');
    expect(await dsi.caller.workflows.get({ workflowId: run.workflowId })).toMatchObject({ workflowId: run.workflowId, state: 'waiting', subjectId: run.memberId });
    for (const role of ['commune_agent', 'commune_elected', 'external_provider'] as const) {
      const { caller } = await callerAs(role);
      expect(await codeOf(caller.workflows.get({ workflowId: run.workflowId }))).toBe('FORBIDDEN');
    }
  });

  it('the operator may search the reference and retry the run (the control: the same calls are allowed)', async () => {
    const { caller } = await callerAs('syndicate_operator');
    const found = await caller.members.searchReference({ query: 'Vaulx-en-Velin' });
    expect(JSON.stringify(found)).toContain('69256');
    await caller.workflows.retry({ workflowId: run.workflowId });
    const again = await waitForProgress(caller, run.workflowId, (p) => p.state === 'waiting' && p.steps[2]!.attempts === 2);
    expect(again.steps[2]!.error).toMatch(/appartient déjà à un compte d'un autre organisme/);
  });
});
