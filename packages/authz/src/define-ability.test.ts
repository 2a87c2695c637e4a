import { subject } from '@casl/ability';
import { CamelCasePlugin, DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Role } from '@mutualis/contracts';
import { defineAbilityFor } from './define-ability.ts';
import { accessibleWhere } from './rules-to-kysely.ts';
import { SUBJECTS, type AppAbility, type SubjectName } from './subjects.ts';

const S = '11111111-1111-4111-8111-111111111111'; // the actor's syndicate
const F = '22222222-2222-4222-8222-222222222222'; // another syndicate
const M1 = 'aaaaaaaa-0000-4000-8000-000000000001'; // the actor's commune
const M2 = 'aaaaaaaa-0000-4000-8000-000000000002'; // another commune of the same syndicate
const MF = 'ffffffff-0000-4000-8000-000000000001'; // a commune of the other syndicate
const U = 'bbbbbbbb-0000-4000-8000-000000000001'; // the actor
const U2 = 'bbbbbbbb-0000-4000-8000-000000000002'; // another user

const ACTIONS = ['read', 'create', 'update', 'delete'] as const;
const LETTER = { read: 'r', create: 'c', update: 'u', delete: 'd' } as const;

/**
 * What each role may do, as letters r/c/u/d, on an object of its own tenant: any object of the
 * syndicate for syndicate roles, an object of its own commune (M1) for commune roles. Sessions and
 * every other object carry the actor's own user id here. A subject not listed: nothing.
 * Changing a rule must change this table.
 */
const OWN: Record<Role, Partial<Record<SubjectName, string>>> = {
  syndicate_admin: {
    Syndicate: 'ru', Member: 'rcud', User: 'rcud', Membership: 'rcud', Session: 'rcud', AuditEvent: 'rc', WorkflowRun: 'rcud',
    Offering: 'rcud', Subscription: 'rcud', Resource: 'rcud', AccessGrant: 'rcud', Alert: 'rcud', CostModel: 'rcud', Allocation: 'rcud',
    MemberSettings: 'rcud',
  },
  syndicate_operator: {
    Syndicate: 'r', Member: 'rcu', User: 'rc', Membership: 'rc', Session: 'rd', AuditEvent: 'r', WorkflowRun: 'rcu',
    Offering: 'r', Subscription: 'rcu', Resource: 'rcu', AccessGrant: 'rcu', Alert: 'rcu', MemberSettings: 'r',
  },
  syndicate_finance: {
    Syndicate: 'r', Member: 'r', Session: 'rd', AuditEvent: 'r', Offering: 'r', Subscription: 'r', CostModel: 'rcud', Allocation: 'rcud',
  },
  board_member: { Syndicate: 'r', Member: 'r', Session: 'rd', Offering: 'r', CostModel: 'r', Allocation: 'r' },
  commune_dsi: {
    Member: 'r', User: 'rcu', Membership: 'rcu', Session: 'rd', AuditEvent: 'r', WorkflowRun: 'r',
    Offering: 'r', Subscription: 'rcu', Resource: 'r', AccessGrant: 'rcu', Alert: 'r', Allocation: 'r', MemberSettings: 'ru',
  },
  commune_agent: { Member: 'r', Session: 'rd', Subscription: 'r' },
  commune_elected: { Member: 'r', Session: 'rd', Subscription: 'r', Allocation: 'r' },
  external_provider: { Session: 'rd' },
};

/**
 * On an object of another commune (M2) of the same syndicate, belonging to another user (U2).
 * Syndicate roles see the whole syndicate; a commune role sees only the syndicate-wide catalog.
 */
const SIBLING: Record<Role, Partial<Record<SubjectName, string>>> = {
  syndicate_admin: OWN.syndicate_admin,
  syndicate_operator: { ...OWN.syndicate_operator, Session: '' },
  syndicate_finance: { ...OWN.syndicate_finance, Session: '' },
  board_member: { ...OWN.board_member, Session: '' },
  commune_dsi: { Offering: 'r' },
  commune_agent: {},
  commune_elected: {},
  external_provider: {},
};

const ROLES = Object.keys(OWN) as Role[];
const SYNDICATE_ROLES: Role[] = ['syndicate_admin', 'syndicate_operator', 'syndicate_finance', 'board_member'];

function abilityOf(role: Role): AppAbility {
  const memberId = SYNDICATE_ROLES.includes(role) || role === 'external_provider' ? null : M1;
  return defineAbilityFor({ userId: U, syndicateId: S, memberships: [{ role, memberId }] });
}

interface Place { syndicateId: string; memberId: string; userId: string }

/** A row of `name` as Kysely returns it (camelCase columns): a Syndicate is keyed by `id`, a Member by `id`. */
function objectOf(name: SubjectName, at: Place) {
  if (name === 'Syndicate') return subject(name, { id: at.syndicateId });
  if (name === 'Member') return subject(name, { syndicateId: at.syndicateId, id: at.memberId });
  return subject(name, { syndicateId: at.syndicateId, memberId: at.memberId, userId: at.userId, status: 'active' });
}

/** The role's rights at one place, in the table's notation (only subjects with some right). */
function rightsAt(ability: AppAbility, at: Place): Partial<Record<SubjectName, string>> {
  const table: Partial<Record<SubjectName, string>> = {};
  for (const name of SUBJECTS) {
    const letters = ACTIONS.filter((action) => ability.can(action, objectOf(name, at) as never)).map((a) => LETTER[a]).join('');
    if (letters) table[name] = letters;
  }
  return table;
}

const nonEmpty = (table: Partial<Record<SubjectName, string>>) => Object.fromEntries(Object.entries(table).filter(([, v]) => v));

describe.each(ROLES)('%s', (role) => {
  const ability = abilityOf(role);

  it('has exactly the rights of the table in its own tenant', () => {
    expect(rightsAt(ability, { syndicateId: S, memberId: M1, userId: U })).toEqual(nonEmpty(OWN[role]));
  });

  it('has exactly the rights of the table on another commune of its syndicate', () => {
    expect(rightsAt(ability, { syndicateId: S, memberId: M2, userId: U2 })).toEqual(nonEmpty(SIBLING[role]));
  });

  it('has no right at all in another syndicate, even on objects carrying its own member and user ids', () => {
    expect(rightsAt(ability, { syndicateId: F, memberId: MF, userId: U2 })).toEqual({});
    expect(rightsAt(ability, { syndicateId: F, memberId: M1, userId: U })).toEqual({});
  });
});

describe('rules that are not about the tenant', () => {
  it('only the syndicate\'s admin and operators decide on a subscription request, and only in their syndicate', () => {
    const request = (syndicateId: string, memberId: string) => subject('Subscription', { syndicateId, memberId, status: 'requested' }) as never;
    const deciders = ROLES.filter((role) => abilityOf(role).can('approve', request(S, M1)));
    expect(deciders).toEqual(['syndicate_admin', 'syndicate_operator']);
    for (const role of deciders) expect(abilityOf(role).can('approve', request(F, MF)), role).toBe(false);
  });

  it('a commune agent reads only the active subscriptions of its commune', () => {
    const agent = abilityOf('commune_agent');
    expect(agent.can('read', subject('Subscription', { syndicateId: S, memberId: M1, status: 'active' }) as never)).toBe(true);
    expect(agent.can('read', subject('Subscription', { syndicateId: S, memberId: M1, status: 'requested' }) as never)).toBe(false);
  });

  it('the audit trail is append-only even for the administrator', () => {
    const admin = abilityOf('syndicate_admin');
    const event = subject('AuditEvent', { syndicateId: S, memberId: null });
    expect(admin.can('create', event as never)).toBe(true);
    expect(admin.can('update', event as never)).toBe(false);
    expect(admin.can('delete', event as never)).toBe(false);
  });

  it('a user of two communes gets the rights of both roles, and still none in another syndicate', () => {
    const dsiOfTwo = defineAbilityFor({ userId: U, syndicateId: S, memberships: [{ role: 'commune_dsi', memberId: M1 }, { role: 'commune_elected', memberId: M2 }] });
    expect(rightsAt(dsiOfTwo, { syndicateId: S, memberId: M2, userId: U2 })).toEqual({ Member: 'r', Offering: 'r', Subscription: 'r', Allocation: 'r' });
    expect(rightsAt(dsiOfTwo, { syndicateId: F, memberId: M2, userId: U })).toEqual({});
  });
});

describe('accessibleWhere', () => {
  const db = new Kysely<any>({ // eslint-disable-line @typescript-eslint/no-explicit-any
    dialect: {
      createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k), createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    plugins: [new CamelCasePlugin()],
  });
  const compile = (ability: AppAbility, action: 'read' | 'update' | 'delete', name: SubjectName, table: string) =>
    db.selectFrom(table).select('id').where(accessibleWhere(ability, action, name, table)).compile();

  it.each([
    ['external_provider', 'read', 'Member', 'members'],
    ['commune_agent', 'read', 'AuditEvent', 'audit_events'],
    ['board_member', 'delete', 'Member', 'members'],
    ['syndicate_admin', 'update', 'AuditEvent', 'audit_events'],
  ] as const)('compiles to false when %s may not %s a %s', (role, action, name, table) => {
    const query = compile(abilityOf(role), action, name, table);
    expect(query.sql).toBe(`select "id" from "${table}" where false`);
    expect(query.parameters).toEqual([]);
  });

  it('confines a commune DSI to its own member row, in snake_case SQL', () => {
    const query = compile(abilityOf('commune_dsi'), 'read', 'Member', 'members');
    expect(query.sql).toBe('select "id" from "members" where ("members"."syndicate_id" = $1 and "members"."id" = $2)');
    expect(query.parameters).toEqual([S, M1]);
  });

  it('reads the syndicates table by its id, for the administrator as for the other syndicate roles', () => {
    for (const role of SYNDICATE_ROLES) {
      const query = compile(abilityOf(role), 'read', 'Syndicate', 'syndicates');
      expect(query.sql).toBe('select "id" from "syndicates" where "syndicates"."id" = $1');
      expect(query.parameters).toEqual([S]);
    }
  });

  it('confines a syndicate role to its syndicate', () => {
    const query = compile(abilityOf('syndicate_operator'), 'read', 'Member', 'members');
    expect(query.sql).toBe('select "id" from "members" where "members"."syndicate_id" = $1');
    expect(query.parameters).toEqual([S]);
  });
});
