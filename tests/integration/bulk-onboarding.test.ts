import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import type { WorkflowProgress } from '@mutualis/contracts';
import { referenceEpcis } from '@mutualis/core';
import { closeDbs, ownerDb } from '../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../support/factories.ts';

// CC Terre de Camargue: Aigues-Mortes, Le Grau-du-Roi, Saint-Laurent-d'Aigouze.
const EPCI = '243000650';

let tenant: TestTenant;
beforeAll(async () => { tenant = await createTenant({ communes: 1 }); });
afterAll(() => closeDbs());

describe('bulk onboarding of the communes of an EPCI (members.onboardEpci)', () => {
  it('onboards every commune of the EPCI as child runs, each active at the end, with an aggregate progress', async () => {
    const epci = referenceEpcis().get(EPCI)!;
    const { caller } = tenant.caller(await tenant.actorFor('syndicate_operator'));
    const { workflowId, communes } = await caller.members.onboardEpci({ siren: EPCI });
    expect(communes).toBe(3);
    const result: WorkflowProgress = await (await testTemporal()).workflow.getHandle(workflowId).result();
    expect(result.state).toBe('completed');
    expect(result.children?.map((c) => c.state)).toEqual(['completed', 'completed', 'completed']);

    const rows = await ownerDb().selectFrom('members').select(['inseeCode', 'status', 'name']).where('syndicateId', '=', tenant.syndicateId)
      .where('inseeCode', 'in', epci.memberInseeCodes).orderBy('inseeCode').execute();
    expect(rows.map((r) => r.status)).toEqual(['active', 'active', 'active']);
    const progress = await caller.workflows.get({ workflowId });
    expect(progress.children?.map((c) => c.name).sort()).toEqual(rows.map((r) => r.name).sort());
    for (const child of progress.children ?? []) {
      const run = await caller.workflows.get({ workflowId: child.workflowId });
      expect(run.steps.find((s) => s.key === 'invite')).toMatchObject({ state: 'skipped' });
    }
  });

  it('skips communes already members, and refuses a SIREN that is not an EPCI', async () => {
    const { caller } = tenant.caller(await tenant.actorFor('syndicate_admin'));
    const { workflowId } = await caller.members.onboardEpci({ siren: EPCI });
    const result: WorkflowProgress = await (await testTemporal()).workflow.getHandle(workflowId).result();
    expect(result.children).toEqual([]);
    expect(result.steps[0]).toMatchObject({ state: 'done', note: '0 commune(s) à faire adhérer' });
    const error = await caller.members.onboardEpci({ siren: '216902569' }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    expect((error as TRPCError).message).toMatch(/n'est pas celui d'un EPCI/);
  });
});
