/** Login, sessions and throttling through the real services, on the real database, as the application role. */
import { AccountDisabledError, authenticate, InvalidCredentialsError, login, logout, MAX_FAILURES_PER_ACCOUNT, ThrottledError } from '@mutualis/core';
import { sql } from '@mutualis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDb, closeDbs, ownerDb } from '../support/db.ts';
import { createTenant, sha256, type TestTenant } from '../support/factories.ts';

let t: TestTenant;
beforeAll(async () => { t = await createTenant({ communes: 1 }); });
afterAll(closeDbs);

const HOUR = 3600_000;
const sessionRow = (id: string) => ownerDb().selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const setSession = (id: string, values: { expiresAt?: Date; lastSeenAt?: Date }) =>
  ownerDb().updateTable('sessions').set(values).where('id', '=', id).execute();

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try { await promise; } catch (error) { return error; }
  throw new Error('expected the call to be refused');
}

describe('login', () => {
  it('opens a session whose 256-bit token is stored only as its SHA-256', async () => {
    const { token, actor, expiresAt } = await t.login('commune_dsi');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(actor.userId).toBe(t.users.commune_dsi.id);
    expect(actor.tenant).toEqual({ syndicateId: t.syndicateId, memberIds: [t.members[0]!.id] });
    const row = await sessionRow(actor.sessionId);
    expect(row.tokenHash.equals(sha256(token))).toBe(true);
    expect(row.expiresAt.getTime()).toBe(expiresAt.getTime());
    // Nowhere in the row, in any encoding the token could have been written in.
    const dump = JSON.stringify(row) + row.tokenHash.toString('hex') + row.tokenHash.toString('base64');
    for (const form of [token, Buffer.from(token, 'base64url').toString('hex'), Buffer.from(token, 'base64url').toString('base64')]) {
      expect(dump).not.toContain(form);
    }
  });

  it('gives a new token at each login', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 3; i++) tokens.add((await t.login('commune_agent')).token);
    expect(tokens.size).toBe(3);
  });

  it('refuses a wrong password, and an unknown e-mail, with the same error', async () => {
    await expect(login(appDb(), { email: t.users.commune_elected.email, password: `${t.password}x` }, { ip: t.ip, userAgent: null }))
      .rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(login(appDb(), { email: `nobody.${t.tag}@tests.example`, password: t.password }, { ip: t.ip, userAgent: null }))
      .rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('stores passwords as argon2id with m=19456, t=2, p=1 and a random salt', async () => {
    const user = await ownerDb().selectFrom('users').select('passwordHash').where('id', '=', t.users.board_member.id).executeTakeFirstOrThrow();
    // PHC string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
    const [, algorithm, version, params, salt, hash] = user.passwordHash!.split('$');
    expect({ algorithm, version, params }).toEqual({ algorithm: 'argon2id', version: 'v=19', params: 'm=19456,t=2,p=1' });
    expect(Buffer.from(salt!, 'base64').length).toBeGreaterThanOrEqual(16);
    expect(Buffer.from(hash!, 'base64').length).toBeGreaterThanOrEqual(32);
  });

  it('writes auth.login and auth.logout to the audit trail of the tenant, and auth.login_failed for a wrong password', async () => {
    const user = await t.addUser('commune_dsi', t.members[0]!.id);
    const { actor } = await t.login(user);
    await logout(appDb(), actor);
    await expect(t.login(user)).resolves.toBeDefined();
    await expect(login(appDb(), { email: user.email, password: 'wrong' }, { ip: t.ip, userAgent: null })).rejects.toBeInstanceOf(InvalidCredentialsError);
    const events = await ownerDb().selectFrom('auditEvents').select(['action', 'subjectType', 'subjectId', 'actorUserId', 'memberId', 'ip'])
      .where('syndicateId', '=', t.syndicateId).where((eb) => eb.or([eb('actorUserId', '=', user.id), eb('subjectId', '=', user.id)]))
      .orderBy('seq').execute();
    // A DSI's login is the password, then the second factor (auth.second_factor).
    expect(events.map((e) => e.action)).toEqual(['auth.login', 'auth.second_factor', 'auth.logout', 'auth.login', 'auth.second_factor', 'auth.login_failed']);
    expect(events[0]).toEqual({ action: 'auth.login', subjectType: 'Session', subjectId: actor.sessionId, actorUserId: user.id, memberId: t.members[0]!.id, ip: t.ip });
    expect(events[1]).toEqual({ action: 'auth.second_factor', subjectType: 'User', subjectId: user.id, actorUserId: user.id, memberId: t.members[0]!.id, ip: t.ip });
    expect(events[2]).toEqual({ action: 'auth.logout', subjectType: 'Session', subjectId: actor.sessionId, actorUserId: user.id, memberId: t.members[0]!.id, ip: t.ip });
    expect(events[5]).toMatchObject({ subjectType: 'User', subjectId: user.id, actorUserId: null });
  });
});

describe('authenticate', () => {
  it('returns the actor of a live session, and null after logout', async () => {
    const { token, actor } = await t.login('syndicate_operator');
    expect((await authenticate(appDb(), token, t.ip))?.sessionId).toBe(actor.sessionId);
    await logout(appDb(), actor);
    expect(await authenticate(appDb(), token, t.ip)).toBeNull();
    expect((await sessionRow(actor.sessionId)).endedAt).toBeInstanceOf(Date);
  });

  it('returns null once the absolute lifetime is over, even for a session in use', async () => {
    const { token, actor } = await t.login('syndicate_operator');
    await setSession(actor.sessionId, { expiresAt: new Date(Date.now() + 60_000) });
    expect(await authenticate(appDb(), token, t.ip)).not.toBeNull();
    await setSession(actor.sessionId, { expiresAt: new Date(Date.now() - 1000), lastSeenAt: new Date() });
    expect(await authenticate(appDb(), token, t.ip)).toBeNull();
  });

  it('returns null after 2 hours without activity, not before', async () => {
    const { token, actor } = await t.login('syndicate_operator');
    await setSession(actor.sessionId, { lastSeenAt: new Date(Date.now() - 2 * HOUR + 60_000) });
    expect(await authenticate(appDb(), token, t.ip)).not.toBeNull();
    // That use refreshed the idle clock.
    expect(Date.now() - (await sessionRow(actor.sessionId)).lastSeenAt.getTime()).toBeLessThan(10_000);
    await setSession(actor.sessionId, { lastSeenAt: new Date(Date.now() - 2 * HOUR - 1000) });
    expect(await authenticate(appDb(), token, t.ip)).toBeNull();
  });

  it('returns null for a disabled user, whose login is then refused', async () => {
    const user = await t.addUser('commune_agent', t.members[0]!.id);
    const { token } = await t.login(user);
    await ownerDb().updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute();
    expect(await authenticate(appDb(), token, t.ip)).toBeNull();
    await expect(t.login(user)).rejects.toBeInstanceOf(AccountDisabledError);
  });

  it('returns null for an unknown, empty or oversized token', async () => {
    expect(await authenticate(appDb(), 'A'.repeat(43), t.ip)).toBeNull();
    expect(await authenticate(appDb(), '', t.ip)).toBeNull();
    expect(await authenticate(appDb(), 'A'.repeat(5000), t.ip)).toBeNull();
  });
});

describe('throttling per account', () => {
  it(`refuses the right password after ${MAX_FAILURES_PER_ACCOUNT} failures in an hour, until the oldest one is an hour old`, async () => {
    const user = await t.addUser('commune_elected', t.members[0]!.id);
    const meta = { ip: t.ip, userAgent: null };
    expect(MAX_FAILURES_PER_ACCOUNT).toBe(100);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) {
      const error = await rejection(login(appDb(), { email: user.email, password: `wrong-${i}` }, meta));
      expect(error, `failed attempt ${i + 1}`).toBeInstanceOf(InvalidCredentialsError);
    }
    const failures = await ownerDb().selectFrom('loginFailures').select(['id', 'failedAt'])
      .where('accountKey', '=', sha256(`account:${user.email}`)).orderBy('failedAt').execute();
    expect(failures).toHaveLength(MAX_FAILURES_PER_ACCOUNT);

    // From another address too: the limit is the account's, not the IP's.
    const error = await rejection(login(appDb(), { email: user.email, password: t.password }, { ip: '192.0.2.77', userAgent: null }));
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAt.getTime()).toBe(failures[0]!.failedAt.getTime() + HOUR);
    // Another account from the same address still logs in.
    await expect(t.login('syndicate_finance')).resolves.toBeDefined();
    // Once the oldest failure leaves the hour, 99 remain in it: the right password works again.
    await sql`update login_failures set failed_at = now() - interval '1 hour 1 second' where id = ${failures[0]!.id}`.execute(ownerDb());
    await expect(t.login(user)).resolves.toBeDefined();
  }, 60_000);

  it('forgets the failures of an account once its owner logs in', async () => {
    const user = await t.addUser('commune_elected', t.members[0]!.id);
    for (let i = 0; i < 3; i++) await expect(login(appDb(), { email: user.email, password: 'nope' }, { ip: t.ip, userAgent: null })).rejects.toThrow();
    const key = sha256(`account:${user.email}`);
    const countFailures = async () => (await ownerDb().selectFrom('loginFailures').select((eb) => eb.fn.countAll<string>().as('n')).where('accountKey', '=', key).executeTakeFirstOrThrow()).n;
    expect(await countFailures()).toBe('3');
    await t.login(user);
    expect(await countFailures()).toBe('0');
  });
});
