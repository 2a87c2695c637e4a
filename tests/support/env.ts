/**
 * The settings integration tests get from the test stack (infra/stack/test.ts). Read lazily, so
 * a file that does not need them (a unit test) never fails on them; a missing one fails with
 * the name of the variable and how to get it.
 */
export interface TestEnv {
  /** Superuser URL of a fresh, migrated test database. */
  databaseUrl: string;
  /** URL of the non-superuser application role (mutualis_app) on the same database. */
  appDatabaseUrl: string;
  /** URL of the hosting role (CREATEDB, CREATEROLE) on the cluster that hosts members' databases. */
  hostingDatabaseUrl: string;
  /** host:port of a real Temporal server. */
  temporalAddress: string;
  temporalNamespace: string;
}

const HELP: Record<string, string> = {
  DATABASE_URL: 'the superuser postgres:// URL of a migrated test database',
  APP_DATABASE_URL: 'the postgres:// URL of the application role mutualis_app on that database',
  HOSTING_DATABASE_URL: 'the postgres:// URL of the hosting role mutualis_hosting (members\' databases)',
  TEMPORAL_ADDRESS: 'host:port of a Temporal server (namespace "default")',
};

let cached: TestEnv | undefined;

export function testEnv(): TestEnv {
  if (cached) return cached;
  const missing = Object.keys(HELP).filter((name) => !process.env[name]);
  if (missing.length > 0) {
    const lines = missing.map((name) => `  ${name}: ${HELP[name]}`).join('\n');
    throw new Error(`Integration tests need these settings, which \`npm test\` provides:\n${lines}`);
  }
  cached = {
    databaseUrl: process.env.DATABASE_URL!,
    appDatabaseUrl: process.env.APP_DATABASE_URL!,
    hostingDatabaseUrl: process.env.HOSTING_DATABASE_URL!,
    temporalAddress: process.env.TEMPORAL_ADDRESS!,
    temporalNamespace: process.env.TEMPORAL_NAMESPACE || 'default',
  };
  return cached;
}

/** The application role's password, which any scratch database must keep (the role is cluster-wide). */
export function appRolePassword(): string {
  return decodeURIComponent(new URL(testEnv().appDatabaseUrl).password);
}
