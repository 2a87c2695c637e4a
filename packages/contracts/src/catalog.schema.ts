import { z } from 'zod';

/** What an offering is for (shared/DESIGN.md). */
export const OFFERING_KINDS = ['application', 'identity', 'backup', 'security'] as const;
export const offeringKindSchema = z.enum(OFFERING_KINDS);
export type OfferingKind = z.infer<typeof offeringKindSchema>;

/** The provisioners a recipe can name (packages/provisioners, one folder each). */
export const RESOURCE_KINDS = ['postgres-database', 'oidc-client', 'app-endpoint'] as const;
export const resourceKindSchema = z.enum(RESOURCE_KINDS);
export type ResourceKind = z.infer<typeof resourceKindSchema>;

export const RESOURCE_STATES = ['provisioning', 'ready', 'drifted', 'removed'] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

export const SUBSCRIPTION_STATUSES = [
  'requested', 'approved', 'provisioning', 'active', 'suspended', 'deprovisioning', 'ended', 'refused', 'cancelled', 'failed',
] as const;
export const subscriptionStatusSchema = z.enum(SUBSCRIPTION_STATUSES);
export type SubscriptionStatus = z.infer<typeof subscriptionStatusSchema>;
/** Statuses of a subscription that still holds (or will hold) resources: one per member and offering. */
export const CURRENT_SUBSCRIPTION_STATUSES = ['requested', 'approved', 'provisioning', 'active', 'suspended', 'deprovisioning'] as const;

const cents = (what: string) => z.number({ error: `${what} : un montant en centimes (nombre entier).` })
  .int({ error: `${what} : un montant en centimes (nombre entier).` })
  .min(0, { error: `${what} ne peut pas être négatif.` })
  .max(1_000_000_000, { error: `${what} semble trop grand (10 millions d'euros au plus).` });

/**
 * A plan's yearly price, in integer cents: a fixed part, plus per user (seat), per GB stored and
 * per inhabitant of the member. Monthly market prices are stored ×12 (3 €/agent/month = 3600).
 */
export const planPriceSchema = z.object({
  annualFixedCents: cents('Le forfait annuel'),
  perUserCents: cents('Le prix par utilisateur'),
  perGbCents: cents('Le prix par Go'),
  perInhabitantCents: cents('Le prix par habitant'),
});
export type PlanPrice = z.infer<typeof planPriceSchema>;

/** 'YYYY-MM-DD', a real calendar day. */
export const isoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'Une date au format AAAA-MM-JJ, par exemple 2027-01-01.' })
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), { error: "Cette date n'existe pas." });

export const recipeStepSchema = z.object({
  /** the step's key in the provisioning run (database, sso, endpoint…) */
  key: z.string().regex(/^[a-z][a-zA-Z0-9]{1,30}$/, { error: "La clé d'une étape : des lettres et des chiffres, commençant par une minuscule (ex. database)." }),
  kind: resourceKindSchema,
});
export type RecipeStep = z.infer<typeof recipeStepSchema>;

export const recipeSchema = z.array(recipeStepSchema).max(10, { error: 'Une recette a 10 ressources au plus.' })
  .refine((steps) => new Set(steps.map((s) => s.key)).size === steps.length, { error: 'Deux ressources de la recette ont la même clé.' })
  .refine((steps) => steps.every((s) => !['approval', 'activate'].includes(s.key)), { error: 'Les clés « approval » et « activate » sont réservées.' });

const slugSchema = z.string().regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, { error: "L'identifiant court : 3 à 32 minuscules, chiffres ou tirets (il forme l'adresse de l'instance, ex. fichiers)." });
const text = (what: string, max: number) => z.string({ error: `Indiquez ${what}.` }).trim().min(2, { error: `Indiquez ${what}.` }).max(max, { error: `${what} : ${max} caractères au plus.` });

export const planInputSchema = z.object({
  code: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, { error: 'Le code du plan : minuscules, chiffres ou tirets (ex. standard).' }),
  nameFr: text('le nom du plan', 80),
  nameEn: text('le nom anglais du plan', 80),
  price: planPriceSchema,
});

/** Create or update an offering (syndicate admin). Prices of existing plans change through `catalog.setPrice`. */
export const saveOfferingInput = z.object({
  id: z.uuid().optional(),
  slug: slugSchema,
  kind: offeringKindSchema,
  nameFr: text('le nom du service', 120),
  nameEn: text('le nom anglais du service', 120),
  descriptionFr: text('la description', 2000),
  descriptionEn: text('la description anglaise', 2000),
  requiresApproval: z.boolean(),
  isDefault: z.boolean(),
  /** the syndicate's administrators and operators may also sign in to the members' instances (SSO); default no */
  staffAccess: z.boolean().optional(),
  /** what a commune would pay for the service alone, to show the savings from pooling; absent or null: unknown */
  standalonePrice: planPriceSchema.nullable().optional(),
  recipe: recipeSchema,
  /** plans to add (existing plans keep their prices) */
  plans: z.array(planInputSchema).max(10).default([]),
});
export type SaveOfferingInput = z.input<typeof saveOfferingInput>;
/** What describes an offering, wherever one is written down (catalog, seed). */
export type OfferingFields = Omit<z.output<typeof saveOfferingInput>, 'id' | 'plans'>;

export const setPriceInput = z.object({
  planId: z.uuid({ error: "L'identifiant du plan est invalide." }),
  /** the first day the new price applies (Paris calendar); earlier periods keep their price */
  effectiveFrom: isoDateSchema,
  price: planPriceSchema,
});
export type SetPriceInput = z.input<typeof setPriceInput>;

export const catalogListInput = z.object({
  /** price the plans for this member (default: the DSI's own commune, if they have exactly one) */
  memberId: z.uuid({ error: "L'identifiant du membre est invalide." }).optional(),
}).default({});

const seatsSchema = z.number({ error: "Le nombre d'utilisateurs est un nombre entier." }).int({ error: "Le nombre d'utilisateurs est un nombre entier." })
  .min(1, { error: 'Au moins 1 utilisateur.' }).max(100_000, { error: "100 000 utilisateurs au plus." });
const storageSchema = z.number({ error: 'Le volume est un nombre entier de Go.' }).int({ error: 'Le volume est un nombre entier de Go.' })
  .min(0, { error: 'Le volume ne peut pas être négatif.' }).max(100_000, { error: '100 000 Go au plus.' });

export const subscriptionRequestInput = z.object({
  memberId: z.uuid({ error: "L'identifiant du membre est invalide." }),
  offeringId: z.uuid({ error: "L'identifiant du service est invalide." }),
  planId: z.uuid({ error: "L'identifiant du plan est invalide." }),
  /** users (seats); default: the member's number of agents */
  seats: seatsSchema.optional(),
  /** GB of storage; default 0 */
  storageGb: storageSchema.optional(),
});
export type SubscriptionRequestInput = z.input<typeof subscriptionRequestInput>;

export const subscriptionIdInput = z.object({ id: z.uuid({ error: "L'identifiant de l'abonnement est invalide." }) });

export const subscriptionDecisionInput = z.discriminatedUnion('decision', [
  z.object({ id: z.uuid({ error: "L'identifiant de l'abonnement est invalide." }), decision: z.literal('approve'), reason: z.string().trim().max(500).optional() }),
  z.object({
    id: z.uuid({ error: "L'identifiant de l'abonnement est invalide." }), decision: z.literal('refuse'),
    reason: z.string({ error: 'Indiquez la raison du refus : le DSI la lira.' }).trim().min(3, { error: 'Indiquez la raison du refus : le DSI la lira.' }).max(500, { error: 'La raison : 500 caractères au plus.' }),
  }),
], { error: 'Indiquez la décision : approve ou refuse.' });
export type SubscriptionDecisionInput = z.input<typeof subscriptionDecisionInput>;

export const subscriptionsListInput = z.object({
  memberId: z.uuid({ error: "L'identifiant du membre est invalide." }).optional(),
  status: subscriptionStatusSchema.optional(),
  limit: z.number().int().min(1).max(200, { error: 'Au plus 200 abonnements par page.' }).default(50),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: z.string().max(200).nullish(),
}).default({ limit: 50 });
export type SubscriptionsListInput = z.input<typeof subscriptionsListInput>;

export const changePlanInput = z.object({
  id: z.uuid({ error: "L'identifiant de l'abonnement est invalide." }),
  planId: z.uuid({ error: "L'identifiant du plan est invalide." }),
  seats: seatsSchema.optional(),
  storageGb: storageSchema.optional(),
});
export type ChangePlanInput = z.input<typeof changePlanInput>;

export const memberResourcesInput = z.object({ memberId: z.uuid({ error: "L'identifiant du membre est invalide." }) });

/** The yearly price of a plan for a member, in cents: fixed + seats × per user + GB × per GB + population × per inhabitant. */
export function annualPriceCents(price: PlanPrice, quantities: { seats: number; storageGb: number; population: number }): number {
  return price.annualFixedCents + quantities.seats * price.perUserCents + quantities.storageGb * price.perGbCents
    + quantities.population * price.perInhabitantCents;
}
