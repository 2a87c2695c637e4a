import { appDatabaseUrl, createDb, ensureHostingRole, ensureRoles, migrateToLatest, OWNER_ROLE } from '@mutualis/db';
import { seedDemo } from '@mutualis/core/seed';
import { log } from './services.ts';

/**
 * Roles, migrations and (optionally) the demo seed; returns the application role's URL and the
 * hosting cluster's (HOSTING_DATABASE_URL, else the hosting role on this same cluster).
 */
export async function prepareDatabase(adminUrl: string, passwords: { app: string; hosting: string }, seed: boolean) {
  await ensureRoles(adminUrl, passwords.app);
  const { results } = await migrateToLatest(adminUrl);
  const applied = results?.filter((r) => r.status === 'Success').length ?? 0;
  log(`Database: ${applied} migration(s) applied, schema up to date`);
  let demo: Awaited<ReturnType<typeof seedDemo>> | null = null;
  if (seed) {
    const owner = createDb(adminUrl, { max: 2, setRole: OWNER_ROLE, applicationName: 'mutualis-seed' });
    try { demo = await seedDemo(owner); } finally { await owner.destroy(); }
    log('Database: demo data loaded');
  }
  const hostingUrl = process.env.HOSTING_DATABASE_URL ?? await ensureHostingRole(adminUrl, passwords.hosting);
  return { appUrl: process.env.APP_DATABASE_URL ?? appDatabaseUrl(adminUrl, passwords.app), hostingUrl, demo };
}
