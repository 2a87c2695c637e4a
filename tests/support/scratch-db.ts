import { randomBytes } from 'node:crypto';
import type { RawBuilder } from 'kysely';
import { createDb, ensureRoles, migrateToLatest, sql } from '@mutualis/db';
import { appRolePassword, testEnv } from './env.ts';

export interface ScratchDatabase { name: string; url: string; drop(): Promise<void> }

async function onServer(statement: RawBuilder<unknown>): Promise<void> {
  const server = createDb(testEnv().databaseUrl, { max: 1, applicationName: 'mutualis-tests-scratch' });
  try { await statement.execute(server); } finally { await server.destroy(); }
}

/**
 * A new, empty database on the test server (prefix mutualis_mig or mutualis_seed plus a random
 * suffix), for tests that must migrate or seed from nothing. Drop it in afterAll.
 */
export async function createScratchDatabase(prefix: 'mutualis_mig' | 'mutualis_seed'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer(sql`create database ${sql.id(name)}`);
  const url = new URL(testEnv().databaseUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => onServer(sql`drop database if exists ${sql.id(name)} with (force)`) };
}

/**
 * Roles and migrations, as the stack prepares a database. The roles are cluster-wide: the
 * application role keeps the password of APP_DATABASE_URL, or every other test would lose it.
 */
export async function prepareScratch(url: string) {
  await ensureRoles(url, appRolePassword());
  return migrateToLatest(url);
}
