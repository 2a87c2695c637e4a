import type { MongoAbility } from '@casl/ability';

/** The fixed vocabulary of actions and subjects every permission is written in. */
export const ACTIONS = ['read', 'create', 'update', 'delete', 'manage'] as const;
export type Action = (typeof ACTIONS)[number];

export const SUBJECTS = [
  'Syndicate', 'Member', 'User', 'Membership', 'Session', 'AuditEvent', 'WorkflowRun',
  'Offering', 'Subscription', 'Resource', 'AccessGrant', 'Alert', 'CostModel', 'Allocation',
] as const;
export type SubjectName = (typeof SUBJECTS)[number];
export type Subjects = SubjectName | 'all';
/** Rule conditions name the camelCase columns of rows: syndicateId, memberId, userId, status (a Member's own id is `id`). */
export type Conditions = Record<string, string | null>;

export type AppAbility = MongoAbility<[Action, Subjects]>;
