import { z } from 'zod';

/** Roles of shared/DESIGN.md. Syndicate roles act on the whole syndicate, commune roles on one member. */
export const SYNDICATE_ROLES = ['syndicate_admin', 'syndicate_operator', 'syndicate_finance', 'board_member'] as const;
export const MEMBER_ROLES = ['commune_dsi', 'commune_agent', 'commune_elected', 'external_provider'] as const;
export const ROLES = [...SYNDICATE_ROLES, ...MEMBER_ROLES] as const;

export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;
export type SyndicateRole = (typeof SYNDICATE_ROLES)[number];
export type MemberRole = (typeof MEMBER_ROLES)[number];

export function isSyndicateRole(role: Role): role is SyndicateRole {
  return (SYNDICATE_ROLES as readonly string[]).includes(role);
}

/** Which space of the web UI a role lands in. */
export type Space = 'syndicate' | 'commune' | 'board';
export function spaceOfRole(role: Role): Space {
  if (role === 'board_member') return 'board';
  return isSyndicateRole(role) ? 'syndicate' : 'commune';
}

export const membershipSchema = z.object({
  id: z.uuid(),
  role: roleSchema,
  /** null for a syndicate-level role */
  memberId: z.uuid().nullable(),
  memberName: z.string().nullable(),
});
export type Membership = z.infer<typeof membershipSchema>;
