import { createDb, OWNER_ROLE, type Db } from '@mutualis/db';
import { testEnv } from './env.ts';

const open: Db[] = [];
let app: Db | undefined;
let owner: Db | undefined;
let superuser: Db | undefined;

function track(db: Db): Db {
  open.push(db);
  return db;
}

/** The database as the application sees it: the non-superuser role, subject to row-level security. */
export function appDb(): Db {
  app ??= track(createDb(testEnv().appDatabaseUrl, { max: 10, applicationName: 'mutualis-tests-app' }));
  return app;
}

/** The schema owner (BYPASSRLS): for arranging fixtures and reading what the application wrote. */
export function ownerDb(): Db {
  owner ??= track(createDb(testEnv().databaseUrl, { max: 4, setRole: OWNER_ROLE, applicationName: 'mutualis-tests-owner' }));
  return owner;
}

/** The superuser itself, for what even the owner may not do (tampering with the audit trail, catalog checks). */
export function superuserDb(): Db {
  superuser ??= track(createDb(testEnv().databaseUrl, { max: 2, applicationName: 'mutualis-tests-superuser' }));
  return superuser;
}

/** A separate pool of the application role, e.g. with more connections for concurrency tests. */
export function newAppDb(max: number): Db {
  return track(createDb(testEnv().appDatabaseUrl, { max, applicationName: 'mutualis-tests-app' }));
}

/** Closes every pool this test file opened (call in afterAll). */
export async function closeDbs(): Promise<void> {
  const all = open.splice(0);
  app = owner = superuser = undefined;
  await Promise.all(all.map((db) => db.destroy()));
}
