/**
 * Workflow contracts shared by the code that starts workflows (core) and the worker that runs them:
 * names, ids, inputs, signals, queries and the progress shape the UI shows.
 */
export const TASK_QUEUE = 'mutualis';

export const pingWorkflowName = 'pingWorkflow';
export interface PingInput { name: string }
export interface PingResult { greeting: string; databaseTime: string }

// ---------------------------------------------------------------------------------------------
// Progress of a long-running workflow, served by its `progress` query

export const STEP_STATES = ['pending', 'running', 'done', 'failed', 'skipped', 'compensated'] as const;
export type StepState = (typeof STEP_STATES)[number];
export const RUN_STATES = ['running', 'waiting', 'completed', 'cancelling', 'cancelled', 'failed'] as const;
/** `waiting`: a step failed and the run waits for someone to retry it or cancel the run. */
export type RunState = (typeof RUN_STATES)[number];

export interface StepProgress {
  key: string;
  state: StepState;
  /** ISO times, UTC */
  startedAt: string | null;
  endedAt: string | null;
  /** how many times the workflow ran this step (activity retries within one run add to the live count shown by workflows.get) */
  attempts: number;
  /** the last error, in words a person can act on */
  error: string | null;
  /** what the step did or why it had nothing to do */
  note: string | null;
}

/** One child run of a bulk workflow (e.g. each commune of an EPCI). */
export interface ChildProgress {
  subjectId: string;
  name: string;
  workflowId: string;
  state: 'pending' | 'running' | 'completed' | 'cancelled' | 'failed';
}

export interface WorkflowProgress {
  workflowId: string;
  workflowType: string;
  state: RunState;
  steps: StepProgress[];
  cancelledBy: string | null;
  /** bulk workflows only: their child runs */
  children?: ChildProgress[];
}

export const progressQueryName = 'progress';
export const retrySignalName = 'retryStep';
export const cancelSignalName = 'cancelRun';
export interface RunDecision { actorUserId: string }

// ---------------------------------------------------------------------------------------------
// onboardMember

export const onboardMemberWorkflowName = 'onboardMember';
export const ONBOARD_STEPS = ['register', 'identity', 'invite', 'costShare', 'starterServices', 'activate'] as const;
export type OnboardStep = (typeof ONBOARD_STEPS)[number];
export const onboardWorkflowId = (memberId: string) => `onboard:${memberId}`;

export interface OnboardMemberInput {
  memberId: string;
  syndicateId: string;
  requestedBy: { userId: string; ip: string | null };
  /** the commune's DSI, invited by mail; null to invite later */
  dsi: { email: string; name: string } | null;
  /** the first day the member pays its share, 'YYYY-MM-DD' (Paris calendar) */
  startsOn: string;
}

// ---------------------------------------------------------------------------------------------
// onboardEpciCommunes: every commune of an EPCI at once, each as an onboardMember child run

export const bulkOnboardWorkflowName = 'onboardEpciCommunes';
export const BULK_ONBOARD_STEPS = ['register', 'onboard'] as const;
export const bulkOnboardWorkflowId = (bulkId: string) => `bulkOnboard:${bulkId}`;
/** How many communes are onboarded at the same time. */
export const BULK_ONBOARD_CONCURRENCY = 5;

export interface BulkOnboardInput {
  bulkId: string;
  syndicateId: string;
  epciSiren: string;
  requestedBy: { userId: string; ip: string | null };
  startsOn: string;
}

// ---------------------------------------------------------------------------------------------
// inviteDsi: (re)invite a member's DSI — a new single-use link, the previous ones revoked

export const inviteDsiWorkflowName = 'inviteDsi';
export const inviteDsiWorkflowId = (requestId: string) => `invite:${requestId}`;
export interface InviteDsiInput {
  memberId: string;
  syndicateId: string;
  requestedBy: { userId: string; ip: string | null };
  dsi: { email: string; name: string };
  /** the role the invited person gets in the member (users.invite); the DSI's when absent */
  role?: 'commune_dsi' | 'commune_agent' | 'commune_elected';
}

// ---------------------------------------------------------------------------------------------
// offboardMember: a member leaves — export for reversibility, suspension, retention, erasure

export const offboardMemberWorkflowName = 'offboardMember';
export const OFFBOARD_STEPS = ['export', 'suspend', 'retention', 'erase'] as const;
export type OffboardStep = (typeof OFFBOARD_STEPS)[number];
export const offboardWorkflowId = (memberId: string) => `offboard:${memberId}`;
/** How long a departing member's data is kept (and its export downloadable) before erasure, unless configured. */
export const DEFAULT_MEMBER_RETENTION_DAYS = 90;

export interface OffboardMemberInput {
  memberId: string;
  syndicateId: string;
  requestedBy: { userId: string; ip: string | null };
  /** the retention period, in seconds (MEMBER_RETENTION_DAYS × 86,400 in production; seconds in tests) */
  retentionSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// provisionSubscription: a member's request for a service — approval (if the offering needs it),
// then the offering's recipe, one step per resource, then activation

export const provisionSubscriptionWorkflowName = 'provisionSubscription';
export const provisionWorkflowId = (subscriptionId: string) => `subscription:${subscriptionId}`;
/** The steps around the recipe's own (one per resource, keyed as the recipe says). */
export const PROVISION_FIRST_STEP = 'approval';
export const PROVISION_LAST_STEP = 'activate';
export const decideSignalName = 'decideSubscription';
export interface SubscriptionDecision { approved: boolean; reason: string | null; actorUserId: string; ip: string | null }

export interface ProvisionSubscriptionInput {
  subscriptionId: string;
  syndicateId: string;
  memberId: string;
  requestedBy: { userId: string; ip: string | null };
  requiresApproval: boolean;
  /** the offering's recipe when the request was made: the resources to make, in order */
  recipe: Array<{ key: string; kind: 'postgres-database' | 'oidc-client' | 'app-endpoint' }>;
}

// ---------------------------------------------------------------------------------------------
// deprovisionSubscription: a cancelled subscription keeps its data for a grace period, then every
// resource is removed. Cancelling the run during the grace period keeps everything.

export const deprovisionSubscriptionWorkflowName = 'deprovisionSubscription';
export const DEPROVISION_STEPS = ['suspend', 'grace', 'remove', 'end'] as const;
export const deprovisionWorkflowId = (requestId: string) => `deprovision:${requestId}`;
/** Days a cancelled subscription's data is kept before removal, unless SUBSCRIPTION_GRACE_DAYS says otherwise. */
export const DEFAULT_SUBSCRIPTION_GRACE_DAYS = 30;

export interface DeprovisionSubscriptionInput {
  subscriptionId: string;
  syndicateId: string;
  memberId: string;
  requestedBy: { userId: string; ip: string | null };
  /** the grace period in seconds (SUBSCRIPTION_GRACE_DAYS × 86,400 in production; seconds in tests) */
  graceSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// checkResources: "Vérifier" inspects every resource of a subscription (and repairs drift when asked)

export const checkResourcesWorkflowName = 'checkResources';
export const checkResourcesWorkflowId = (requestId: string) => `check:${requestId}`;
export interface CheckResourcesInput {
  subscriptionId: string;
  syndicateId: string;
  memberId: string;
  requestedBy: { userId: string; ip: string | null };
  repair: boolean;
}
export interface ResourceCheck { resourceId: string; key: string; kind: string; state: 'ready' | 'drifted' | 'removed'; problem: string | null; repaired: boolean }

// ---------------------------------------------------------------------------------------------
// recordDailyUsage: the metering schedule's daily run (usage records the cost allocation reads)

export const recordDailyUsageWorkflowName = 'recordDailyUsage';
export const USAGE_SCHEDULE_ID = 'usage-metering';
export interface RecordDailyUsageInput {
  /** the day to record, 'YYYY-MM-DD' (Paris); default: the day the run starts */
  day?: string;
}
export interface DailyUsageResult { day: string; syndicates: number; subscriptions: number; records: number }
