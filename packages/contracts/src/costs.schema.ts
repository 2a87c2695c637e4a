import { z } from 'zod';

/** The metrics the daily metering records per subscription (usage_records). */
export const USAGE_METRICS = ['users', 'seats', 'storage_bytes', 'inhabitants'] as const;

/** A key on its own: population, agents, equal shares, or the usage of one offering (e.g. agents using the SSO, backup storage). */
export const simpleKeySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('population') }),
  z.object({ kind: z.literal('agents') }),
  z.object({ kind: z.literal('equal') }),
  z.object({
    kind: z.literal('usage'),
    offering: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, { error: "Indiquez l'identifiant court du service mesuré, par exemple « sso »." }),
    metric: z.enum(USAGE_METRICS, { error: 'Choisissez la mesure : utilisateurs, postes, stockage ou habitants.' }),
  }),
], { error: 'Choisissez une clé : population, agents, parts égales ou usage d’un service.' });
export type SimpleKey = z.infer<typeof simpleKeySchema>;

/** An allocation key: a simple key, or a weighted mix of simple keys (70 % population + 30 % agents), in basis points. */
export const allocationKeySchema = z.union([
  simpleKeySchema,
  z.object({
    kind: z.literal('mix'),
    parts: z.array(z.object({
      key: simpleKeySchema,
      basisPoints: z.number().int({ error: 'Une part se donne en points de base entiers (7000 = 70 %).' })
        .min(1, { error: 'Une part vaut au moins 0,01 %.' }).max(9999, { error: 'Une part d’un mélange vaut moins de 100 %.' }),
    })).min(2, { error: 'Un mélange a au moins deux clés.' }).max(5, { error: 'Un mélange a au plus cinq clés.' })
      .refine((parts) => parts.reduce((s, p) => s + p.basisPoints, 0) === 10_000, { error: 'Les parts du mélange doivent faire 100 % en tout.' }),
  }),
], { error: 'Choisissez une clé de répartition.' });
export type AllocationKey = z.infer<typeof allocationKeySchema>;

export const budgetYearSchema = z.number({ error: "Indiquez l'année." }).int({ error: "L'année est un nombre entier." })
  .min(2000, { error: "L'année doit être 2000 ou après." }).max(2200, { error: "L'année doit être 2200 ou avant." });

export const setBudgetLineInput = z.object({
  /** absent: a new line; present: that line is replaced */
  id: z.uuid({ error: "L'identifiant de la ligne est invalide." }).optional(),
  year: budgetYearSchema,
  label: z.string({ error: 'Donnez un libellé à la ligne.' }).trim().min(1, { error: 'Donnez un libellé à la ligne.' })
    .max(200, { error: 'Le libellé a 200 caractères au plus.' }),
  amountCents: z.number({ error: 'Indiquez le montant en centimes.' }).int({ error: 'Le montant est un nombre entier de centimes.' })
    .min(0, { error: 'Le montant ne peut pas être négatif.' }).max(Number.MAX_SAFE_INTEGER, { error: 'Le montant est trop grand.' }),
  key: allocationKeySchema,
});
export type SetBudgetLineInput = z.input<typeof setBudgetLineInput>;

export const budgetLinesInput = z.object({ year: budgetYearSchema });
export const budgetLineRefInput = z.object({ id: z.uuid({ error: "L'identifiant de la ligne est invalide." }) });
