import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import type { WorkflowProgress } from '@mutualis/contracts';
import { closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, randomSiren, testTemporal, type TestTenant } from '../../support/factories.ts';
import { resultWithin } from '../../support/workers.ts';

let tenant: TestTenant;
beforeAll(async () => { tenant = await createTenant({ communes: 1 }); });
afterAll(() => closeDbs());

describe('onboarding another public body by its SIREN (members.onboard, kind other)', () => {
  it('a CCAS with a valid SIREN becomes an active member; the same SIREN again is refused at once', async () => {
    const { caller } = tenant.caller(await tenant.actorFor('syndicate_operator'));
    const siren = randomSiren();
    const { memberId, workflowId } = await caller.members.onboard({ kind: 'other', siren: `${siren.slice(0, 3)} ${siren.slice(3, 6)} ${siren.slice(6)}`, name: `CCAS de test ${tenant.tag}`, agentCount: 12 });
    const result: WorkflowProgress = await resultWithin((await testTemporal()).workflow.getHandle(workflowId));
    expect(result.state).toBe('completed');
    const row = await ownerDb().selectFrom('members').select(['kind', 'siren', 'name', 'status', 'agentCount', 'inseeCode']).where('id', '=', memberId).executeTakeFirstOrThrow();
    expect(row).toEqual({ kind: 'other', siren, name: `CCAS de test ${tenant.tag}`, status: 'active', agentCount: 12, inseeCode: null });

    const before = await ownerDb().selectFrom('members').select('id').where('syndicateId', '=', tenant.syndicateId).execute();
    const duplicate = await caller.members.onboard({ kind: 'other', siren, name: 'Doublon' }).catch((e: unknown) => e);
    expect((duplicate as TRPCError).code).toBe('BAD_REQUEST');
    expect((duplicate as TRPCError).message).toMatch(/déjà membre/);
    const after = await ownerDb().selectFrom('members').select('id').where('syndicateId', '=', tenant.syndicateId).execute();
    expect(after).toHaveLength(before.length);
  });

  it('a SIREN whose check digit is wrong, or a body with no name, is refused with the field', async () => {
    const { caller } = tenant.caller(await tenant.actorFor('syndicate_operator'));
    const siren = randomSiren();
    const wrong = `${siren.slice(0, 8)}${(Number(siren[8]) + 1) % 10}`;
    const bad = await caller.members.onboard({ kind: 'other', siren: wrong, name: 'CCAS' }).catch((e: unknown) => e);
    expect((bad as TRPCError).code).toBe('BAD_REQUEST');
    expect(String((bad as TRPCError).message)).toMatch(/clé de contrôle/);
    const unnamed = await caller.members.onboard({ kind: 'other', siren: randomSiren() }).catch((e: unknown) => e);
    expect((unnamed as TRPCError).code).toBe('BAD_REQUEST');
    expect((unnamed as TRPCError).message).toMatch(/nom de l'organisme/);
  });
});
