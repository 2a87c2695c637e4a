import type { ColumnType, Generated, Selectable } from 'kysely';
import type { OfferingKind, PlanPrice, RecipeStep, ResourceKind, ResourceState, SubscriptionStatus } from '@mutualis/contracts';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A DATE column: 'YYYY-MM-DD' both ways (the pg type parser keeps dates as strings). */
type Day = string;
type Json<T> = ColumnType<T, string, string>;
type StandalonePrice = PlanPrice;

export interface OfferingTable {
  id: Generated<string>;
  syndicateId: string;
  slug: string;
  kind: OfferingKind;
  nameFr: string;
  nameEn: string;
  descriptionFr: string;
  descriptionEn: string;
  requiresApproval: boolean;
  isDefault: boolean;
  /** the syndicate's administrators and operators may sign in to the member's instances through the SSO */
  staffAccess: ColumnType<boolean, boolean | undefined, boolean>;
  recipe: Json<RecipeStep[]>;
  /** what a commune would pay for it alone (same rates as a plan price), for the savings from pooling; null when unknown */
  standalonePrice: ColumnType<StandalonePrice | null, string | null | undefined, string | null>;
  status: ColumnType<'active' | 'retired', 'active' | 'retired' | undefined, 'active' | 'retired'>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export interface OfferingPlanTable {
  id: Generated<string>;
  syndicateId: string;
  offeringId: string;
  code: string;
  nameFr: string;
  nameEn: string;
  createdAt: CreatedAt;
}

export interface PlanPriceTable {
  id: Generated<string>;
  syndicateId: string;
  planId: string;
  effectiveFrom: Day;
  annualFixedCents: number;
  perUserCents: number;
  perGbCents: number;
  perInhabitantCents: number;
  createdBy: string | null;
  createdAt: CreatedAt;
}

export interface SubscriptionTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  offeringId: string;
  planId: string;
  seats: number;
  storageGb: number;
  status: SubscriptionStatus;
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  activatedAt: Date | null;
  graceUntil: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  endedAt: Date | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export interface SubscriptionPeriodTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  subscriptionId: string;
  planId: string;
  seats: number;
  storageGb: number;
  startsOn: Day;
  endsOn: Day | null;
  createdAt: CreatedAt;
}

export interface ResourceTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  subscriptionId: string;
  key: string;
  kind: ResourceKind;
  externalId: string;
  state: ResourceState;
  details: Json<Record<string, unknown>>;
  secretCiphertext: Buffer | null;
  secretRevealedAt: Date | null;
  problem: string | null;
  checkedAt: Date | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
  removedAt: Date | null;
}

export interface OidcClientTable {
  clientId: string;
  syndicateId: string;
  memberId: string;
  subscriptionId: string | null;
  name: string;
  secretHash: Buffer;
  redirectUris: string[];
  postLogoutRedirectUris: ColumnType<string[], string[] | undefined, string[]>;
  /** where the SSO POSTs a logout token when the user signs out (back-channel logout) */
  backchannelLogoutUri: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export interface AppEndpointTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  subscriptionId: string | null;
  hostname: string;
  url: string;
  monitorIntervalSeconds: ColumnType<number, number | undefined, number>;
  monitorState: ColumnType<'pending' | 'up' | 'down', 'pending' | 'up' | 'down' | undefined, 'pending' | 'up' | 'down'>;
  monitorCheckedAt: Date | null;
  createdAt: CreatedAt;
}

export interface UsageRecordTable {
  id: Generated<string>;
  syndicateId: string;
  memberId: string;
  subscriptionId: string;
  day: Day;
  metric: 'users' | 'seats' | 'storage_bytes' | 'inhabitants';
  /** bigint, as a string */
  quantity: ColumnType<string, string | number, string | number>;
  recordedAt: CreatedAt;
}

export type Offering = Selectable<OfferingTable>;
export type OfferingPlan = Selectable<OfferingPlanTable>;
export type PlanPriceRow = Selectable<PlanPriceTable>;
export type Subscription = Selectable<SubscriptionTable>;
export type Resource = Selectable<ResourceTable>;
