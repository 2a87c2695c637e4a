/**
 * Row-level security is the second wall behind the CASL rules: these tests talk to PostgreSQL as
 * the application role, without any application code in between, and check that a transaction
 * sees, changes and creates only its own tenant's rows.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Db, type Tx, withTenant } from '@mutualis/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDb, closeDbs, newAppDb, ownerDb, superuserDb } from '../support/db.ts';
import { createTenant, randomSiren, sha256, type TestTenant } from '../support/factories.ts';
import { addActivity, errorOf, probeAs, type TenantActivity } from '../support/tenant-rows.ts';

/** Tables that hold no tenant data, and so no row-level security. */
// oidc_*: the SSO's opaque sessions, tokens and signing keys, read before any tenant is known.
const GLOBAL_TABLES = ['login_failures', 'kysely_migration', 'kysely_migration_lock', 'oidc_payloads', 'oidc_signing_keys'];
const TENANT_TABLES = ['members', 'users', 'memberships', 'sessions', 'audit_events', 'workflow_runs'] as const;
type TenantTable = (typeof TENANT_TABLES)[number];
/** Tables whose rows belong to one member (`id` for members itself). */
const MEMBER_COLUMN: Partial<Record<TenantTable, string>> = { members: 'id', memberships: 'member_id', audit_events: 'member_id', workflow_runs: 'member_id' };
/** A harmless column to "update" (set to itself). */
const SOME_COLUMN: Record<TenantTable, string> = {
  members: 'name', users: 'display_name', memberships: 'role', sessions: 'user_agent', audit_events: 'action', workflow_runs: 'status',
};

let a: TestTenant;
let b: TestTenant;
let activityA: TenantActivity;

beforeAll(async () => {
  [a, b] = await Promise.all([createTenant({ communes: 2 }), createTenant({ communes: 1 })]);
  // Commune 2 of A gets its own user too, so that every member-scoped table has rows of both communes.
  await a.addUser('commune_dsi', a.members[1]!.id);
  [activityA] = await Promise.all([addActivity(a), addActivity(b)]);
});
afterAll(closeDbs);

const count = async (tx: Db, table: string, column: string, value: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(tx)).rows[0]!.n;
/** The rows really exist (seen by the owner, which bypasses RLS): a probe that finds none proves something. */
const existing = (table: string, column: string, value: string) => count(ownerDb(), table, column, value);
const touch = async (tx: Tx, table: TenantTable, column: string, value: string) =>
  Number((await sql`update ${sql.table(table)} set ${sql.ref(SOME_COLUMN[table])} = ${sql.ref(SOME_COLUMN[table])} where ${sql.ref(column)} = ${value}`.execute(tx)).numAffectedRows);
const remove = async (tx: Tx, table: TenantTable, column: string, value: string) =>
  Number((await sql`delete from ${sql.table(table)} where ${sql.ref(column)} = ${value}`.execute(tx)).numAffectedRows);

/** An insert into `table` of a row for `syndicateId` (and `memberId` where rows belong to a member). */
function insertRow(tx: Tx, table: TenantTable, t: TestTenant, memberId: string): Promise<unknown> {
  const syndicateId = t.syndicateId;
  switch (table) {
    case 'members': {
      const values = { name: `Intruse ${randomUUID()}`, inseeCode: '00001', siren: randomSiren() };
      return tx.insertInto('members').values({ ...values, syndicateId, kind: 'commune', population: 0, agentCount: 0, status: 'active', searchText: values.name.toLowerCase() }).execute();
    }
    case 'users':
      return tx.insertInto('users').values({ syndicateId, email: `intrus.${randomUUID()}@tests.example`, displayName: 'Intrus', status: 'active' }).execute();
    case 'memberships':
      return tx.insertInto('memberships').values({ syndicateId, userId: t.users.syndicate_finance.id, memberId, role: 'commune_dsi' }).execute();
    case 'sessions':
      return tx.insertInto('sessions').values({ syndicateId, userId: t.users.commune_dsi.id, tokenHash: sha256(randomBytes(32)), expiresAt: new Date(Date.now() + 3600_000), amr: ['pwd'], secondFactor: 'done' }).execute();
    case 'audit_events':
      return tx.insertInto('auditEvents').values({
        syndicateId, seq: 1_000_000, memberId, actorUserId: null, action: 'forged', subjectType: 'Member', subjectId: memberId,
        before: null, after: null, ip: null, occurredAt: new Date(), prevHash: Buffer.alloc(32), hash: Buffer.alloc(32),
      }).execute();
    case 'workflow_runs':
      return tx.insertInto('workflowRuns').values({ syndicateId, memberId, subjectType: 'Member', subjectId: memberId, workflowType: 'x', workflowId: `forged:${randomUUID()}`, status: 'running' }).execute();
  }
}

describe('the schema', () => {
  it('forces row-level security, with policies on the tenant, on every table that is not explicitly global', async () => {
    const tables = (await sql<{ name: string; rls: boolean; forced: boolean; policies: number; hasSyndicateId: boolean }>`
      select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
             (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies,
             exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'syndicate_id' and not a.attisdropped) as has_syndicate_id
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`.execute(superuserDb())).rows;
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining([...TENANT_TABLES, 'syndicates', 'audit_chain_heads']));
    const offending = tables.filter((t) => !GLOBAL_TABLES.includes(t.name) && !(t.rls && t.forced && t.policies > 0)).map((t) => t.name);
    expect(offending, 'tables without forced row-level security and a policy').toEqual([]);
    const globalWithTenant = tables.filter((t) => t.hasSyndicateId && !(t.rls && t.forced)).map((t) => t.name);
    expect(globalWithTenant, 'tables with a syndicate_id column but no forced row-level security').toEqual([]);
  });

  it('keys every policy, for reading and for writing, on the transaction tenant', async () => {
    const policies = (await sql<{ table: string; using: string | null; check: string | null; command: string }>`
      select c.relname as table, pg_get_expr(p.polqual, p.polrelid) as using, pg_get_expr(p.polwithcheck, p.polrelid) as check, p.polcmd as command
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public'`.execute(superuserDb())).rows;
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      expect(p.using, `USING of the policy on ${p.table}`).toContain('app_syndicate_id()');
      expect(p.check, `WITH CHECK of the policy on ${p.table}`).toContain('app_syndicate_id()');
    }
  });
});

describe('the application role', () => {
  it('is no superuser, cannot bypass row-level security and cannot become a role that can', async () => {
    const role = (await sql<{ super: boolean; bypass: boolean; escalations: string[] }>`
      select r.rolsuper as super, r.rolbypassrls as bypass,
             array(select g.rolname::text from pg_roles g where (g.rolsuper or g.rolbypassrls) and g.oid <> r.oid and pg_has_role(r.oid, g.oid, 'member')) as escalations
        from pg_roles r where r.rolname = current_user`.execute(appDb())).rows[0]!;
    expect(role).toEqual({ super: false, bypass: false, escalations: [] });
  });

  it('owns no table, view, sequence, function or schema (an owner could switch RLS off)', async () => {
    const owned = (await sql<{ what: string }>`
      select 'relation ' || relname as what from pg_class where relowner = (select oid from pg_roles where rolname = current_user)
      union all select 'function ' || proname from pg_proc where proowner = (select oid from pg_roles where rolname = current_user)
      union all select 'schema ' || nspname from pg_namespace where nspowner = (select oid from pg_roles where rolname = current_user)`.execute(appDb())).rows;
    expect(owned).toEqual([]);
  });

  it('cannot update, delete or truncate the audit trail', async () => {
    const tenant = { syndicateId: a.syndicateId, memberIds: null };
    const attempts = [
      sql`update audit_events set action = 'rewritten' where syndicate_id = ${a.syndicateId}`,
      sql`delete from audit_events where syndicate_id = ${a.syndicateId}`,
      sql`truncate audit_events`,
    ];
    for (const statement of attempts) {
      const error = await errorOf(probeAs(appDb(), tenant, (tx) => statement.execute(tx)));
      expect(error.message).toMatch(/permission denied for table audit_events/);
    }
  });
});

describe.each(TENANT_TABLES)('%s, in a transaction of tenant A', (table) => {
  const asA = () => ({ syndicateId: a.syndicateId, memberIds: null });

  it("sees its own rows and none of tenant B's", async () => {
    expect(await existing(table, 'syndicate_id', b.syndicateId)).toBeGreaterThan(0);
    const [own, foreign] = await probeAs(appDb(), asA(), async (tx) => [
      await count(tx, table, 'syndicate_id', a.syndicateId), await count(tx, table, 'syndicate_id', b.syndicateId),
    ]);
    expect(own).toBeGreaterThan(0);
    expect(foreign).toBe(0);
  });

  it("updates and deletes none of tenant B's rows", async () => {
    if (table === 'audit_events') {
      // Append-only: the application may not even try (see "cannot update, delete or truncate the audit trail").
      const error = await errorOf(probeAs(appDb(), asA(), (tx) => touch(tx, table, 'syndicate_id', b.syndicateId)));
      expect(error.message).toMatch(/permission denied for table audit_events/);
      return;
    }
    const [updated, deleted, ownUpdated] = await probeAs(appDb(), asA(), async (tx) => [
      await touch(tx, table, 'syndicate_id', b.syndicateId), await remove(tx, table, 'syndicate_id', b.syndicateId),
      await touch(tx, table, 'syndicate_id', a.syndicateId),
    ]);
    expect({ updated, deleted }).toEqual({ updated: 0, deleted: 0 });
    expect(ownUpdated).toBeGreaterThan(0);
  });

  it('cannot insert a row of tenant B', async () => {
    const error = await errorOf(probeAs(appDb(), asA(), (tx) => insertRow(tx, table, b, b.members[0]!.id)));
    expect(error.message).toMatch(new RegExp(`new row violates row-level security policy for table "${table}"`));
  });
});

describe('a transaction confined to commune 1 of tenant A', () => {
  const memberTables = TENANT_TABLES.filter((t) => MEMBER_COLUMN[t]);
  const asCommune1 = () => ({ syndicateId: a.syndicateId, memberIds: [a.members[0]!.id] });

  it.each(memberTables)('sees the %s rows of commune 1 and none of commune 2', async (table) => {
    const column = MEMBER_COLUMN[table]!;
    expect(await existing(table, column, a.members[1]!.id)).toBeGreaterThan(0);
    const [own, sibling] = await probeAs(appDb(), asCommune1(), async (tx) => [
      await count(tx, table, column, a.members[0]!.id), await count(tx, table, column, a.members[1]!.id),
    ]);
    expect(own).toBeGreaterThan(0);
    expect(sibling).toBe(0);
  });

  it.each(memberTables.filter((t) => t !== 'audit_events'))('updates and deletes no %s row of commune 2', async (table) => {
    const column = MEMBER_COLUMN[table]!;
    expect(await existing(table, column, a.members[1]!.id)).toBeGreaterThan(0);
    const [updated, deleted] = await probeAs(appDb(), asCommune1(), async (tx) => [
      await touch(tx, table, column, a.members[1]!.id), await remove(tx, table, column, a.members[1]!.id),
    ]);
    expect({ updated, deleted }).toEqual({ updated: 0, deleted: 0 });
  });

  it.each(memberTables.filter((t) => t !== 'members'))('cannot insert a %s row of commune 2', async (table) => {
    const error = await errorOf(probeAs(appDb(), asCommune1(), (tx) => insertRow(tx, table, a, a.members[1]!.id)));
    expect(error.message).toMatch(new RegExp(`new row violates row-level security policy for table "${table}"`));
  });

  it('sees the audit event and workflow run of its commune by id, not those of commune 2', async () => {
    const [m1, m2] = [a.members[0]!.id, a.members[1]!.id];
    const seen = await probeAs(appDb(), asCommune1(), async (tx) => ({
      runs: (await tx.selectFrom('workflowRuns').select('id').where('id', 'in', [activityA.workflowRunIds.get(m1)!, activityA.workflowRunIds.get(m2)!]).execute()).map((r) => r.id),
      events: (await tx.selectFrom('auditEvents').select('id').where('id', 'in', [activityA.auditEventIds.get(m1)!, activityA.auditEventIds.get(m2)!]).execute()).map((r) => r.id),
    }));
    expect(seen).toEqual({ runs: [activityA.workflowRunIds.get(m1)], events: [activityA.auditEventIds.get(m1)] });
  });
});

describe('a connection with no tenant', () => {
  const allTables = [...TENANT_TABLES, 'syndicates', 'audit_chain_heads'];

  it.each(allTables)('sees no %s row, before and after a tenant transaction on the same connection', async (table) => {
    const single = newAppDb(1);
    const total = async () => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(single)).rows[0]!.n;
    expect(await total()).toBe(0);
    const inside = await withTenant(single, { syndicateId: a.syndicateId, memberIds: null }, async (tx) =>
      (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(tx)).rows[0]!.n);
    expect(inside).toBeGreaterThan(0);
    expect(await total()).toBe(0);
  });
});
