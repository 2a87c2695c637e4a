import { createHash, randomBytes } from 'node:crypto';
import { sql, withTenant, type Db, type Tx } from '@mutualis/db';
import type { LoginInput, Membership } from '@mutualis/contracts';
import { appendAudit } from '../audit/audit.service.ts';
import { auditMemberOf, buildActor, tenantOf, type Actor } from '../actor.ts';
import { AccountDisabledError, InvalidCredentialsError, ThrottledError } from '../errors.ts';
import { burnVerifyTime, verifyPassword } from './password.ts';

/** Session lifetime: ends after 2 h without activity, and 12 h after login in any case. */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** Failed logins tolerated in a sliding hour: per account, then per IP address (town halls share one). */
export const MAX_FAILURES_PER_ACCOUNT = 100;
export const MAX_FAILURES_PER_IP = 1000;
const WINDOW_MS = 60 * 60 * 1000;
const TOUCH_EVERY_MS = 60 * 1000;

export interface RequestMeta { ip: string | null; userAgent: string | null }
export interface LoginResult { token: string; expiresAt: Date; actor: Actor }

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest();
const accountKey = (email: string) => sha256(`account:${email.toLowerCase()}`);

/**
 * Checks e-mail and password and opens a new session (a fresh 256-bit token, stored hashed).
 * Throttled per account and per IP over a sliding hour: once the limit is reached the attempt is
 * refused before the password is even looked at, with the time it may be tried again.
 */
export async function login(db: Db, input: LoginInput, meta: RequestMeta): Promise<LoginResult> {
  const key = accountKey(input.email);
  await assertNotThrottled(db, key, meta.ip);

  const found = (await sql<{ userId: string; syndicateId: string; passwordHash: string | null; status: string }>`
    select user_id, syndicate_id, password_hash, status from auth_find_login(${input.email})`.execute(db)).rows[0];

  const passwordOk = found?.passwordHash ? await verifyPassword(found.passwordHash, input.password) : (await burnVerifyTime(input.password), false);
  if (!found || !passwordOk) {
    await recordFailure(db, key, meta, found ? { userId: found.userId, syndicateId: found.syndicateId } : null);
    throw new InvalidCredentialsError();
  }
  if (found.status === 'disabled') throw new AccountDisabledError();

  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_ABSOLUTE_MS);
  const actor = await withTenant(db, { syndicateId: found.syndicateId, memberIds: null }, async (tx) => {
    await tx.deleteFrom('loginFailures').where('accountKey', '=', key).execute();
    const session = await tx.insertInto('sessions').values({
      syndicateId: found.syndicateId, userId: found.userId, tokenHash: sha256(token), ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 500) ?? null, expiresAt,
    }).returning('id').executeTakeFirstOrThrow();
    const loaded = await loadActor(tx, found.userId, session.id, meta.ip);
    await appendAudit(tx, {
      syndicateId: found.syndicateId, memberId: auditMemberOf(loaded.tenant), actorUserId: found.userId,
      action: 'auth.login', subjectType: 'Session', subjectId: session.id, after: { userAgent: meta.userAgent?.slice(0, 200) ?? null }, ip: meta.ip,
    });
    return loaded;
  });
  return { token, expiresAt, actor };
}

async function assertNotThrottled(db: Db, key: Buffer, ip: string | null): Promise<void> {
  const since = new Date(Date.now() - WINDOW_MS);
  // The attempt becomes possible again when the oldest failure that keeps the count at the limit leaves the window.
  const account = await db.selectFrom('loginFailures').select('failedAt').where('accountKey', '=', key)
    .where('failedAt', '>', since).orderBy('failedAt', 'desc').offset(MAX_FAILURES_PER_ACCOUNT - 1).limit(1).executeTakeFirst();
  if (account) throw new ThrottledError(new Date(account.failedAt.getTime() + WINDOW_MS));
  if (ip) {
    const byIp = await db.selectFrom('loginFailures').select('failedAt').where('ip', '=', ip)
      .where('failedAt', '>', since).orderBy('failedAt', 'desc').offset(MAX_FAILURES_PER_IP - 1).limit(1).executeTakeFirst();
    if (byIp) throw new ThrottledError(new Date(byIp.failedAt.getTime() + WINDOW_MS));
  }
}

async function recordFailure(db: Db, key: Buffer, meta: RequestMeta, known: { userId: string; syndicateId: string } | null): Promise<void> {
  await db.insertInto('loginFailures').values({ accountKey: key, ip: meta.ip }).execute();
  // Old failures are useless after the window; prune a little on the way.
  if (Math.random() < 0.02) await db.deleteFrom('loginFailures').where('failedAt', '<', new Date(Date.now() - 24 * WINDOW_MS)).execute();
  if (known) {
    await withTenant(db, { syndicateId: known.syndicateId, memberIds: null }, async (tx) => {
      const memberships = await tx.selectFrom('memberships').select(['role', 'memberId']).where('userId', '=', known.userId).execute();
      await appendAudit(tx, {
        syndicateId: known.syndicateId, memberId: auditMemberOf(tenantOf(known.syndicateId, memberships)),
        actorUserId: null, action: 'auth.login_failed', subjectType: 'User', subjectId: known.userId, ip: meta.ip,
      });
    });
  }
}

/**
 * The actor behind a session token, or null when the token is unknown, ended, expired (idle or
 * absolute) or its user disabled. Refreshes the idle clock at most once a minute.
 */
export async function authenticate(db: Db, token: string | undefined | null, ip: string | null): Promise<Actor | null> {
  if (!token || token.length > 100) return null;
  const row = (await sql<{ sessionId: string; userId: string; syndicateId: string; createdAt: Date; lastSeenAt: Date; expiresAt: Date; endedAt: Date | null; userStatus: string }>`
    select * from auth_find_session(${sha256(token)})`.execute(db)).rows[0];
  const now = Date.now();
  if (!row || row.endedAt || row.expiresAt.getTime() <= now || row.lastSeenAt.getTime() + SESSION_IDLE_MS <= now || row.userStatus !== 'active') return null;
  return withTenant(db, { syndicateId: row.syndicateId, memberIds: null }, async (tx) => {
    if (row.lastSeenAt.getTime() + TOUCH_EVERY_MS < now) {
      await tx.updateTable('sessions').set({ lastSeenAt: new Date(now) }).where('id', '=', row.sessionId).execute();
    }
    return loadActor(tx, row.userId, row.sessionId, ip);
  });
}

/** Ends the session server-side; the token is useless from now on. */
export async function logout(db: Db, actor: Actor): Promise<void> {
  await withTenant(db, { syndicateId: actor.syndicateId, memberIds: null }, async (tx) => {
    await tx.updateTable('sessions').set({ endedAt: new Date() }).where('id', '=', actor.sessionId).where('endedAt', 'is', null).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: auditMemberOf(actor.tenant), actorUserId: actor.userId,
      action: 'auth.logout', subjectType: 'Session', subjectId: actor.sessionId, ip: actor.ip,
    });
  });
}

async function loadActor(tx: Tx, userId: string, sessionId: string, ip: string | null): Promise<Actor> {
  const user = await tx.selectFrom('users').innerJoin('syndicates', 'syndicates.id', 'users.syndicateId')
    .select(['users.id', 'users.email', 'users.displayName', 'users.syndicateId', 'syndicates.name as syndicateName'])
    .where('users.id', '=', userId).executeTakeFirstOrThrow();
  const memberships: Membership[] = await tx.selectFrom('memberships').leftJoin('members', 'members.id', 'memberships.memberId')
    .select(['memberships.id', 'memberships.role', 'memberships.memberId', 'members.name as memberName'])
    .where('memberships.userId', '=', userId).orderBy('memberships.createdAt').execute();
  return buildActor({
    userId, syndicateId: user.syndicateId, syndicateName: user.syndicateName, email: user.email,
    displayName: user.displayName, sessionId, memberships, ip,
  });
}
