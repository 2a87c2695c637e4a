import type { ForcedSubject, MongoAbility } from '@casl/ability';

/** The fixed vocabulary of actions and subjects every permission is written in. */
/** `approve`: decide on a member's request (a subscription that needs the syndicate's approval). */
export const ACTIONS = ['read', 'create', 'update', 'delete', 'approve', 'manage'] as const;
export type Action = (typeof ACTIONS)[number];

export const SUBJECTS = [
  'Syndicate', 'Member', 'User', 'Membership', 'Session', 'AuditEvent', 'WorkflowRun',
  'Offering', 'Subscription', 'Resource', 'AccessGrant', 'Alert', 'CostModel', 'Allocation',
  // a member's settings: identity sources (LDAP directory, upstream OpenID provider), MFA policy, branding (rows keyed by memberId)
  'MemberSettings',
] as const;
export type SubjectName = (typeof SUBJECTS)[number];
export type Subjects = SubjectName | 'all';
/** Rule conditions name the camelCase columns of rows: syndicateId, memberId, userId, status (a Member's own id is `id`). */
export type Conditions = Record<string, string | null>;

/** A row checked against rule conditions: `asSubject('Subscription', row)`. */
export type SubjectObject = ForcedSubject<SubjectName>;
export type AppAbility = MongoAbility<[Action, Subjects | SubjectObject]>;
