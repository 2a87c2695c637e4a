/**
 * The postgres-database provisioner against the real hosting cluster (the test stack's PostgreSQL,
 * through the hosting role): a database and its own login role; the role connects there and is
 * refused by every other database; `inspect` sees drift; `remove` leaves nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabaseProvisioner } from '@mutualis/provisioners';
import { closeDbs, superuserDb } from '../../support/db.ts';
import { testEnv } from '../../support/env.ts';
import { sql } from '@mutualis/db';

const hosting = createPostgresDatabaseProvisioner(testEnv().hostingDatabaseUrl);
afterAll(async () => {
  await hosting.close();
  await closeDbs();
});

const newName = () => `m_test_${randomBytes(6).toString('hex')}`;
const password = () => randomBytes(24).toString('base64url');

/** Connects with `url` to `database` and runs `select current_user`; the error code when refused. */
async function tryConnect(url: string, database?: string): Promise<{ user: string } | { refused: string }> {
  const target = new URL(url);
  if (database) target.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ user: string }>('select current_user as user');
    return { user: rows[0]!.user };
  } catch (error) {
    return { refused: (error as { code?: string }).code ?? String(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

async function clusterHas(name: string) {
  const db = superuserDb();
  const [database, role] = await Promise.all([
    sql<{ n: number }>`select count(*)::int as n from pg_database where datname = ${name}`.execute(db),
    sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${name}`.execute(db),
  ]);
  return { database: database.rows[0]!.n, role: role.rows[0]!.n };
}

describe('postgres-database provisioner', () => {
  it('makes a database owned by its own role, which connects to it and nowhere else', async () => {
    const name = newName();
    const other = newName();
    const secret = password();
    const made = await hosting.ensure({ name, password: secret });
    await hosting.ensure({ name: other, password: password() });
    expect(made).toMatchObject({ database: name, user: name });
    expect(await clusterHas(name)).toEqual({ database: 1, role: 1 });

    const url = hosting.connectionUrl(name, secret);
    expect(await tryConnect(url)).toEqual({ user: name });
    // The role can use its database fully.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('create table notes (id serial primary key, body text)');
    await client.query("insert into notes (body) values ('conseil municipal')");
    expect((await client.query('select count(*)::int as n from notes')).rows[0].n).toBe(1);
    await client.end();

    // Refused: the platform's database, the cluster's maintenance database, another member's database.
    const platform = new URL(testEnv().databaseUrl).pathname.slice(1);
    for (const elsewhere of [platform, 'postgres', other]) {
      expect(await tryConnect(url, elsewhere), `connecting as ${name} to ${elsewhere}`).toEqual({ refused: '42501' });
    }
    // And a wrong password is refused on its own database.
    expect(await tryConnect(hosting.connectionUrl(name, 'not-the-password'))).toEqual({ refused: '28P01' });
    await hosting.remove({ name });
    await hosting.remove({ name: other });
  });

  it('ensure is idempotent: again with the same spec (a retry after a crash) changes nothing and fails nothing', async () => {
    const name = newName();
    const secret = password();
    await hosting.ensure({ name, password: secret });
    await expect(hosting.ensure({ name, password: secret })).resolves.toMatchObject({ database: name });
    // Concurrent attempts (two workers picking the same step) end with one database too.
    await Promise.all([hosting.ensure({ name, password: secret }), hosting.ensure({ name, password: secret })]);
    expect(await clusterHas(name)).toEqual({ database: 1, role: 1 });
    expect(await tryConnect(hosting.connectionUrl(name, secret))).toEqual({ user: name });
    expect(await hosting.sizeOf(name)).toBeGreaterThan(1_000_000);
    await hosting.remove({ name });
  });

  it('inspect reports a database dropped behind our back, and ensure repairs it', async () => {
    const name = newName();
    const secret = password();
    await hosting.ensure({ name, password: secret });
    expect(await hosting.inspect({ name })).toEqual({ exists: true, problems: [] });
    await sql`drop database ${sql.id(name)}`.execute(superuserDb());
    const drifted = await hosting.inspect({ name });
    expect(drifted.exists).toBe(false);
    expect(drifted.problems).toEqual([`La base de données ${name} n'existe plus sur le serveur d'hébergement.`]);
    // The role still exists with its password: ensure without one remakes the database only.
    await hosting.ensure({ name });
    expect(await hosting.inspect({ name })).toEqual({ exists: true, problems: [] });
    expect(await tryConnect(hosting.connectionUrl(name, secret))).toEqual({ user: name });
    await hosting.remove({ name });
  });

  it('remove leaves nothing: no database, no role, even with the member application connected; and again is a no-op', async () => {
    const name = newName();
    const secret = password();
    await hosting.ensure({ name, password: secret });
    const connected = new pg.Client({ connectionString: hosting.connectionUrl(name, secret) });
    connected.on('error', () => {});
    await connected.connect();
    await hosting.remove({ name });
    expect(await clusterHas(name)).toEqual({ database: 0, role: 0 });
    expect(await hosting.inspect({ name })).toMatchObject({ exists: false });
    expect(await hosting.sizeOf(name)).toBeNull();
    await expect(hosting.remove({ name })).resolves.toBeUndefined();
    await connected.end().catch(() => {});
  });

  it('refuses a name that is not a plain identifier (no SQL reaches the cluster)', async () => {
    await expect(hosting.ensure({ name: 'x"; drop database postgres; --', password: 'p' })).rejects.toThrow('Invalid database name');
  });
});
