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

export type AppAbility = MongoAbility<[Action, Subjects]>;
