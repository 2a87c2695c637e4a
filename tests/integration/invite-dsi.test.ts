import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import type { ZodError } from 'zod';
import { acceptInvitation, inspectInvitation } from '@mutualis/core';
import { closeDbs, appDb } from '../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../support/factories.ts';
import { mailsTo } from '../support/outbox.ts';

let tenant: TestTenant;
beforeAll(async () => { tenant = await createTenant({ communes: 2 }); });
afterAll(() => closeDbs());

async function invite(email: string) {
  const operator = await tenant.actorFor('syndicate_operator');
  const { caller } = tenant.caller(operator);
  const { workflowId } = await caller.members.inviteDsi({ id: tenant.members[0]!.id, dsi: { email, name: 'Dominique Petit' } });
  const result = await (await testTemporal()).workflow.getHandle(workflowId).result();
  expect(result.state).toBe('completed');
  const mails = await mailsTo(email);
  const link = mails.at(-1)?.links.find((l) => l.includes('/invitation/'));
  expect(link).toBeDefined();
  return { token: link!.split('/invitation/')[1]!, mails };
}

describe('inviting a member\'s DSI again (members.inviteDsi, workflow inviteDsi)', () => {
  it('mails a new single-use link and revokes the previous one; the new one activates the account', async () => {
    const email = `dsi-again.${tenant.tag}@tests.example`;
    const first = await invite(email);
    expect(first.mails).toHaveLength(1);
    expect((await inspectInvitation(appDb(), first.token)).status).toBe('valid');

    const second = await invite(email);
    expect(second.mails).toHaveLength(2);
    expect(second.token).not.toBe(first.token);
    expect((await inspectInvitation(appDb(), first.token)).status).toBe('revoked');
    expect(await inspectInvitation(appDb(), second.token)).toMatchObject({ status: 'valid', email, memberName: tenant.members[0]!.name });

    await expect(acceptInvitation(appDb(), second.token, 'azerty123456', { ip: tenant.ip, userAgent: 'tests' })).rejects.toThrow(/trop facile|plus utilisés/);
    const session = await acceptInvitation(appDb(), second.token, 'pivoine horloge sable 42', { ip: tenant.ip, userAgent: 'tests' });
    expect(session.actor.memberships.map((m) => [m.role, m.memberId])).toEqual([['commune_dsi', tenant.members[0]!.id]]);
    expect((await inspectInvitation(appDb(), second.token)).status).toBe('used');
    await expect(acceptInvitation(appDb(), second.token, 'pivoine horloge sable 42', { ip: tenant.ip, userAgent: 'tests' })).rejects.toThrow(/déjà servi/);
  });

  it('is refused to commune users, and to another syndicate\'s staff it does not exist', async () => {
    for (const role of ['commune_dsi', 'commune_agent', 'commune_elected'] as const) {
      const { caller } = tenant.caller(await tenant.actorFor(role));
      const error = await caller.members.inviteDsi({ id: tenant.members[0]!.id, dsi: { email: 'x@tests.example', name: 'X Y' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('FORBIDDEN');
    }
    const other = await createTenant({ communes: 1 });
    const { caller } = other.caller(await other.actorFor('syndicate_admin'));
    const error = await caller.members.inviteDsi({ id: tenant.members[0]!.id, dsi: { email: 'x@tests.example', name: 'X Y' } }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });

  it('an invalid address is refused at once, with the field', async () => {
    const { caller } = tenant.caller(await tenant.actorFor('syndicate_operator'));
    const error = await caller.members.inviteDsi({ id: tenant.members[1]!.id, dsi: { email: 'pas-une-adresse', name: 'X Y' } }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    expect(((error as TRPCError).cause as ZodError).issues.map((i) => i.path.join('.'))).toEqual(['dsi.email']);
  });
});
