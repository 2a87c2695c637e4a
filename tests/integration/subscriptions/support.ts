import pg from 'pg';
import type { WorkflowProgress } from '@mutualis/contracts';
import { sql } from '@mutualis/db';
import { superuserDb } from '../../support/db.ts';
import { testEnv } from '../../support/env.ts';

export const stateOf = (p: WorkflowProgress, key: string) => p.steps.find((s) => s.key === key)?.state;

/** What exists of a subscription, read as the superuser: its rows, and its databases and roles on the hosting cluster. */
export async function footprint(subscriptionId: string) {
  const db = superuserDb();
  const prefix = `m_${subscriptionId.replace(/-/g, '').slice(0, 16)}_`;
  const [sub, resources, clients, endpoints, databases, roles, periods] = await Promise.all([
    db.selectFrom('subscriptions').select(['status', 'decisionReason', 'graceUntil', 'activatedAt', 'endedAt']).where('id', '=', subscriptionId).executeTakeFirst(),
    db.selectFrom('resources').select(['key', 'kind', 'state', 'externalId', 'secretCiphertext', 'problem']).where('subscriptionId', '=', subscriptionId).orderBy('createdAt').execute(),
    db.selectFrom('oidcClients').select(['clientId', 'memberId', 'redirectUris', 'secretHash']).where('subscriptionId', '=', subscriptionId).execute(),
    db.selectFrom('appEndpoints').select(['hostname', 'url', 'monitorState']).where('subscriptionId', '=', subscriptionId).execute(),
    sql<{ datname: string }>`select datname from pg_database where datname like ${prefix + '%'}`.execute(db),
    sql<{ rolname: string }>`select rolname from pg_roles where rolname like ${prefix + '%'}`.execute(db),
    db.selectFrom('subscriptionPeriods').select(['startsOn', 'endsOn', 'planId', 'seats']).where('subscriptionId', '=', subscriptionId).orderBy('startsOn').execute(),
  ]);
  return { sub, resources, clients, endpoints, databases: databases.rows.map((r) => r.datname), roles: roles.rows.map((r) => r.rolname), periods };
}

/** Connects to a hosted database with its own credentials; true when the connection works. */
export async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A database's connection URL from its revealed secret values. */
export const revealedUrl = (values: Array<{ name: string; value: string }>) => {
  const url = new URL(values.find((v) => v.name === 'URL de connexion')!.value);
  // The hosting cluster's address as the tests reach it.
  const hosting = new URL(testEnv().hostingDatabaseUrl);
  url.hostname = hosting.hostname;
  url.port = hosting.port;
  return url.toString();
};

/** An offering of the tenant's own with the given recipe (one plan, 100 € a year), for tests that need a recipe of their choosing. */
export async function addOffering(syndicateId: string, slug: string, recipe: Array<{ key: string; kind: string }>, requiresApproval = false) {
  const owner = superuserDb();
  const offering = await owner.insertInto('offerings').values({
    syndicateId, slug, kind: 'application', nameFr: `Service ${slug}`, nameEn: `Service ${slug}`, descriptionFr: 'Service de test.',
    descriptionEn: 'Test service.', requiresApproval, isDefault: false, recipe: JSON.stringify(recipe),
  }).returning('id').executeTakeFirstOrThrow();
  const plan = await owner.insertInto('offeringPlans').values({ syndicateId, offeringId: offering.id, code: 'std', nameFr: 'Standard', nameEn: 'Standard' }).returning('id').executeTakeFirstOrThrow();
  await owner.insertInto('planPrices').values({ syndicateId, planId: plan.id, effectiveFrom: '2026-01-01', annualFixedCents: 10_000, perUserCents: 0, perGbCents: 0, perInhabitantCents: 0 }).execute();
  return { offeringId: offering.id, planId: plan.id };
}

export const FULL_RECIPE = [{ key: 'database', kind: 'postgres-database' }, { key: 'sso', kind: 'oidc-client' }, { key: 'endpoint', kind: 'app-endpoint' }];
