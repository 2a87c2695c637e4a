import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { FileMigrationProvider, Migrator, type MigrationResultSet } from 'kysely/migration';
import pg from 'pg';

/** The role that owns the schema (no login; BYPASSRLS only for the two pre-tenant auth functions). */
export const OWNER_ROLE = 'mutualis_owner';
/** The role the web and worker connect as: no superuser, no BYPASSRLS, owns nothing. */
export const APP_ROLE = 'mutualis_app';

const migrationFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

function adminDb(adminUrl: string, asOwner: boolean): Kysely<unknown> {
  const pool = new pg.Pool({ connectionString: adminUrl, max: 1, application_name: 'mutualis-migrate' });
  if (asOwner) pool.on('connect', (client) => void client.query(`set role ${OWNER_ROLE}`));
  return new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Creates the owner and application roles if missing, gives the owner the database's public
 * schema, and sets the application role's password. Needs a superuser (or a DBA) connection.
 */
export async function ensureRoles(adminUrl: string, appPassword: string): Promise<void> {
  const db = adminDb(adminUrl, false);
  try {
    const database = (await sql<{ db: string }>`select current_database() as db`.execute(db)).rows[0]!.db;
    await sql`do $$ begin
      if not exists (select from pg_roles where rolname = ${sql.lit(OWNER_ROLE)}) then
        create role ${sql.raw(OWNER_ROLE)} nologin bypassrls;
      end if;
      if not exists (select from pg_roles where rolname = ${sql.lit(APP_ROLE)}) then
        create role ${sql.raw(APP_ROLE)} login nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
      end if;
    end $$`.execute(db);
    await sql`alter role ${sql.raw(APP_ROLE)} with login nosuperuser nobypassrls password ${sql.lit(appPassword)}`.execute(db);
    await sql`grant create, connect on database ${sql.id(database)} to ${sql.raw(OWNER_ROLE)}`.execute(db);
    await sql`grant connect on database ${sql.id(database)} to ${sql.raw(APP_ROLE)}`.execute(db);
    await sql`grant all on schema public to ${sql.raw(OWNER_ROLE)}`.execute(db);
    // The superuser running this must be able to SET ROLE to the owner.
    await sql`grant ${sql.raw(OWNER_ROLE)} to current_user`.execute(db).catch(() => undefined);
  } finally {
    await db.destroy();
  }
}

/** Applies pending migrations as the owner role, then (re)grants the application role its rights. */
export async function migrateToLatest(adminUrl: string): Promise<MigrationResultSet> {
  const db = adminDb(adminUrl, true);
  try {
    const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
    const result = await migrator.migrateToLatest();
    if (result.error) throw result.error;
    await grantAppRole(db);
    return result;
  } finally {
    await db.destroy();
  }
}

/** Reverts every migration (used by the migration round-trip test). */
export async function migrateDownAll(adminUrl: string): Promise<void> {
  const db = adminDb(adminUrl, true);
  try {
    const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
    const { NO_MIGRATIONS } = await import('kysely/migration');
    const result = await migrator.migrateTo(NO_MIGRATIONS);
    if (result.error) throw result.error;
  } finally {
    await db.destroy();
  }
}

async function grantAppRole(db: Kysely<unknown>): Promise<void> {
  await sql`
    grant usage on schema public to ${sql.raw(APP_ROLE)};
    grant select, insert, update, delete on all tables in schema public to ${sql.raw(APP_ROLE)};
    revoke all on kysely_migration, kysely_migration_lock from ${sql.raw(APP_ROLE)};
    -- the audit trail is append-only for the application
    revoke update, delete, truncate on audit_events from ${sql.raw(APP_ROLE)};
    grant usage, select on all sequences in schema public to ${sql.raw(APP_ROLE)};
    grant execute on function auth_find_login(text), auth_find_session(bytea), auth_find_invitation(bytea) to ${sql.raw(APP_ROLE)};
    grant execute on function platform_syndicate_ids() to ${sql.raw(APP_ROLE)};
    grant execute on function oidc_find_client(text), oidc_find_account(uuid) to ${sql.raw(APP_ROLE)};
    grant execute on function directory_find_login(text) to ${sql.raw(APP_ROLE)};
    grant execute on function email_domains_routed_elsewhere(text[], uuid) to ${sql.raw(APP_ROLE)};
  `.execute(db);
}

/** The role the worker's provisioners use on the hosting cluster: makes databases and their roles, nothing more. */
export const HOSTING_ROLE = 'mutualis_hosting';

/**
 * Prepares a PostgreSQL cluster to host members' databases (the platform's own by default): the
 * hosting role (CREATEDB, CREATEROLE, no superuser), and no CONNECT for PUBLIC on the cluster's
 * maintenance and platform databases, so that a member's role connects to its own database only.
 * Returns the hosting role's URL. Needs a superuser connection.
 */
export async function ensureHostingRole(adminUrl: string, password: string): Promise<string> {
  const db = adminDb(adminUrl, false);
  try {
    await sql`do $$ begin
      if not exists (select from pg_roles where rolname = ${sql.lit(HOSTING_ROLE)}) then
        create role ${sql.raw(HOSTING_ROLE)} login createdb createrole nosuperuser nobypassrls;
      end if;
    end $$`.execute(db);
    await sql`alter role ${sql.raw(HOSTING_ROLE)} with login createdb createrole nosuperuser nobypassrls password ${sql.lit(password)}`.execute(db);
    const database = (await sql<{ db: string }>`select current_database() as db`.execute(db)).rows[0]!.db;
    for (const name of new Set(['postgres', database])) {
      await sql`revoke connect on database ${sql.id(name)} from public`.execute(db);
    }
    await sql`grant connect on database postgres to ${sql.raw(HOSTING_ROLE)}`.execute(db);
    await sql`grant connect on database ${sql.id(database)} to ${sql.raw(APP_ROLE)}, ${sql.raw(OWNER_ROLE)}`.execute(db);
  } finally {
    await db.destroy();
  }
  const url = new URL(adminUrl);
  url.username = HOSTING_ROLE;
  url.password = password;
  url.pathname = '/postgres';
  return url.toString();
}

/** The application role's URL: the admin URL with the app role's credentials. */
export function appDatabaseUrl(adminUrl: string, appPassword: string): string {
  const url = new URL(adminUrl);
  url.username = APP_ROLE;
  url.password = appPassword;
  return url.toString();
}
