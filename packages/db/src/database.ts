import type {
  AuditChainHeadTable, AuditEventTable, LoginFailureTable, MemberTable, MembershipTable, SessionTable,
  SyndicateTable, UserTable, UserFactorTable, RecoveryCodeTable, WorkflowRunTable, IdentityGroupTable, InvitationTable, CostShareTable, MailOutboxTable, ActivityEffectTable,
} from './tables/tenancy.table.ts';
import type { MemberExportTable } from './tables/member-export.table.ts';
import type {
  AppEndpointTable, OfferingPlanTable, OfferingTable, OidcClientTable, PlanPriceTable, ResourceTable, SubscriptionPeriodTable,
  SubscriptionTable, UsageRecordTable,
} from './tables/catalog.table.ts';
import type { BudgetLineTable, CostDataVersionTable, CostSettingsTable } from './tables/costs.table.ts';
import type { OidcPayloadTable, OidcSigningKeyTable } from './tables/oidc.table.ts';
import type { UpstreamProviderDomainTable, UpstreamProviderTable, UserIdentityTable } from './tables/federation.table.ts';
import type { MemberDirectoryAccountTable, MemberDirectoryDomainTable, MemberDirectoryTable } from './tables/directory.table.ts';

/** The schema as Kysely sees it (camelCase, mapped to snake_case columns by CamelCasePlugin). */
export interface Database {
  syndicates: SyndicateTable;
  members: MemberTable;
  users: UserTable;
  memberships: MembershipTable;
  sessions: SessionTable;
  auditChainHeads: AuditChainHeadTable;
  auditEvents: AuditEventTable;
  workflowRuns: WorkflowRunTable;
  loginFailures: LoginFailureTable;
  identityGroups: IdentityGroupTable;
  invitations: InvitationTable;
  costShares: CostShareTable;
  mailOutbox: MailOutboxTable;
  activityEffects: ActivityEffectTable;
  memberExports: MemberExportTable;
  offerings: OfferingTable;
  offeringPlans: OfferingPlanTable;
  planPrices: PlanPriceTable;
  subscriptions: SubscriptionTable;
  subscriptionPeriods: SubscriptionPeriodTable;
  resources: ResourceTable;
  oidcClients: OidcClientTable;
  appEndpoints: AppEndpointTable;
  usageRecords: UsageRecordTable;
  oidcPayloads: OidcPayloadTable;
  oidcSigningKeys: OidcSigningKeyTable;
  budgetLines: BudgetLineTable;
  costSettings: CostSettingsTable;
  costDataVersions: CostDataVersionTable;
  userFactors: UserFactorTable;
  recoveryCodes: RecoveryCodeTable;
  upstreamProviders: UpstreamProviderTable;
  upstreamProviderDomains: UpstreamProviderDomainTable;
  userIdentities: UserIdentityTable;
  memberDirectories: MemberDirectoryTable;
  memberDirectoryDomains: MemberDirectoryDomainTable;
  memberDirectoryAccounts: MemberDirectoryAccountTable;
}
