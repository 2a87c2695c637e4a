import { createHash, randomBytes } from 'node:crypto';
import { sql, withTenant, type Db, type SecondFactorState, type Tx } from '@mutualis/db';
import type { LoginInput, Membership, Role } from '@mutualis/contracts';
import { appendAudit } from '../audit/audit.service.ts';
import { auditMemberOf, buildActor, tenantOf, type Actor } from '../actor.ts';
import { AccountDisabledError, InvalidCredentialsError, ThrottledError } from '../errors.ts';
import { burnVerifyTime, verifyPassword } from './password.ts';
import { directoryLogin, findLoginDirectory } from '../directory/directory.service.ts';

/** Session lifetime: ends after 2 h without activity, and 12 h after login in any case. */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/** Failed logins tolerated in a sliding hour: per account, then per IP address (town halls share one). */
export const MAX_FAILURES_PER_ACCOUNT = 100;
export const MAX_FAILURES_PER_IP = 1000;
const WINDOW_MS = 60 * 60 * 1000;
const TOUCH_EVERY_MS = 60 * 1000;

export interface RequestMeta { ip: string | null; userAgent: string | null }
export interface LoginResult {
  token: string;
  expiresAt: Date;
  actor: Actor;
  /** `done`: the session is open; otherwise it awaits a second factor (`verify`) or the enrolment of one (`enrol`). */
  secondFactor: SecondFactorState;
}

/** What a login may need besides the database: MUTUALIS_SECRET_KEY opens the directories' service passwords. */
export interface LoginOptions { secretKey?: string }

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest();
const accountKey = (email: string) => sha256(`account:${email.toLowerCase()}`);

/**
 * Checks e-mail and password and opens a new session (a fresh 256-bit token, stored hashed).
 * Throttled per account and per IP over a sliding hour: once the limit is reached the attempt is
 * refused before the password is even looked at, with the time it may be tried again.
 * An e-mail with no local password whose commune has a directory (LDAP / Active Directory) is
 * checked by that directory instead; a wrong directory password counts as any wrong password.
 */
export async function login(db: Db, input: LoginInput, meta: RequestMeta, options: LoginOptions = {}): Promise<LoginResult> {
  const key = accountKey(input.email);
  await assertNotThrottled(db, key, meta.ip);

  const found = (await sql<{ userId: string; syndicateId: string; passwordHash: string | null; status: string }>`
    select user_id, syndicate_id, password_hash, status from auth_find_login(${input.email})`.execute(db)).rows[0];

  const directory = !found?.passwordHash && options.secretKey ? await findLoginDirectory(db, input.email, options.secretKey) : null;
  if (directory) {
    const who = await directoryLogin(db, directory, input, meta);
    if (!who) {
      await recordFailure(db, key, meta, found ? { userId: found.userId, syndicateId: found.syndicateId } : null);
      throw new InvalidCredentialsError();
    }
    await db.deleteFrom('loginFailures').where('accountKey', '=', key).execute();
    return startSession(db, who, meta, ['pwd']);
  }

  const passwordOk = found?.passwordHash ? await verifyPassword(found.passwordHash, input.password) : (await burnVerifyTime(input.password), false);
  if (!found || !passwordOk) {
    await recordFailure(db, key, meta, found ? { userId: found.userId, syndicateId: found.syndicateId } : null);
    throw new InvalidCredentialsError();
  }
  if (found.status === 'disabled') throw new AccountDisabledError();

  await db.deleteFrom('loginFailures').where('accountKey', '=', key).execute();
  return startSession(db, { userId: found.userId, syndicateId: found.syndicateId }, meta, ['pwd']);
}

/** How a first factor proved who the person is (RFC 8176 `amr` values: `pwd`, `fed`, `mfa`…). */
export type AuthMethods = readonly string[];
/** `amr` values that already prove a second factor (an upstream provider's MFA, a key, a code). */
const MULTI_FACTOR_AMR = new Set(['mfa', 'otp', 'hwk', 'swk', 'sms']);

/**
 * Opens a session for a user whose first factor has just been checked (a password, an LDAP bind, an
 * upstream provider). Where a second factor is due, the session is opened pending (`verify`: the user
 * has one; `enrol`: the MFA policy requires one and the user has none yet): `authenticate` refuses it
 * until `completeSecondFactor` (mfa.service) upgrades it.
 */
export async function startSession(db: Db, who: { userId: string; syndicateId: string }, meta: RequestMeta, amr: AuthMethods): Promise<LoginResult> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_ABSOLUTE_MS);
  return withTenant(db, { syndicateId: who.syndicateId, memberIds: null }, async (tx) => {
    const secondFactor = amr.some((m) => MULTI_FACTOR_AMR.has(m)) ? 'done' : await secondFactorDue(tx, who.userId);
    const session = await tx.insertInto('sessions').values({
      syndicateId: who.syndicateId, userId: who.userId, tokenHash: sha256(token), ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 500) ?? null, expiresAt, amr: [...amr], secondFactor,
    }).returning('id').executeTakeFirstOrThrow();
    const actor = await loadActor(tx, who.userId, session.id, meta.ip, [...amr]);
    await appendAudit(tx, {
      syndicateId: who.syndicateId, memberId: auditMemberOf(actor.tenant), actorUserId: who.userId,
      action: 'auth.login', subjectType: 'Session', subjectId: session.id,
      after: { userAgent: meta.userAgent?.slice(0, 200) ?? null, amr: [...amr], secondFactor }, ip: meta.ip,
    });
    return { token, expiresAt, actor, secondFactor };
  });
}

/**
 * Whether a user must show a second factor: `verify` when they have one (used whenever enrolled),
 * `enrol` when the policy requires one and they have none (syndicate admins and DSIs always; every
 * user of a member whose policy is "everyone"), `done` otherwise.
 */
export async function secondFactorDue(tx: Tx, userId: string): Promise<SecondFactorState> {
  const factor = await tx.selectFrom('userFactors').select('id').where('userId', '=', userId).where('confirmedAt', 'is not', null).limit(1).executeTakeFirst();
  if (factor) return 'verify';
  return (await mfaRequired(tx, userId)) ? 'enrol' : 'done';
}

/** Roles that always need a second factor, whatever the member's policy. */
export const MFA_ROLES: readonly Role[] = ['syndicate_admin', 'commune_dsi'];

export async function mfaRequired(tx: Tx, userId: string): Promise<boolean> {
  const rows = await tx.selectFrom('memberships').leftJoin('members', 'members.id', 'memberships.memberId')
    .select(['memberships.role', 'members.mfaPolicy']).where('memberships.userId', '=', userId).execute();
  return rows.some((r) => MFA_ROLES.includes(r.role) || r.mfaPolicy === 'everyone');
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
 * absolute), still awaiting its second factor, or its user disabled. Refreshes the idle clock at most once a minute.
 */
export async function authenticate(db: Db, token: string | undefined | null, ip: string | null): Promise<Actor | null> {
  const row = await findLiveSession(db, token);
  if (!row || row.secondFactor !== 'done') return null;
  const now = Date.now();
  return withTenant(db, { syndicateId: row.syndicateId, memberIds: null }, async (tx) => {
    if (row.lastSeenAt.getTime() + TOUCH_EVERY_MS < now) {
      await tx.updateTable('sessions').set({ lastSeenAt: new Date(now) }).where('id', '=', row.sessionId).execute();
    }
    return loadActor(tx, row.userId, row.sessionId, ip, row.amr);
  });
}

export interface LiveSession {
  sessionId: string; userId: string; syndicateId: string; createdAt: Date; lastSeenAt: Date; expiresAt: Date;
  amr: string[]; secondFactor: SecondFactorState;
}

/** The session behind a token if it is still alive (not ended, not expired, its user active), whatever its second-factor state. */
export async function findLiveSession(db: Db, token: string | undefined | null): Promise<LiveSession | null> {
  if (!token || token.length > 100) return null;
  const row = (await sql<LiveSession & { endedAt: Date | null; userStatus: string }>`
    select * from auth_find_session(${sha256(token)})`.execute(db)).rows[0];
  const now = Date.now();
  if (!row || row.endedAt || row.expiresAt.getTime() <= now || row.lastSeenAt.getTime() + SESSION_IDLE_MS <= now || row.userStatus !== 'active') return null;
  return row;
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

export async function loadActor(tx: Tx, userId: string, sessionId: string, ip: string | null, amr: string[]): Promise<Actor> {
  const user = await tx.selectFrom('users').innerJoin('syndicates', 'syndicates.id', 'users.syndicateId')
    .select(['users.id', 'users.email', 'users.displayName', 'users.syndicateId', 'syndicates.name as syndicateName'])
    .where('users.id', '=', userId).executeTakeFirstOrThrow();
  const memberships: Membership[] = await tx.selectFrom('memberships').leftJoin('members', 'members.id', 'memberships.memberId')
    .select(['memberships.id', 'memberships.role', 'memberships.memberId', 'members.name as memberName'])
    .where('memberships.userId', '=', userId).orderBy('memberships.createdAt').execute();
  return buildActor({
    userId, syndicateId: user.syndicateId, syndicateName: user.syndicateName, email: user.email,
    displayName: user.displayName, sessionId, memberships, ip, amr,
  });
}
