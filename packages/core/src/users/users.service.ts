import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { asSubject } from '@mutualis/authz';
import { inviteDsiWorkflowId, inviteDsiWorkflowName, TASK_QUEUE, type InviteDsiInput, type Role } from '@mutualis/contracts';
import { sql, withTenant, type Db, type MfaPolicy, type Tx } from '@mutualis/db';
import { auditMemberOf, type Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { SESSION_IDLE_MS } from '../auth/auth.service.ts';
import type { InvitedRole } from '../onboarding/onboarding.steps.ts';

/** The roles a commune's DSI gives within the commune (shared/DESIGN.md). */
export const COMMUNE_ROLES: readonly InvitedRole[] = ['commune_dsi', 'commune_agent', 'commune_elected'];

export interface UserListItem {
  id: string; email: string; displayName: string; status: 'invited' | 'active' | 'disabled';
  roles: Role[]; secondFactor: boolean; lastLoginAt: Date | null; openSessions: number;
}

/** May the actor manage the people of this member (DSI of it, syndicate admin or operator)? */
function assertManages(actor: Actor, memberId: string, action: 'read' | 'update' | 'create' = 'update'): void {
  if (!actor.ability.can(action, asSubject('User', { syndicateId: actor.syndicateId, memberId }) as never)) {
    throw new ForbiddenError("Vous ne pouvez gérer que les utilisateurs de votre commune.");
  }
}

async function memberIn(tx: Tx, memberId: string): Promise<{ id: string; name: string; status: string }> {
  const member = await tx.selectFrom('members').select(['id', 'name', 'status']).where('id', '=', memberId).executeTakeFirst();
  if (!member) throw new NotFoundError("Cette commune est introuvable, ou vous n'y avez pas accès.");
  return member;
}

/** The people of a member: their roles there, whether they have a second factor, their last login and open sessions. */
export async function listUsers(db: Db, actor: Actor, input: { memberId: string; search?: string | undefined }): Promise<UserListItem[]> {
  assertManages(actor, input.memberId, 'read');
  return withTenant(db, actor.tenant, async (tx) => {
    await memberIn(tx, input.memberId);
    const now = new Date();
    let query = tx.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.userId')
      .where('memberships.memberId', '=', input.memberId)
      .select((eb) => [
        'users.id', 'users.email', 'users.displayName', 'users.status',
        sql<Role[]>`array_agg(distinct memberships.role order by memberships.role)`.as('roles'),
        eb.exists(eb.selectFrom('userFactors').select('userFactors.id').whereRef('userFactors.userId', '=', 'users.id').where('userFactors.confirmedAt', 'is not', null)).as('secondFactor'),
        eb.selectFrom('sessions').select(sql<Date>`max(sessions.created_at)`.as('at')).whereRef('sessions.userId', '=', 'users.id').as('lastLoginAt'),
        eb.selectFrom('sessions').select(sql<number>`count(*)::int`.as('n')).whereRef('sessions.userId', '=', 'users.id')
          .where('sessions.endedAt', 'is', null).where('sessions.expiresAt', '>', now).where('sessions.lastSeenAt', '>', new Date(now.getTime() - SESSION_IDLE_MS)).as('openSessions'),
      ])
      .groupBy('users.id').orderBy('users.displayName').orderBy('users.id').limit(1000);
    if (input.search) {
      const pattern = `%${input.search.replace(/[\\%_]/g, (c) => `\\${c}`).toLowerCase()}%`;
      query = query.where((eb) => eb.or([eb(sql`lower(users.display_name)`, 'like', pattern), eb('users.email', 'like', pattern)]));
    }
    const rows = await query.execute();
    return rows.map((r) => ({ ...r, secondFactor: Boolean(r.secondFactor), openSessions: r.openSessions ?? 0, lastLoginAt: r.lastLoginAt ?? null }));
  });
}

/**
 * Invites an agent, elected official or DSI into the member: the account (invited, no password) and
 * its role, a single-use link sent by mail by the `inviteDsi` workflow. Someone already in the
 * commune gets the role added instead; an address of another member or syndicate is refused.
 */
export async function inviteUser(db: Db, temporal: Client, actor: Actor, input: { memberId: string; email: string; displayName: string; role: InvitedRole }, taskQueue = TASK_QUEUE): Promise<{ workflowId: string | null; userId: string | null }> {
  assertManages(actor, input.memberId, 'create');
  const email = input.email.toLowerCase();
  const workflowId = inviteDsiWorkflowId(randomUUID());
  return withTenant(db, actor.tenant, async (tx) => {
    const member = await memberIn(tx, input.memberId);
    if (member.status !== 'active' && member.status !== 'onboarding') throw new ValidationError('memberId', `${member.name} n'est pas active : on ne peut pas y inviter de nouveaux utilisateurs.`);
    const existing = (await sql<{ userId: string; syndicateId: string; status: string }>`select user_id, syndicate_id, status from auth_find_login(${email})`.execute(tx)).rows[0];
    if (existing) {
      const here = existing.syndicateId === actor.syndicateId
        ? await tx.selectFrom('memberships').select('role').where('userId', '=', existing.userId).where('memberId', '=', input.memberId).execute()
        : [];
      if (here.length === 0) throw new ValidationError('email', `L'adresse ${email} est déjà celle d'un compte d'un autre organisme : indiquez l'adresse professionnelle de la personne dans votre commune.`);
      if (existing.status === 'active') {
        // Already one of ours and active: give the role, no mail needed.
        if (!here.some((m) => m.role === input.role)) {
          await tx.insertInto('memberships').values({ syndicateId: actor.syndicateId, userId: existing.userId, memberId: input.memberId, role: input.role }).execute();
          await auditUser(tx, actor, input.memberId, existing.userId, 'user.role_added', { role: input.role });
        }
        return { workflowId: null, userId: existing.userId };
      }
      if (existing.status === 'disabled') throw new ValidationError('email', `Le compte ${email} est désactivé : réactivez-le depuis la liste des utilisateurs.`);
      // Invited but never came: a new link replaces the outstanding ones.
      await tx.updateTable('invitations').set({ revokedAt: new Date() }).where('userId', '=', existing.userId).where('usedAt', 'is', null).where('revokedAt', 'is', null).execute();
    }
    await tx.insertInto('workflowRuns').values({
      syndicateId: actor.syndicateId, memberId: input.memberId, subjectType: 'Member', subjectId: input.memberId, workflowType: inviteDsiWorkflowName, workflowId, status: 'running',
    }).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: input.memberId, actorUserId: actor.userId, action: 'user.invitation_requested', subjectType: 'Member', subjectId: input.memberId,
      after: { email, name: input.displayName, role: input.role }, ip: actor.ip,
    });
    const start: InviteDsiInput = {
      memberId: input.memberId, syndicateId: actor.syndicateId, requestedBy: { userId: actor.userId, ip: actor.ip },
      dsi: { email, name: input.displayName }, role: input.role,
    };
    await temporal.workflow.start(inviteDsiWorkflowName, { workflowId, taskQueue, args: [start] });
    return { workflowId, userId: existing?.userId ?? null };
  });
}

async function auditUser(tx: Tx, actor: Actor, memberId: string | null, userId: string, action: string, after: Record<string, unknown>) {
  await appendAudit(tx, { syndicateId: actor.syndicateId, memberId, actorUserId: actor.userId, action, subjectType: 'User', subjectId: userId, after, ip: actor.ip });
}

/** The user, if they belong to the member (the DSI's scope). */
async function userOfMember(tx: Tx, memberId: string, userId: string) {
  const user = await tx.selectFrom('users').innerJoin('memberships', 'memberships.userId', 'users.id')
    .select(['users.id', 'users.email', 'users.status']).where('users.id', '=', userId).where('memberships.memberId', '=', memberId).executeTakeFirst();
  if (!user) throw new NotFoundError("Cet utilisateur n'appartient pas à cette commune.");
  return user;
}

/**
 * Ends every session of a person at once: the platform's sessions, and in the SSO their sessions,
 * grants, codes, access and refresh tokens (every stored model that names them), so no application
 * can get a new token for them, and those it holds stop working.
 */
export async function endEverySession(tx: Tx, userId: string): Promise<{ platformSessions: number; ssoRecords: number }> {
  const ended = await tx.updateTable('sessions').set({ endedAt: new Date() }).where('userId', '=', userId).where('endedAt', 'is', null).executeTakeFirst();
  const revoked = await sql`delete from oidc_payloads where payload ? 'accountId' and payload->>'accountId' = ${userId}`.execute(tx);
  return { platformSessions: Number(ended.numUpdatedRows), ssoRecords: Number(revoked.numAffectedRows ?? 0) };
}

/** The DSI ends a person's sessions everywhere (a lost laptop, a departure). */
export async function endUserSessions(db: Db, actor: Actor, input: { memberId: string; userId: string }): Promise<{ platformSessions: number; ssoRecords: number }> {
  assertManages(actor, input.memberId);
  return withTenant(db, actor.tenant, async (tx) => {
    await userOfMember(tx, input.memberId, input.userId);
    const result = await endEverySession(tx, input.userId);
    await auditUser(tx, actor, input.memberId, input.userId, 'user.sessions_ended', result);
    return result;
  });
}

/** Disables an account: it signs in nowhere from now on, every session ends and every token is revoked, in one transaction. */
export async function setUserStatus(db: Db, actor: Actor, input: { memberId: string; userId: string; status: 'active' | 'disabled' }): Promise<void> {
  assertManages(actor, input.memberId);
  if (input.userId === actor.userId) throw new ValidationError('userId', 'Vous ne pouvez pas désactiver votre propre compte.');
  await withTenant(db, actor.tenant, async (tx) => {
    const user = await userOfMember(tx, input.memberId, input.userId);
    // A person of several communes, or with a syndicate role, is not one commune's DSI alone to switch off
    // (row-level security hides the other memberships from the DSI: the narrow account function sees them all).
    const all = (await sql<{ memberships: Array<{ memberId: string | null }> }>`select memberships from oidc_find_account(${input.userId}::uuid)`.execute(tx)).rows[0]?.memberships ?? [];
    if (actor.tenant.memberIds !== null && all.some((m) => m.memberId !== input.memberId)) {
      throw new ForbiddenError("Cette personne a aussi un rôle ailleurs : demandez au syndicat de désactiver son compte.");
    }
    if (input.status === 'active' && user.status !== 'disabled') return;
    if (input.status === 'disabled' && user.status === 'disabled') return;
    const next = input.status === 'active' ? (await tx.selectFrom('users').select('passwordHash').where('id', '=', input.userId).executeTakeFirstOrThrow()).passwordHash === null
      ? 'invited' as const : 'active' as const : 'disabled' as const;
    await tx.updateTable('users').set({ status: next }).where('id', '=', input.userId).execute();
    const revoked = next === 'disabled' ? await endEverySession(tx, input.userId) : undefined;
    await auditUser(tx, actor, input.memberId, input.userId, next === 'disabled' ? 'user.disabled' : 'user.enabled', { status: next, ...revoked });
  });
}

/** Gives exactly these roles within the member (at least one; a DSI cannot remove their own DSI role). */
export async function setUserRoles(db: Db, actor: Actor, input: { memberId: string; userId: string; roles: InvitedRole[] }): Promise<void> {
  assertManages(actor, input.memberId);
  const roles = [...new Set(input.roles)];
  if (roles.length === 0) throw new ValidationError('roles', 'Choisissez au moins un rôle (ou désactivez le compte).');
  if (input.userId === actor.userId && !roles.includes('commune_dsi') && actor.memberships.some((m) => m.memberId === input.memberId && m.role === 'commune_dsi')) {
    throw new ValidationError('roles', 'Vous ne pouvez pas retirer votre propre rôle de DSI : demandez-le à un autre DSI ou au syndicat.');
  }
  await withTenant(db, actor.tenant, async (tx) => {
    await userOfMember(tx, input.memberId, input.userId);
    const current = await tx.selectFrom('memberships').select(['id', 'role']).where('userId', '=', input.userId).where('memberId', '=', input.memberId).execute();
    const remove = current.filter((m) => !roles.includes(m.role as InvitedRole) && m.role !== 'external_provider');
    const add = roles.filter((r) => !current.some((m) => m.role === r));
    if (remove.length > 0) await tx.deleteFrom('memberships').where('id', 'in', remove.map((m) => m.id)).execute();
    if (add.length > 0) await tx.insertInto('memberships').values(add.map((role) => ({ syndicateId: actor.syndicateId, userId: input.userId, memberId: input.memberId, role }))).execute();
    if (remove.length + add.length > 0) {
      await auditUser(tx, actor, input.memberId, input.userId, 'user.roles_changed', { before: current.map((m) => m.role).sort(), after: [...roles].sort() });
    }
  });
}

// ————— One's own sessions —————

export interface SessionItem { id: string; createdAt: Date; lastSeenAt: Date; ip: string | null; userAgent: string | null; amr: string[]; current: boolean }

/** One's open sessions (this browser first), to recognise a device one does not know and end it. */
export async function listOwnSessions(db: Db, actor: Actor): Promise<SessionItem[]> {
  const now = new Date();
  const rows = await withTenant(db, actor.tenant, (tx) => tx.selectFrom('sessions').select(['id', 'createdAt', 'lastSeenAt', 'ip', 'userAgent', 'amr'])
    .where('userId', '=', actor.userId).where('endedAt', 'is', null).where('secondFactor', '=', 'done').where('expiresAt', '>', now)
    .where('lastSeenAt', '>', new Date(now.getTime() - SESSION_IDLE_MS)).orderBy('lastSeenAt', 'desc').execute());
  return rows.map((r) => ({ ...r, current: r.id === actor.sessionId })).sort((a, b) => Number(b.current) - Number(a.current));
}

/** Ends one of one's own sessions (not this one: that is logging out). */
export async function endOwnSession(db: Db, actor: Actor, sessionId: string): Promise<void> {
  if (sessionId === actor.sessionId) throw new ValidationError('sessionId', 'Pour fermer cette session-ci, utilisez « Se déconnecter ».');
  await withTenant(db, actor.tenant, async (tx) => {
    const ended = await tx.updateTable('sessions').set({ endedAt: new Date() }).where('id', '=', sessionId).where('userId', '=', actor.userId)
      .where('endedAt', 'is', null).returning('id').executeTakeFirst();
    if (!ended) throw new NotFoundError('Cette session est introuvable ou déjà fermée.');
    await auditUser(tx, actor, auditMemberOf(actor.tenant), actor.userId, 'auth.session_ended', { sessionId });
  });
}

// ————— Member settings: MFA policy and branding —————

export interface MemberSettings { memberId: string; name: string; mfaPolicy: MfaPolicy; brandName: string | null; brandColor: string | null; hasLogo: boolean }

function assertSettings(actor: Actor, memberId: string, action: 'read' | 'update') {
  if (!actor.ability.can(action, asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId }) as never)) {
    throw new ForbiddenError("Vous ne pouvez modifier que les réglages de votre commune.");
  }
}

export async function getMemberSettings(db: Db, actor: Actor, memberId: string): Promise<MemberSettings> {
  assertSettings(actor, memberId, 'read');
  return withTenant(db, actor.tenant, async (tx) => {
    const row = await tx.selectFrom('members').select(['id', 'name', 'mfaPolicy', 'brandName', 'brandColor', sql<boolean>`brand_logo is not null`.as('hasLogo')])
      .where('id', '=', memberId).executeTakeFirst();
    if (!row) throw new NotFoundError("Cette commune est introuvable, ou vous n'y avez pas accès.");
    return { memberId: row.id, name: row.name, mfaPolicy: row.mfaPolicy, brandName: row.brandName, brandColor: row.brandColor, hasLogo: row.hasLogo };
  });
}

/** "MFA for DSIs" (the floor: admins and DSIs always) or "MFA for everyone": applies at each person's next login. */
export async function setMfaPolicy(db: Db, actor: Actor, input: { memberId: string; policy: MfaPolicy }): Promise<void> {
  assertSettings(actor, input.memberId, 'update');
  await withTenant(db, actor.tenant, async (tx) => {
    const before = await tx.selectFrom('members').select('mfaPolicy').where('id', '=', input.memberId).executeTakeFirst();
    if (!before) throw new NotFoundError("Cette commune est introuvable, ou vous n'y avez pas accès.");
    if (before.mfaPolicy === input.policy) return;
    await tx.updateTable('members').set({ mfaPolicy: input.policy, updatedAt: new Date() }).where('id', '=', input.memberId).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: input.memberId, actorUserId: actor.userId, action: 'member.mfa_policy_changed', subjectType: 'Member', subjectId: input.memberId,
      before: { mfaPolicy: before.mfaPolicy }, after: { mfaPolicy: input.policy }, ip: actor.ip,
    });
  });
}

export interface BrandingInput { memberId: string; brandName: string | null; brandColor: string | null; logo?: { type: 'image/png' | 'image/jpeg' | 'image/webp'; data: Buffer } | null | undefined }

/** The portal's look for the commune's agents: the name shown, the colour (readable on white), the logo. */
export async function setBranding(db: Db, actor: Actor, input: BrandingInput): Promise<void> {
  assertSettings(actor, input.memberId, 'update');
  if (input.logo && !isImage(input.logo.type, input.logo.data)) throw new ValidationError('logo', "Ce fichier n'est pas une image PNG, JPEG ou WebP valide.");
  if (input.logo && input.logo.data.length > 200_000) throw new ValidationError('logo', 'Le logo est trop lourd (200 Ko au plus).');
  await withTenant(db, actor.tenant, async (tx) => {
    const found = await tx.selectFrom('members').select('id').where('id', '=', input.memberId).executeTakeFirst();
    if (!found) throw new NotFoundError("Cette commune est introuvable, ou vous n'y avez pas accès.");
    await tx.updateTable('members').set({
      brandName: input.brandName, brandColor: input.brandColor,
      ...(input.logo === undefined ? {} : { brandLogo: input.logo?.data ?? null, brandLogoType: input.logo?.type ?? null }),
      updatedAt: new Date(),
    }).where('id', '=', input.memberId).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: input.memberId, actorUserId: actor.userId, action: 'member.branding_changed', subjectType: 'Member', subjectId: input.memberId,
      after: { brandName: input.brandName, brandColor: input.brandColor, logo: input.logo === undefined ? 'unchanged' : input.logo ? `${input.logo.type}, ${input.logo.data.length} octets` : 'removed' }, ip: actor.ip,
    });
  });
}

export interface Branding { memberId: string; brandName: string | null; brandColor: string | null; hasLogo: boolean }

/** How the portal shows a commune to its own people (anyone who may read the member). */
export async function brandingOf(db: Db, actor: Actor, memberId: string): Promise<Branding | null> {
  if (!actor.ability.can('read', asSubject('Member', { syndicateId: actor.syndicateId, id: memberId }) as never)) return null;
  return withTenant(db, actor.tenant, async (tx) => {
    const row = await tx.selectFrom('members').select(['id', 'brandName', 'brandColor', sql<boolean>`brand_logo is not null`.as('hasLogo')]).where('id', '=', memberId).executeTakeFirst();
    return row ? { memberId: row.id, brandName: row.brandName, brandColor: row.brandColor, hasLogo: row.hasLogo } : null;
  });
}

/** A logo is kept only if its bytes are the image its type says (no SVG: it could carry script). */
function isImage(type: string, data: Buffer): boolean {
  if (type === 'image/png') return data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  if (type === 'image/jpeg') return data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
  return data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP';
}

/** The logo of a member the actor may see (the portal shows it), or null. */
export async function memberLogo(db: Db, actor: Actor, memberId: string): Promise<{ type: string; data: Buffer } | null> {
  return withTenant(db, actor.tenant, async (tx) => {
    const row = await tx.selectFrom('members').select(['brandLogo', 'brandLogoType']).where('id', '=', memberId).executeTakeFirst();
    return row?.brandLogo && row.brandLogoType ? { type: row.brandLogoType, data: row.brandLogo } : null;
  });
}
