/** Every migration goes up from nothing, all the way down, and up again to the same schema. */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { APP_ROLE, createDb, migrateDownAll, migrateToLatest, sql, type Db } from '@mutualis/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createScratchDatabase, prepareScratch, type ScratchDatabase } from '../support/scratch-db.ts';

let scratch: ScratchDatabase;
let db: Db;

beforeAll(async () => {
  scratch = await createScratchDatabase('mutualis_mig');
  db = createDb(scratch.url, { max: 1 });
});
afterAll(async () => {
  await db?.destroy();
  await scratch?.drop();
});

const migrationFiles = () => {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@mutualis/db')), 'migrations');
  return readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
};

/** What a migration run leaves in schema public: tables with their RLS flags and policies, functions, app grants. */
async function schemaSnapshot() {
  const tables = (await sql<{ name: string; rls: boolean; forced: boolean; policies: string[] | null }>`
    select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
           (select array_agg(p.polname || ': ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '') order by p.polname) from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`.execute(db)).rows;
  const functions = (await sql<{ name: string }>`
    select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by 1`.execute(db)).rows.map((r) => r.name);
  const appGrants = (await sql<{ grant: string }>`
    select table_name || ':' || privilege_type as grant from information_schema.role_table_grants
     where grantee = ${APP_ROLE} and table_schema = 'public' order by 1`.execute(db)).rows.map((r) => r.grant);
  return { tables, functions, appGrants };
}

it('applies every migration from nothing, reverts them all, and applies them again to the same schema', async () => {
  const files = migrationFiles();
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) expect(file, 'migration file name').toMatch(/^\d{4}_\d{2}_\d{2}_\d{4}_[a-z]+(_[a-z0-9]+)+$/);

  const first = await prepareScratch(scratch.url);
  expect(first.results?.map((r) => [r.migrationName, r.status])).toEqual(files.map((f) => [f, 'Success']));
  const up = await schemaSnapshot();
  expect(up.tables.map((t) => t.name)).toEqual(expect.arrayContaining(['members', 'users', 'audit_events', 'login_failures']));
  expect(up.appGrants).toContain('members:SELECT');
  expect(up.appGrants).not.toContain('audit_events:UPDATE');

  await migrateDownAll(scratch.url);
  const down = await schemaSnapshot();
  expect(down.tables.map((t) => t.name)).toEqual(['kysely_migration', 'kysely_migration_lock']);
  expect(down.functions).toEqual([]);
  expect((await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(db)).rows[0]!.n).toBe(0);

  const again = await migrateToLatest(scratch.url);
  expect(again.results?.map((r) => r.status)).toEqual(files.map(() => 'Success'));
  expect(await schemaSnapshot()).toEqual(up);

  // Up to date: a further run applies nothing.
  expect((await migrateToLatest(scratch.url)).results).toEqual([]);
}, 120_000);
