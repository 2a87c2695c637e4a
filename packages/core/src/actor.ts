import { defineAbilityFor, type AppAbility } from '@mutualis/authz';
import { isSyndicateRole, type Membership } from '@mutualis/contracts';
import type { TenantContext } from '@mutualis/db';

/** The authenticated person behind a request, with what they may do and the tenant they act in. */
export interface Actor {
  userId: string;
  syndicateId: string;
  syndicateName: string;
  email: string;
  displayName: string;
  sessionId: string;
  /** how this session was authenticated (RFC 8176): `pwd`, then `otp`/`hwk` once a second factor was shown, `fed` through a federation */
  amr: string[];
  memberships: Membership[];
  ability: AppAbility;
  tenant: TenantContext;
  ip: string | null;
}

/**
 * The row-level security context of an actor: the whole syndicate if they hold any syndicate role,
 * otherwise only the members they belong to. A user with no membership gets a member scope that
 * matches nothing (the nil UUID), never the whole syndicate.
 */
export function tenantOf(syndicateId: string, memberships: ReadonlyArray<Pick<Membership, 'role' | 'memberId'>>): TenantContext {
  if (memberships.some((m) => isSyndicateRole(m.role))) return { syndicateId, memberIds: null };
  const ids = [...new Set(memberships.map((m) => m.memberId).filter((id): id is string => id !== null))];
  return { syndicateId, memberIds: ids.length > 0 ? ids : [NO_MEMBER] };
}

/** A member id that matches no row: the scope of a user who belongs to no member yet. */
export const NO_MEMBER = '00000000-0000-0000-0000-000000000000';

export function buildActor(base: Omit<Actor, 'ability' | 'tenant'>): Actor {
  return {
    ...base,
    ability: defineAbilityFor({ userId: base.userId, syndicateId: base.syndicateId, memberships: base.memberships }),
    tenant: tenantOf(base.syndicateId, base.memberships),
  };
}

/** The member a user's audit events belong to: their (first) commune when they act as a commune user. */
export function auditMemberOf(tenant: TenantContext): string | null {
  const first = tenant.memberIds?.[0];
  return first && first !== NO_MEMBER ? first : null;
}
