import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { CheckResourcesInput, DailyUsageResult, ResourceCheck, ResourceKind, SubscriptionDecision } from '@mutualis/contracts';
import {
  activateSubscription, allSyndicateIds, auditResourceCheck, beginDeprovisioning, cancelSubscriptionRequest, endSubscription, keepSubscription,
  liveResources, markProvisioning, markProvisioningFailed, markResourceReady, markResourceRemoved, prepareResource, recordDecision,
  recordResourceCheck, recordSyndicateUsage, type PreparedResource, type SubscriptionStepInput,
} from '@mutualis/core';
import type { Db } from '@mutualis/db';
import {
  createAppEndpointProvisioner, createOidcClientProvisioner, ProvisionRefusedError, type Inspection, type PostgresDatabaseProvisioner,
} from '@mutualis/provisioners';
import { refusalsAreFinal } from './onboarding.activities.ts';

export interface SubscriptionDeps {
  db: Db;
  secretKey: string;
  /** the hosting cluster's provisioner (HOSTING_DATABASE_URL) */
  hosting: PostgresDatabaseProvisioner;
  /** instance addresses are https://<app>.<member>.<baseDomain> (HOSTING_BASE_DOMAIN) */
  baseDomain: string;
}

/**
 * Heartbeats every 5 s while `work` runs, so that a worker that dies mid-step is noticed within the
 * workflow's 20 s heartbeat timeout (and the step retried elsewhere), not at the end of the attempt.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  heartbeat();
  const timer = setInterval(() => heartbeat(), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** A resource as its provisioner names it, from what the platform recorded. */
interface ResourceRef { kind: ResourceKind; externalId: string; memberId: string; subscriptionId: string; syndicateId: string; hostname?: string; label?: string; secret?: string | null }

/**
 * The subscription activities: each resource step records the resource (name and secret, found
 * again on a retry), has its provisioner `ensure` it, then marks it ready; removal and inspection
 * go through the same provisioners. Secrets never leave the activity: the workflow (and so
 * Temporal's history) only sees names and states.
 */
export function createSubscriptionActivities({ db, secretKey, hosting, baseDomain }: SubscriptionDeps) {
  const oidc = createOidcClientProvisioner(db);
  const endpoints = createAppEndpointProvisioner(db);

  const oidcSpec = (r: ResourceRef) => ({
    syndicateId: r.syndicateId, memberId: r.memberId, subscriptionId: r.subscriptionId, clientId: r.externalId, name: r.label ?? r.externalId,
    redirectUris: [`https://${r.hostname}/oidc/callback`], postLogoutRedirectUris: [`https://${r.hostname}/`],
    backchannelLogoutUri: `https://${r.hostname}/oidc/backchannel-logout`, ...(r.secret ? { secret: r.secret } : {}),
  });

  /** Makes (or finds made) one resource; returns what the DSI may see. */
  async function ensure(r: ResourceRef): Promise<Record<string, unknown>> {
    switch (r.kind) {
      case 'postgres-database': {
        const made = await hosting.ensure({ name: r.externalId, ...(r.secret ? { password: r.secret } : {}) });
        return { ...made };
      }
      case 'oidc-client': {
        const made = await oidc.ensure(oidcSpec(r));
        return { clientId: made.clientId, redirectUris: made.redirectUris };
      }
      case 'app-endpoint': {
        const made = await endpoints.ensure({ syndicateId: r.syndicateId, memberId: r.memberId, subscriptionId: r.subscriptionId, hostname: r.externalId });
        return { url: made.url, hostname: made.hostname };
      }
    }
  }

  function inspect(r: ResourceRef): Promise<Inspection> {
    switch (r.kind) {
      case 'postgres-database': return hosting.inspect({ name: r.externalId });
      case 'oidc-client': return oidc.inspect(oidcSpec(r));
      case 'app-endpoint': return endpoints.inspect({ syndicateId: r.syndicateId, memberId: r.memberId, subscriptionId: r.subscriptionId, hostname: r.externalId });
    }
  }

  function remove(r: ResourceRef): Promise<void> {
    switch (r.kind) {
      case 'postgres-database': return hosting.remove({ name: r.externalId });
      case 'oidc-client': return oidc.remove(oidcSpec(r));
      case 'app-endpoint': return endpoints.remove({ syndicateId: r.syndicateId, memberId: r.memberId, subscriptionId: r.subscriptionId, hostname: r.externalId });
    }
  }

  const refOf = (a: { syndicateId: string; subscriptionId: string }, p: PreparedResource): ResourceRef => ({
    kind: p.kind, externalId: p.externalId, memberId: p.memberId, subscriptionId: a.subscriptionId, syndicateId: a.syndicateId, hostname: p.hostname, label: p.label, secret: p.secret,
  });

  /** A provisioner's refusal (a name taken…) is final: the run removes what was made and waits for a person. */
  async function provisionerRefusalsAreFinal<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProvisionRefusedError) throw ApplicationFailure.nonRetryable(error.message, 'StepRefused');
      throw error;
    }
  }

  return {
    recordSubscriptionDecision: (a: SubscriptionStepInput & { decision: SubscriptionDecision }) => refusalsAreFinal(() => recordDecision(db, a)),
    markSubscriptionProvisioning: (a: SubscriptionStepInput) => markProvisioning(db, a),
    markSubscriptionFailed: (a: SubscriptionStepInput & { error: string }) => markProvisioningFailed(db, a),

    /** One step of the recipe. Idempotent: a retry (or a worker killed half-way) finds the same name and secret. */
    provisionResource: (a: SubscriptionStepInput & { key: string; kind: ResourceKind }) => heartbeating(() => refusalsAreFinal(() => provisionerRefusalsAreFinal(async () => {
      const prepared = await prepareResource(db, { ...a, secretKey, baseDomain });
      const details = await ensure(refOf(a, prepared));
      await markResourceReady(db, { syndicateId: a.syndicateId, resourceId: prepared.resourceId, details });
      return { externalId: prepared.externalId, url: typeof details.url === 'string' ? details.url : null };
    }))),

    /** Removes every resource of the subscription that still exists, newest first. Idempotent. */
    removeSubscriptionResources: (a: SubscriptionStepInput) => heartbeating(async () => {
      const removed: string[] = [];
      for (const r of await liveResources(db, a)) {
        await remove({ ...r, syndicateId: a.syndicateId });
        await markResourceRemoved(db, { syndicateId: a.syndicateId, resourceId: r.id });
        removed.push(r.key);
      }
      return { removed };
    }),

    activateSubscription: (a: SubscriptionStepInput) => refusalsAreFinal(() => activateSubscription(db, a)),
    cancelSubscriptionRequest: (a: SubscriptionStepInput & { cancelledBy: string | null }) => cancelSubscriptionRequest(db, a),
    beginDeprovisioning: (a: SubscriptionStepInput & { graceUntil: string }) => refusalsAreFinal(() => beginDeprovisioning(db, a)),
    keepSubscription: (a: SubscriptionStepInput & { cancelledBy: string | null }) => keepSubscription(db, a),
    endSubscription: (a: SubscriptionStepInput) => endSubscription(db, a),

    /** "Vérifier": inspects each resource and records its state; with `repair`, remakes what drifted (a new secret if the old one is gone). */
    checkSubscriptionResources: async (a: CheckResourcesInput): Promise<ResourceCheck[]> => {
      const checks: ResourceCheck[] = [];
      const step = { ...a, workflowId: `check:${a.subscriptionId}` };
      for (const r of (await liveResources(db, a)).reverse()) {
        let prepared = await prepareResource(db, { ...step, key: r.key, kind: r.kind, secretKey, baseDomain });
        const inspection = await inspect(refOf(a, prepared));
        let repaired = false;
        if (a.repair && inspection.problems.length > 0) {
          // A database or client that is gone needs a new secret (the old one was shown once, then erased).
          if (!inspection.exists && !prepared.secret && r.kind !== 'app-endpoint') {
            prepared = await prepareResource(db, { ...step, key: r.key, kind: r.kind, secretKey, baseDomain, rotateSecret: true });
          }
          const details = await ensure(refOf(a, prepared));
          await markResourceReady(db, { syndicateId: a.syndicateId, resourceId: prepared.resourceId, details });
          repaired = true;
        } else {
          await recordResourceCheck(db, { syndicateId: a.syndicateId, resourceId: r.id, problems: inspection.problems });
        }
        checks.push({
          resourceId: r.id, key: r.key, kind: r.kind, state: repaired || inspection.problems.length === 0 ? 'ready' : 'drifted',
          problem: inspection.problems.length > 0 ? inspection.problems.join(' ') : null, repaired,
        });
      }
      await auditResourceCheck(db, { ...a, checks });
      return checks;
    },

    /** The metering run: every syndicate in turn, heartbeating as it goes. */
    recordDailyUsage: async ({ day }: { day: string }): Promise<DailyUsageResult> => {
      const result: DailyUsageResult = { day, syndicates: 0, subscriptions: 0, records: 0 };
      for (const syndicateId of await allSyndicateIds(db)) {
        const r = await recordSyndicateUsage(db, { syndicateId, day, sizeOf: (name) => hosting.sizeOf(name) });
        result.syndicates += 1;
        result.subscriptions += r.subscriptions;
        result.records += r.records;
        heartbeat(result);
      }
      return result;
    },
  };
}
