import { sql, withTenant, type Db } from '@mutualis/db';
import { appendAudit } from '../audit/audit.service.ts';
import { hashPassword } from '../auth/password.ts';
import { login, type LoginResult, type RequestMeta } from '../auth/auth.service.ts';
import { DomainError, ValidationError } from '../errors.ts';
import { tokenHash } from './invitation-token.ts';
import { passwordProblem } from './password-policy.ts';

export type InvitationStatus = 'valid' | 'expired' | 'used' | 'revoked' | 'unknown';

export interface InvitationView {
  status: InvitationStatus;
  email: string | null;
  displayName: string | null;
  memberName: string | null;
  expiresAt: Date | null;
}

interface FoundInvitation { invitationId: string; syndicateId: string; memberId: string; userId: string; expiresAt: Date; usedAt: Date | null; revokedAt: Date | null }

async function find(db: Db, token: string): Promise<FoundInvitation | undefined> {
  if (!token || token.length > 100) return undefined;
  return (await sql<FoundInvitation>`select * from auth_find_invitation(${tokenHash(token)})`.execute(db)).rows[0];
}

function statusOf(found: FoundInvitation | undefined, now = Date.now()): InvitationStatus {
  if (!found) return 'unknown';
  if (found.revokedAt) return 'revoked';
  if (found.usedAt) return 'used';
  return found.expiresAt.getTime() <= now ? 'expired' : 'valid';
}

/** What the invitation page shows: whether the link still works, and for whom. */
export async function inspectInvitation(db: Db, token: string): Promise<InvitationView> {
  const found = await find(db, token);
  const status = statusOf(found);
  if (!found) return { status, email: null, displayName: null, memberName: null, expiresAt: null };
  return withTenant(db, { syndicateId: found.syndicateId, memberIds: null }, async (tx) => {
    const row = await tx.selectFrom('users').innerJoin('members', (j) => j.on('members.id', '=', found.memberId))
      .select(['users.email', 'users.displayName', 'members.name as memberName']).where('users.id', '=', found.userId).executeTakeFirst();
    return { status, email: row?.email ?? null, displayName: row?.displayName ?? null, memberName: row?.memberName ?? null, expiresAt: found.expiresAt };
  });
}

/**
 * Accepts an invitation: the person chooses their password (policy: 12+ characters, not a common
 * or breached password), the account becomes active, the link is spent, and a session opens.
 */
export async function acceptInvitation(db: Db, token: string, password: string, meta: RequestMeta): Promise<LoginResult> {
  const found = await find(db, token);
  const view = await inspectInvitation(db, token);
  if (!found || view.status !== 'valid') throw new InvitationRefusedError(view.status);
  const problem = passwordProblem(password, [view.email ?? '', view.displayName ?? '', view.memberName ?? '']);
  if (problem) throw new ValidationError('password', problem);
  const passwordHash = await hashPassword(password);
  const email = await withTenant(db, { syndicateId: found.syndicateId, memberIds: null }, async (tx) => {
    // Spent exactly once, even if the form is sent twice at the same moment.
    const spent = await tx.updateTable('invitations').set({ usedAt: new Date() })
      .where('id', '=', found.invitationId).where('usedAt', 'is', null).where('revokedAt', 'is', null).where('expiresAt', '>', new Date())
      .returning('id').executeTakeFirst();
    if (!spent) throw new InvitationRefusedError('used');
    const user = await tx.updateTable('users').set({ passwordHash, status: 'active' }).where('id', '=', found.userId)
      .where('status', '!=', 'disabled').returning('email').executeTakeFirst();
    if (!user) throw new ValidationError('token', 'Ce compte est désactivé : contactez le syndicat.');
    await appendAudit(tx, {
      syndicateId: found.syndicateId, memberId: found.memberId, actorUserId: found.userId, action: 'user.invitation_accepted',
      subjectType: 'User', subjectId: found.userId, after: { invitationId: found.invitationId, status: 'active' }, ip: meta.ip,
    });
    return user.email;
  });
  return login(db, { email, password }, meta);
}

/** A link that does not (or no longer) open anything: unknown is NOT_FOUND, spent or expired is CONFLICT. */
export class InvitationRefusedError extends DomainError {
  readonly status: InvitationStatus;
  constructor(status: InvitationStatus) {
    super(invitationRefusal(status), status === 'unknown' ? 'NOT_FOUND' : 'CONFLICT');
    this.status = status;
  }
}

export function invitationRefusal(status: InvitationStatus): string {
  switch (status) {
    case 'expired': return 'Ce lien d’invitation a expiré. Demandez au syndicat de vous en renvoyer un.';
    case 'used': return 'Ce lien d’invitation a déjà servi. Connectez-vous avec votre mot de passe, ou demandez au syndicat un nouveau lien.';
    case 'revoked': return 'Cette invitation a été annulée. Contactez le syndicat si vous pensez que c’est une erreur.';
    case 'unknown': return 'Ce lien d’invitation n’est pas valide. Vérifiez qu’il est complet, ou demandez au syndicat un nouveau lien.';
    case 'valid': return '';
  }
}
