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

const memberIdSchema = z.uuid({ error: "L'identifiant du membre est invalide." });

/** `costs.allocation`: a year's split, for every member the actor may see, or for one member (with its breakdown). */
export const allocationInput = z.object({ year: budgetYearSchema, memberId: memberIdSchema.optional() });
export type AllocationInput = z.input<typeof allocationInput>;

/** `costs.trend`: the totals of the years up to `toYear` (at most ten), for the syndicate or one member. */
export const trendInput = z.object({
  toYear: budgetYearSchema,
  years: z.number({ error: "Indiquez le nombre d'années." }).int({ error: "Le nombre d'années est entier." })
    .min(2, { error: 'Une tendance couvre au moins 2 ans.' }).max(10, { error: 'Une tendance couvre au plus 10 ans.' }).default(5),
  memberId: memberIdSchema.optional(),
});
export type TrendInput = z.input<typeof trendInput>;

/** One "what if" of `costs.simulate`. */
export const simulationChangeSchema = z.discriminatedUnion('kind', [
  z.object({
    /** a commune joins on a day of the year (default 1 January), with its population and agents */
    kind: z.literal('join'),
    name: z.string({ error: 'Donnez le nom de la commune.' }).trim().min(1, { error: 'Donnez le nom de la commune.' }).max(200, { error: 'Le nom a 200 caractères au plus.' }),
    inseeCode: z.string().regex(/^(\d{5}|2[AB]\d{3})$/, { error: 'Le code INSEE a 5 caractères, par exemple 69256.' }),
    population: z.number({ error: 'Indiquez la population.' }).int({ error: 'La population est un nombre entier.' })
      .min(0, { error: 'La population ne peut pas être négative.' }).max(10_000_000, { error: 'Population trop grande.' }),
    agentCount: z.number({ error: "Indiquez le nombre d'agents." }).int({ error: "Le nombre d'agents est entier." })
      .min(0, { error: "Le nombre d'agents ne peut pas être négatif." }).max(1_000_000, { error: "Nombre d'agents trop grand." }),
    joinsOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'Une date au format AAAA-MM-JJ.' })
      .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), { error: "Cette date n'existe pas." })
      .optional(),
  }),
  z.object({
    /** a line grows (or shrinks) by a percentage, in basis points: 1000 = +10 %, -500 = -5 % */
    kind: z.literal('scaleLine'),
    lineId: z.uuid({ error: "L'identifiant de la ligne est invalide." }),
    basisPoints: z.number({ error: 'Indiquez la variation en points de base (1000 = +10 %).' }).int({ error: 'La variation est un nombre entier de points de base.' })
      .min(-10_000, { error: 'Une ligne ne peut pas baisser de plus de 100 %.' }).max(100_000, { error: 'Une hausse de plus de 1000 % est refusée.' }),
  }),
  z.object({
    /** a line is split by another key */
    kind: z.literal('changeKey'),
    lineId: z.uuid({ error: "L'identifiant de la ligne est invalide." }),
    key: allocationKeySchema,
  }),
], { error: 'Choisissez une hypothèse : adhésion, variation de ligne ou changement de clé.' });
export type SimulationChange = z.infer<typeof simulationChangeSchema>;

export const simulateInput = z.object({
  year: budgetYearSchema,
  changes: z.array(simulationChangeSchema).min(1, { error: 'Ajoutez au moins une hypothèse.' }).max(10, { error: 'Dix hypothèses au plus à la fois.' }),
});
export type SimulateInput = z.input<typeof simulateInput>;

/** `costs.export`: the board's table as French CSV, or the PDF annex to the deliberation. */
export const costExportInput = z.object({
  year: budgetYearSchema,
  format: z.enum(['csv', 'pdf'], { error: 'Choisissez le format : csv ou pdf.' }),
  memberId: memberIdSchema.optional(),
  /** the language of headers and words (default French) */
  locale: z.enum(['fr', 'en'], { error: 'Langue : fr ou en.' }).default('fr'),
});
export type CostExportInput = z.input<typeof costExportInput>;

/** Whether the syndicate publishes the board's table (every member's contribution) to communes' elected officials and DSIs. */
export const costPublicationInput = z.object({ publishedToMembers: z.boolean({ error: 'Choisissez oui ou non.' }) });

/** Population strata of the DGCL (strates démographiques), used for € per inhabitant by member size. */
export const SIZE_BANDS = ['0-499', '500-1999', '2000-3499', '3500-4999', '5000-9999', '10000-19999', '20000-49999', '50000-99999', '100000+'] as const;
export type SizeBand = (typeof SIZE_BANDS)[number];
export function sizeBandOf(population: number): SizeBand {
  const lower = [0, 500, 2000, 3500, 5000, 10_000, 20_000, 50_000, 100_000];
  let i = lower.length - 1;
  while (population < lower[i]!) i--;
  return SIZE_BANDS[i]!;
}

// ---- What the allocation returns (money in integer cents; computed in bigint, returned as safe integers) ----

export interface AllocationLine {
  id: string;
  label: string;
  amountCents: number;
  key: AllocationKey;
  /** what the members' shares add up to: the amount, or 0 when the line could not be split (see problem) */
  allocatedCents: number;
  /** why the line could not be split (no member has any of its key), else null */
  problem: string | null;
}

export interface AllocationOffering {
  id: string;
  slug: string;
  nameFr: string;
  nameEn: string;
  /** what the members pay for it à la carte in the year */
  cents: number;
  /** what the same members would pay for it alone, when the offering carries a standalone price */
  standaloneCents: number | null;
  subscriptions: number;
}

export interface MemberLineShare { lineId: string; cents: number }

export interface MemberSubscriptionCharge {
  subscriptionId: string;
  offeringId: string;
  planId: string;
  planNameFr: string;
  planNameEn: string;
  /** days of the year the subscription was billed */
  days: number;
  cents: number;
  standaloneCents: number | null;
}

export interface MemberAllocation {
  memberId: string;
  name: string;
  kind: 'commune' | 'epci' | 'other';
  inseeCode: string | null;
  siren: string | null;
  population: number;
  agentCount: number;
  sizeBand: SizeBand;
  /** days of membership in the year */
  days: number;
  sharedCents: number;
  aLaCarteCents: number;
  totalCents: number;
  /** total per inhabitant / per agent, rounded to the cent; null when the member has none */
  perInhabitantCents: number | null;
  perAgentCents: number | null;
  previousTotalCents: number | null;
  changeCents: number | null;
  /** what its subscriptions would cost alone (offerings with a standalone price only) and what pooling saves on them */
  standaloneCents: number;
  savingsCents: number;
  /** the breakdown, when one member is asked for */
  lines?: MemberLineShare[];
  subscriptions?: MemberSubscriptionCharge[];
}

export interface SizeBandSummary { band: SizeBand; members: number; population: number; totalCents: number; perInhabitantCents: number | null }

export interface AllocationTotals {
  members: number;
  population: number;
  agentCount: number;
  sharedCents: number;
  aLaCarteCents: number;
  totalCents: number;
  previousTotalCents: number | null;
  standaloneCents: number;
  savingsCents: number;
}

export interface Allocation {
  year: number;
  daysInYear: number;
  /** every member the actor may see ('all'), or only the one asked for / their own ('member') */
  scope: 'all' | 'member';
  /** whether the board's table is published to communes (a syndicate setting) */
  publishedToMembers: boolean;
  lines: AllocationLine[];
  offerings: AllocationOffering[];
  totals: AllocationTotals;
  bands: SizeBandSummary[];
  members: MemberAllocation[];
}

export interface TrendPoint { year: number; totalCents: number; sharedCents: number; aLaCarteCents: number; members: number }

export interface SimulationMemberDiff {
  /** null for a simulated newcomer */
  memberId: string | null;
  name: string;
  inseeCode: string | null;
  isNewcomer: boolean;
  currentCents: number | null;
  simulatedCents: number;
  diffCents: number;
}

export interface SimulationResult {
  year: number;
  changes: SimulationChange[];
  current: AllocationTotals;
  simulated: AllocationTotals;
  lines: Array<{ id: string; label: string; currentCents: number; simulatedCents: number; currentKey: AllocationKey; simulatedKey: AllocationKey; problem: string | null }>;
  members: SimulationMemberDiff[];
  /** when someone joins: how many existing members would pay more, and the largest rise (the "a newcomer adds no cost" rule) */
  newcomer: { raisesExisting: number; largestRiseCents: number } | null;
}
