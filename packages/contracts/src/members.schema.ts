import { z } from 'zod';

export const MEMBER_KINDS = ['commune', 'epci', 'other'] as const;
export const memberKindSchema = z.enum(MEMBER_KINDS);
export const MEMBER_STATUSES = ['onboarding', 'active', 'offboarding', 'left', 'failed', 'cancelled'] as const;
export const memberStatusSchema = z.enum(MEMBER_STATUSES);
export type MemberStatus = z.infer<typeof memberStatusSchema>;

export const inseeCodeSchema = z
  .string()
  .regex(/^(\d{5}|2[AB]\d{3})$/, { error: 'Un code INSEE a 5 caractères, par exemple 69259 (ou 2A004 en Corse).' });
export const sirenSchema = z.string().regex(/^\d{9}$/, { error: 'Un SIREN a 9 chiffres.' });

export const memberIdInput = z.object({ id: z.uuid({ error: "L'identifiant du membre est invalide." }) });

export const membersListInput = z.object({
  search: z.string().trim().max(100, { error: 'La recherche est limitée à 100 caractères.' }).optional(),
  status: memberStatusSchema.optional(),
  limit: z.number().int().min(1).max(200, { error: 'Au plus 200 membres par page.' }).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().max(200).nullish(),
});
export type MembersListInput = z.input<typeof membersListInput>;

export const memberSummary = z.object({
  id: z.uuid(),
  kind: memberKindSchema,
  name: z.string(),
  inseeCode: z.string().nullable(),
  siren: z.string().nullable(),
  population: z.number().int(),
  agentCount: z.number().int(),
  status: memberStatusSchema,
});
export type MemberSummary = z.infer<typeof memberSummary>;
export type MemberDetail = MemberSummary & { createdAt: Date; updatedAt: Date; syndicateName: string };
