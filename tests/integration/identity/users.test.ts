/** A commune's people, managed by its DSI: invite, list, roles, sessions, disabling (which revokes every SSO token). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptInvitation, authenticate } from '@mutualis/core';
import { sql } from '@mutualis/db';
import { appDb, closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../../support/factories.ts';
import { mailsTo } from '../../support/outbox.ts';

let t: TestTenant;
beforeAll(async () => { t = await createTenant({ communes: 2 }); });
afterAll(closeDbs);

const dsiCaller = async () => t.caller((await t.openSession('commune_dsi')).actor).caller;
const ssoRecordsOf = async (userId: string) => Number((await sql<{ n: string }>`select count(*) as n from oidc_payloads where payload->>'accountId' = ${userId}`.execute(ownerDb())).rows[0]!.n);

/** Stored SSO models naming the user, as oidc-provider writes them (a session, a grant, a refresh token). */
async function ssoRecordsFor(userId: string) {
  for (const [model, id] of [['Session', `s-${userId}`], ['Grant', `g-${userId}`], ['RefreshToken', `r-${userId}`]] as const) {
    await ownerDb().insertInto('oidcPayloads').values({
      model, id, payload: JSON.stringify({ accountId: userId, kind: model, jti: id }), expiresAt: new Date(Date.now() + 3600_000), grantId: null, uid: null, userCode: null,
    }).execute();
  }
}

describe('users.invite and users.list', () => {
  it('invites an agent by mail; the person appears invited, then active with their role once the link is used', async () => {
    const caller = await dsiCaller();
    const email = `nouvel-agent.${t.tag}@tests.example`;
    const { workflowId } = await caller.users.invite({ memberId: t.members[0]!.id, email, displayName: 'Camille Martin', role: 'commune_agent' });
    const run = await (await testTemporal()).workflow.getHandle(workflowId!).result();
    expect(run.state).toBe('completed');
    const mail = (await mailsTo(email)).at(-1)!;
    expect(mail.raw).toContain('agent');
    const token = mail.links.find((l) => l.includes('/invitation/'))!.split('/invitation/')[1]!;

    let listed = (await caller.users.list({ memberId: t.members[0]!.id, search: 'camille' }));
    expect(listed).toEqual([expect.objectContaining({ email, displayName: 'Camille Martin', status: 'invited', roles: ['commune_agent'], secondFactor: false, lastLoginAt: null })]);

    const session = await acceptInvitation(appDb(), token, 'marronnier fenêtre ardoise 9', { ip: t.ip, userAgent: 'tests' });
    expect(session.secondFactor).toBe('done');
    listed = await caller.users.list({ memberId: t.members[0]!.id, search: email });
    expect(listed[0]).toMatchObject({ status: 'active', openSessions: 1 });
    expect(listed[0]!.lastLoginAt).not.toBeNull();
  });

  it('adds the role to someone already in the commune, without mail; refuses an address of another organisation', async () => {
    const caller = await dsiCaller();
    const agent = await t.addUser('commune_agent', t.members[0]!.id);
    const added = await caller.users.invite({ memberId: t.members[0]!.id, email: agent.email, displayName: 'Xavier', role: 'commune_elected' });
    expect(added).toEqual({ workflowId: null, userId: agent.id });
    const other = await createTenant({ communes: 1 });
    await expect(caller.users.invite({ memberId: t.members[0]!.id, email: other.users.commune_agent.email, displayName: 'Y Z', role: 'commune_agent' }))
      .rejects.toThrow(/autre organisme/);
    const elsewhere = await t.addUser('commune_agent', t.members[1]!.id);
    await expect(caller.users.invite({ memberId: t.members[0]!.id, email: elsewhere.email, displayName: 'Y Z', role: 'commune_agent' }))
      .rejects.toThrow(/autre organisme/);
  });

  it('validates input with field names and sentences', async () => {
    const caller = await dsiCaller();
    await expect(caller.users.invite({ memberId: t.members[0]!.id, email: 'pas-une-adresse', displayName: 'Ab', role: 'commune_agent' })).rejects.toThrow(/email/);
    await expect(caller.users.invite({ memberId: t.members[0]!.id, email: `ok.${t.tag}@tests.example`, displayName: 'Ab', role: 'syndicate_admin' as never })).rejects.toThrow(/role/);
  });

  it('keeps each commune\'s people to its own DSI', async () => {
    const caller = await dsiCaller();
    const there = await t.addUser('commune_agent', t.members[1]!.id);
    for (const call of [
      () => caller.users.list({ memberId: t.members[1]!.id }),
      () => caller.users.invite({ memberId: t.members[1]!.id, email: `x.${t.tag}@tests.example`, displayName: 'X Y', role: 'commune_agent' }),
      () => caller.users.disable({ memberId: t.members[1]!.id, userId: there.id }),
      () => caller.users.endSessions({ memberId: t.members[1]!.id, userId: there.id }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    // Naming their own commune with a user of the other one: not found, nothing changed.
    await expect(caller.users.disable({ memberId: t.members[0]!.id, userId: there.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const row = await ownerDb().selectFrom('users').select('status').where('id', '=', there.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
    // An agent manages nobody.
    const agent = t.caller((await t.openSession('commune_agent')).actor).caller;
    await expect(agent.users.list({ memberId: t.members[0]!.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('disabling and ending sessions', () => {
  it('disabling ends every platform session and deletes every SSO session, grant and token of the person at once', async () => {
    const caller = await dsiCaller();
    const agent = await t.addUser('commune_agent', t.members[0]!.id);
    const a = await t.login(agent);
    const b = await t.login(agent);
    await ssoRecordsFor(agent.id);
    expect(await ssoRecordsOf(agent.id)).toBe(3);

    await caller.users.disable({ memberId: t.members[0]!.id, userId: agent.id });
    expect(await authenticate(appDb(), a.token, t.ip)).toBeNull();
    expect(await authenticate(appDb(), b.token, t.ip)).toBeNull();
    expect(await ssoRecordsOf(agent.id)).toBe(0);
    await expect(t.login(agent)).rejects.toThrow(/désactivé/);
    const audit = await ownerDb().selectFrom('auditEvents').select(['action', 'after']).where('subjectId', '=', agent.id).where('action', '=', 'user.disabled').executeTakeFirstOrThrow();
    expect(audit.after).toMatchObject({ status: 'disabled', platformSessions: 2, ssoRecords: 3 });

    await caller.users.enable({ memberId: t.members[0]!.id, userId: agent.id });
    expect((await t.login(agent)).secondFactor).toBe('done');
  });

  it('ends a person\'s sessions without disabling them; a DSI cannot disable their own account', async () => {
    const dsi = await t.openSession('commune_dsi');
    const caller = t.caller(dsi.actor).caller;
    const agent = await t.addUser('commune_agent', t.members[0]!.id);
    const session = await t.login(agent);
    await ssoRecordsFor(agent.id);
    const result = await caller.users.endSessions({ memberId: t.members[0]!.id, userId: agent.id });
    expect(result).toEqual({ platformSessions: 1, ssoRecords: 3 });
    expect(await authenticate(appDb(), session.token, t.ip)).toBeNull();
    expect((await t.login(agent)).secondFactor).toBe('done');
    await expect(caller.users.disable({ memberId: t.members[0]!.id, userId: dsi.actor.userId })).rejects.toThrow(/propre compte/);
  });

  it('sets exactly the roles given, and refuses none', async () => {
    const caller = await dsiCaller();
    const agent = await t.addUser('commune_agent', t.members[0]!.id);
    await caller.users.setRoles({ memberId: t.members[0]!.id, userId: agent.id, roles: ['commune_elected', 'commune_agent'] });
    const roles = await ownerDb().selectFrom('memberships').select('role').where('userId', '=', agent.id).orderBy('role').execute();
    expect(roles.map((r) => r.role)).toEqual(['commune_agent', 'commune_elected']);
    await caller.users.setRoles({ memberId: t.members[0]!.id, userId: agent.id, roles: ['commune_elected'] });
    expect((await ownerDb().selectFrom('memberships').select('role').where('userId', '=', agent.id).execute()).map((r) => r.role)).toEqual(['commune_elected']);
    await expect(caller.users.setRoles({ memberId: t.members[0]!.id, userId: agent.id, roles: [] })).rejects.toThrow(/au moins un rôle/);
  });
});

describe('one\'s own sessions', () => {
  it('lists them with this one first, ends another, not this one', async () => {
    const agent = await t.addUser('commune_agent', t.members[0]!.id);
    const first = await t.login(agent);
    const second = await t.login(agent);
    const { caller } = t.caller(second.actor, second.token);
    const sessions = await caller.sessions.list();
    expect(sessions.map((s) => [s.id, s.current])).toEqual([[second.actor.sessionId, true], [first.actor.sessionId, false]]);
    await expect(caller.sessions.end({ sessionId: second.actor.sessionId })).rejects.toThrow(/Se déconnecter/);
    await caller.sessions.end({ sessionId: first.actor.sessionId });
    expect(await authenticate(appDb(), first.token, t.ip)).toBeNull();
    // Someone else's session is not found.
    const other = await t.login(await t.addUser('commune_agent', t.members[0]!.id));
    await expect(caller.sessions.end({ sessionId: other.actor.sessionId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('branding', () => {
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);

  it('stores the name, a readable colour and a real image; the commune\'s agents read it, another commune\'s DSI cannot change it', async () => {
    const caller = await dsiCaller();
    const memberId = t.members[0]!.id;
    await expect(caller.settings.setBranding({ memberId, brandName: 'Ville test', brandColor: '#ffff00' })).rejects.toThrow(/trop claire/);
    await expect(caller.settings.setBranding({ memberId, brandName: 'Ville test', brandColor: 'bleu' })).rejects.toThrow(/#rrggbb/);
    await expect(caller.settings.setBranding({ memberId, brandName: 'Ville test', brandColor: null, logo: { type: 'image/png', base64: Buffer.from('<svg onload=alert(1)>').toString('base64') } }))
      .rejects.toThrow(/pas une image/);
    await caller.settings.setBranding({ memberId, brandName: 'Ville test', brandColor: '#1D4E89', logo: { type: 'image/png', base64: png.toString('base64') } });

    const agent = t.caller((await t.openSession('commune_agent')).actor).caller;
    expect(await agent.settings.branding({ memberId })).toEqual({ memberId, brandName: 'Ville test', brandColor: '#1d4e89', hasLogo: true });
    expect(await agent.settings.branding({ memberId: t.members[1]!.id })).toBeNull();
    const otherDsi = t.caller((await t.openSession(await t.addUser('commune_dsi', t.members[1]!.id))).actor).caller;
    await expect(otherDsi.settings.setBranding({ memberId, brandName: 'Piraté', brandColor: null })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
