import pg from 'pg';
import type { Inspection, Provisioner } from '../provisioner.ts';

/**
 * A dedicated database and login role per resource on the hosting cluster (HOSTING_DATABASE_URL,
 * a role with CREATEDB and CREATEROLE, no superuser). The role owns its database; CONNECT is
 * revoked from PUBLIC on it, so no other member's role can connect there, and the cluster's own
 * databases have PUBLIC CONNECT revoked by the platform's setup (ensureHostingRole).
 */
export interface DatabaseSpec {
  /** database and role name: lower-case letters, digits and `_`, at most 63 characters */
  name: string;
  /** the role's password; when absent, an existing role keeps the one it has */
  password?: string;
}

export interface MadeDatabase { host: string; port: number; database: string; user: string }

const NAME = /^[a-z_][a-z0-9_]{1,62}$/;

export interface PostgresDatabaseProvisioner extends Provisioner<DatabaseSpec, MadeDatabase> {
  /** bytes on disk, null when the database does not exist */
  sizeOf(name: string): Promise<number | null>;
  /** the URL a member's application connects with */
  connectionUrl(name: string, password: string): string;
  close(): Promise<void>;
}

export function createPostgresDatabaseProvisioner(hostingUrl: string): PostgresDatabaseProvisioner {
  const pool = new pg.Pool({ connectionString: hostingUrl, max: 2, application_name: 'mutualis-provisioner' });
  const url = new URL(hostingUrl);
  const host = url.hostname;
  const port = Number(url.port || 5432);
  const checkName = (name: string) => {
    if (!NAME.test(name)) throw new Error(`Invalid database name: ${name}`);
    return name;
  };
  const errorCode = (error: unknown) => (error as { code?: string }).code;
  /** Ends the per-name lock; a connection that cannot is closed rather than reused (its lock goes with it). */
  const unlockAndRelease = async (client: pg.PoolClient, name: string) => {
    const unlocked = await client.query('select pg_advisory_unlock(hashtext($1))', [`mutualis-hosting:${name}`]).then(() => true, () => false);
    client.release(!unlocked);
  };

  return {
    async ensure({ name, password }) {
      checkName(name);
      const client = await pool.connect();
      // One ensure or remove at a time per name, across workers: concurrent ALTER ROLEs on the same
      // role fail with "tuple concurrently updated".
      await client.query('select pg_advisory_lock(hashtext($1))', [`mutualis-hosting:${name}`]);
      try {
        const id = client.escapeIdentifier(name);
        const role = await client.query('select 1 from pg_roles where rolname = $1', [name]);
        if (role.rowCount === 0) {
          if (!password) throw new Error(`The role ${name} does not exist and no password was given to create it.`);
          try {
            await client.query(`create role ${id} login password ${client.escapeLiteral(password)} nosuperuser nocreatedb nocreaterole noinherit nobypassrls connection limit 50`);
          } catch (error) {
            if (errorCode(error) !== '42710') throw error; // made by a concurrent attempt
          }
        }
        if (password) await client.query(`alter role ${id} with login password ${client.escapeLiteral(password)}`);
        // The hosting role acts as the new role's owner (to create its database, later to drop it).
        const member = await client.query('select pg_has_role(current_user, $1, \'USAGE\') as ok', [name]);
        if (!member.rows[0].ok) await client.query(`grant ${id} to current_user`);
        const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
        if (exists.rowCount === 0) {
          try {
            await client.query(`create database ${id} owner ${id} encoding 'UTF8' template template0`);
          } catch (error) {
            if (errorCode(error) !== '42P04') throw error; // made by a concurrent attempt
          }
        }
        await client.query(`revoke all on database ${id} from public`);
        await client.query(`grant connect, create, temporary on database ${id} to ${id}`);
        return { host, port, database: name, user: name };
      } finally {
        await unlockAndRelease(client, name);
      }
    },

    async inspect({ name }): Promise<Inspection> {
      checkName(name);
      const { rows } = await pool.query<{ db: boolean; role: boolean; can_login: boolean | null; owner: string | null; public_connect: boolean | null }>(`
        select exists (select 1 from pg_database where datname = $1) as db,
               exists (select 1 from pg_roles where rolname = $1) as role,
               (select rolcanlogin from pg_roles where rolname = $1) as can_login,
               (select pg_get_userbyid(datdba) from pg_database where datname = $1) as owner,
               (select coalesce((select bool_or(a.grantee = 0 and a.privilege_type = 'CONNECT') from aclexplode(d.datacl) a), true)
                  from pg_database d where d.datname = $1) as public_connect`, [name]);
      const r = rows[0]!;
      const problems: string[] = [];
      if (!r.db) problems.push(`La base de données ${name} n'existe plus sur le serveur d'hébergement.`);
      if (!r.role) problems.push(`Le compte de connexion ${name} n'existe plus.`);
      else if (!r.can_login) problems.push(`Le compte de connexion ${name} ne peut plus se connecter.`);
      if (r.db && r.owner !== name) problems.push(`La base ${name} appartient à ${r.owner}, pas à son compte ${name}.`);
      if (r.db && r.public_connect) problems.push(`La base ${name} accepte les connexions de tous les comptes du serveur.`);
      return { exists: r.db && r.role, problems };
    },

    async remove({ name }) {
      checkName(name);
      const client = await pool.connect();
      await client.query('select pg_advisory_lock(hashtext($1))', [`mutualis-hosting:${name}`]);
      try {
        const id = client.escapeIdentifier(name);
        // FORCE ends the member application's open connections first.
        await client.query(`drop database if exists ${id} with (force)`);
        await client.query(`drop role if exists ${id}`);
      } finally {
        await unlockAndRelease(client, name);
      }
    },

    async sizeOf(name) {
      try {
        const { rows } = await pool.query<{ size: string | null }>('select case when exists (select 1 from pg_database where datname = $1) then pg_database_size($1)::text end as size', [name]);
        return rows[0]?.size == null ? null : Number(rows[0].size);
      } catch (error) {
        // Dropped between the check and the measure: it has no size any more.
        if (errorCode(error) === '3D000') return null;
        throw error;
      }
    },

    connectionUrl(name, password) {
      const target = new URL(hostingUrl);
      target.username = name;
      target.password = password;
      target.pathname = `/${name}`;
      target.search = '';
      return target.toString();
    },

    close: () => pool.end(),
  };
}
