/** Who may start a departure, and of which member: refusals happen before any run starts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { offboardWorkflowId } from '@mutualis/contracts';
import { closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, type TestTenant } from '../../support/factories.ts';

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await createTenant({ communes: [{}, { status: 'onboarding' }, { status: 'left' }, { status: 'offboarding' }] });
});
afterAll(() => closeDbs());

const errorOf = (p: Promise<unknown>) => p.then(() => { throw new Error('the call succeeded, it should have been refused'); }, (e: unknown) => e as TRPCError);

describe('members.offboard refusals', () => {
  it('is FORBIDDEN to a commune\'s DSI, even for their own commune, and to the other commune roles and the finance staff', async () => {
    for (const role of ['commune_dsi', 'commune_agent', 'commune_elected', 'syndicate_finance', 'board_member'] as const) {
      const { caller } = tenant.caller(await tenant.actorFor(role));
      const error = await errorOf(caller.members.offboard({ id: tenant.members[0]!.id }));
      expect(error, role).toBeInstanceOf(TRPCError);
      expect(error.code, role).toBe('FORBIDDEN');
      expect((await errorOf(caller.members.exportArchive({ id: tenant.members[0]!.id }))).code, role).toBe('FORBIDDEN');
    }
    const member = await ownerDb().selectFrom('members').select('status').where('id', '=', tenant.members[0]!.id).executeTakeFirstOrThrow();
    expect(member.status).toBe('active');
    expect(await ownerDb().selectFrom('workflowRuns').select('id').where('workflowId', '=', offboardWorkflowId(tenant.members[0]!.id)).execute()).toEqual([]);
  });

  it('is BAD_REQUEST, saying why, for a member that is not active', async () => {
    const { caller } = tenant.caller(await tenant.actorFor('syndicate_operator'));
    const expected = ['est en cours d\'adhésion', 'est parti', 'est en cours de départ'];
    for (const [i, member] of tenant.members.slice(1).entries()) {
      const error = await errorOf(caller.members.offboard({ id: member.id }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe(`${member.name} ${expected[i]} : seul un membre actif peut quitter le syndicat.`);
    }
    const audit = await ownerDb().selectFrom('auditEvents').select('action').where('syndicateId', '=', tenant.syndicateId).where('action', '=', 'member.offboard').execute();
    expect(audit).toEqual([]);
  });

  it('is NOT_FOUND for another syndicate\'s member, and the export of a member that is not leaving does not exist', async () => {
    const other = await createTenant({ communes: 1 });
    const { caller } = other.caller(await other.actorFor('syndicate_admin'));
    expect((await errorOf(caller.members.offboard({ id: tenant.members[0]!.id }))).code).toBe('NOT_FOUND');
    const own = tenant.caller(await tenant.actorFor('syndicate_admin')).caller;
    const none = await errorOf(own.members.exportArchive({ id: tenant.members[0]!.id }));
    expect(none.code).toBe('NOT_FOUND');
    expect(none.message).toBe(`Aucun export des données de ${tenant.members[0]!.name} : il est fait au début de son départ.`);
  });
});
