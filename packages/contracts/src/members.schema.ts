import { z } from 'zod';
import { emailSchema } from './auth.schema.ts';

export const MEMBER_KINDS = ['commune', 'epci', 'other'] as const;
export const memberKindSchema = z.enum(MEMBER_KINDS);
export const MEMBER_STATUSES = ['onboarding', 'active', 'offboarding', 'left', 'failed', 'cancelled'] as const;
export const memberStatusSchema = z.enum(MEMBER_STATUSES);
export type MemberStatus = z.infer<typeof memberStatusSchema>;

export const inseeCodeSchema = z
  .string()
  .regex(/^(\d{5}|2[AB]\d{3})$/, { error: 'Un code INSEE a 5 caractères, par exemple 69259 (ou 2A004 en Corse).' });
/** Luhn check, as INSEE computes the SIREN's last digit. */
export function isValidSiren(siren: string): boolean {
  if (!/^\d{9}$/.test(siren)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(siren[8 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

export const sirenSchema = z
  .string()
  // 9 digits, spaces allowed where people type them (216 902 569)
  .regex(/^\s*\d{3}\s?\d{3}\s?\d{3}\s*$/, { error: 'Un SIREN a 9 chiffres, par exemple 216902569.' })
  .transform((v) => v.replace(/\s+/g, ''))
  .refine(isValidSiren, { error: 'Ce SIREN est invalide (sa clé de contrôle ne correspond pas) : vérifiez-le sur annuaire-entreprises.data.gouv.fr.' });

export const searchReferenceInput = z.object({
  query: z.string().trim().min(1, { error: 'Saisissez un nom, un code INSEE, un code postal ou un SIREN.' }).max(100, { error: 'La recherche est limitée à 100 caractères.' }),
  limit: z.number().int().min(1).max(50).default(20),
});
export type SearchReferenceInput = z.input<typeof searchReferenceInput>;

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
export type MemberDetail = MemberSummary & { createdAt: Date; updatedAt: Date; syndicateName: string; contactEmail: string | null; contactName: string | null };

export const dsiContactSchema = z.object({
  email: emailSchema,
  name: z.string({ error: 'Indiquez le nom du DSI.' }).trim().min(2, { error: 'Indiquez le nom du DSI (2 caractères au moins).' }).max(120, { error: 'Le nom du DSI est trop long (120 caractères au plus).' }),
});

const agentCountSchema = z.number({ error: "Le nombre d'agents est un nombre entier." }).int({ error: "Le nombre d'agents est un nombre entier." })
  .min(0, { error: "Le nombre d'agents ne peut pas être négatif." }).max(500_000, { error: "Le nombre d'agents semble trop grand (500 000 au plus)." });

/** Onboard a commune of the official reference (by INSEE code) or another public body (by SIREN). */
export const onboardInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('commune'),
    inseeCode: inseeCodeSchema,
    /** default: estimated from the population (one agent per 40 inhabitants) */
    agentCount: agentCountSchema.optional(),
    dsi: dsiContactSchema.nullish(),
  }),
  z.object({
    kind: z.enum(['epci', 'other']),
    siren: sirenSchema,
    /** default for an EPCI of the reference: its official name */
    name: z.string().trim().min(2, { error: "Indiquez le nom de l'organisme." }).max(200).optional(),
    population: z.number().int().min(0).optional(),
    agentCount: agentCountSchema.default(0),
    dsi: dsiContactSchema.nullish(),
  }),
], { error: 'Indiquez le type de membre : commune, epci ou other.' });
export type OnboardInput = z.input<typeof onboardInput>;

export const workflowIdInput = z.object({
  workflowId: z.string().regex(/^[a-z][a-zA-Z]*:[0-9a-f-]{36}$/, { error: "L'identifiant du déroulement est invalide." }),
});

export const onboardEpciInput = z.object({ siren: sirenSchema });

export const inviteDsiInput = z.object({ id: z.uuid({ error: "L'identifiant du membre est invalide." }), dsi: dsiContactSchema });
