import { AbilityBuilder, createMongoAbility, type RawRuleOf } from '@casl/ability';
import { packRules } from '@casl/ability/extra';
import type { Role } from '@mutualis/contracts';
import { SUBJECTS, type Action, type AppAbility, type Conditions, type Subjects } from './subjects.ts';

/** Every subject whose rows carry a `syndicateId` (a Syndicate row is keyed by its own `id`). */
const TENANT_SUBJECTS = SUBJECTS.filter((s) => s !== 'Syndicate');

export interface AbilityActor {
  userId: string;
  syndicateId: string;
  memberships: ReadonlyArray<{ role: Role; memberId: string | null }>;
}

/**
 * The permissions of one user. Every rule carries a tenant condition: `syndicateId` for the
 * syndicate's roles, the member (`id` of a Member, `memberId` elsewhere) for commune roles.
 * Subjects are checked against rows whose fields are camelCase, as Kysely returns them.
 */
export function defineAbilityFor(actor: AbilityActor): AppAbility {
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  // CASL cannot infer condition types for string subjects; the rule matrix is pinned by unit tests.
  const can = (action: Action | Action[], subject: Subjects | Subjects[], conditions: Conditions) => builder.can(action, subject, conditions as never);
  const cannot = (action: Action | Action[], subject: Subjects | Subjects[]) => builder.cannot(action, subject);
  const build = () => builder.build();
  const syndicateId = actor.syndicateId;
  const inSyndicate = { syndicateId };

  for (const { role, memberId } of actor.memberships) {
    switch (role) {
      case 'syndicate_admin':
        // Not `manage all` on syndicateId: a Syndicate row has no such field, so the admin could not
        // read its own syndicate, and a query on `syndicates` would name a column that does not exist.
        can('manage', TENANT_SUBJECTS, inSyndicate);
        can(['read', 'update'], 'Syndicate', { id: syndicateId });
        break;
      case 'syndicate_operator':
        can('read', ['Syndicate'], { id: syndicateId });
        can(['read', 'create', 'update'], ['Member', 'Subscription', 'Resource', 'AccessGrant', 'Alert', 'WorkflowRun'], inSyndicate);
        can(['read', 'create'], ['User', 'Membership'], inSyndicate);
        can('read', ['Offering', 'AuditEvent', 'MemberSettings'], inSyndicate);
        can('approve', 'Subscription', inSyndicate);
        break;
      case 'syndicate_finance':
        can('read', ['Syndicate'], { id: syndicateId });
        can('read', ['Member', 'Offering', 'Subscription'], inSyndicate);
        can('manage', ['CostModel', 'Allocation'], inSyndicate);
        can('read', 'AuditEvent', inSyndicate);
        break;
      case 'board_member':
        can('read', ['Syndicate'], { id: syndicateId });
        can('read', ['Member', 'Offering', 'CostModel', 'Allocation'], inSyndicate);
        break;
      case 'commune_dsi': {
        const own = { syndicateId, memberId: memberId! };
        can('read', 'Member', { syndicateId, id: memberId! });
        can('read', 'Offering', inSyndicate);
        can(['read', 'create', 'update'], ['Subscription', 'AccessGrant'], own);
        can(['read', 'create', 'update'], ['User', 'Membership'], own);
        can(['read', 'update'], 'MemberSettings', own);
        can('read', ['Resource', 'WorkflowRun', 'AuditEvent', 'Alert', 'Allocation'], own);
        break;
      }
      case 'commune_elected': {
        const own = { syndicateId, memberId: memberId! };
        can('read', 'Member', { syndicateId, id: memberId! });
        can('read', ['Subscription', 'Allocation'], own);
        break;
      }
      case 'commune_agent':
        can('read', 'Member', { syndicateId, id: memberId! });
        can('read', 'Subscription', { syndicateId, memberId: memberId!, status: 'active' });
        break;
      case 'external_provider':
        // Nothing until an access grant is approved (access grants come with a later issue).
        break;
    }
  }
  // Everybody may see and end their own sessions.
  can(['read', 'delete'], 'Session', { syndicateId, userId: actor.userId });
  // The audit trail is append-only, whoever asks.
  cannot(['update', 'delete'], 'AuditEvent');
  return build();
}

/** Compact rules for the browser, which only uses them to hide what the user cannot do. */
export function packAbility(ability: AppAbility) {
  return packRules(ability.rules as RawRuleOf<AppAbility>[]);
}
