/**
 * The database side of the subscription workflows' steps, as the worker's activities run them
 * around the provisioners. Each is idempotent: a state change is keyed by `<workflowId>:<step>`
 * (`once`) or guarded by the state it moves from; a resource row is found again by
 * (subscription, key) with the same name and secret, so a retried step never makes a second one.
 */
import { randomUUID } from 'node:crypto';
import {
  CURRENT_SUBSCRIPTION_STATUSES, provisionSubscriptionWorkflowName, provisionWorkflowId,
  type ProvisionSubscriptionInput, type ResourceKind, type SubscriptionDecision,
} from '@mutualis/contracts';
import { sql, withTenant, type Db, type Tx } from '@mutualis/db';
import { appendAudit } from '../audit/audit.service.ts';
import { once } from '../effects.ts';
import { normaliseSearch } from '../members/member.service.ts';
import { StepRefusedError } from '../onboarding/onboarding.steps.ts';
import { parisToday } from '../onboarding/onboarding.service.ts';
import { referenceCommunes } from '../reference/communes.reference.ts';
import { decryptSecret, encryptSecret, randomSecret } from '../secrets/secret-box.ts';

export interface SubscriptionStepInput {
  subscriptionId: string;
  syndicateId: string;
  memberId: string;
  requestedBy: { userId: string; ip: string | null };
  workflowId: string;
}

const inSyndicate = <T>(db: Db, syndicateId: string, fn: (tx: Tx) => Promise<T>) => withTenant(db, { syndicateId, memberIds: null }, fn);

const audit = (tx: Tx, input: SubscriptionStepInput, action: string, after: unknown, actorUserId: string | null = input.requestedBy.userId, ip = input.requestedBy.ip) => appendAudit(tx, {
  syndicateId: input.syndicateId, memberId: input.memberId, actorUserId, action, subjectType: 'Subscription', subjectId: input.subscriptionId, after, ip,
});

async function subscriptionOf(tx: Tx, id: string) {
  const row = await tx.selectFrom('subscriptions').innerJoin('offerings', 'offerings.id', 'subscriptions.offeringId')
    .innerJoin('members', 'members.id', 'subscriptions.memberId')
    .select(['subscriptions.id', 'subscriptions.status', 'subscriptions.memberId', 'subscriptions.planId', 'subscriptions.seats', 'subscriptions.storageGb',
      'offerings.slug', 'offerings.nameFr as offeringName', 'members.name as memberName', 'members.kind as memberKind', 'members.inseeCode'])
    .where('subscriptions.id', '=', id).forUpdate(['subscriptions']).executeTakeFirst();
  // Retryable: the request's transaction commits just after it starts the run, which may be first.
  if (!row) throw new Error("Cet abonnement est introuvable (pas encore enregistré, ou supprimé) : le déroulement ne peut pas continuer.");
  return row;
}

let ambiguous: Set<string> | null = null;
/** The member's part of instance addresses: its name as a DNS label, with the INSEE code for a commune whose name is not unique in France. */
export function memberSlug(member: { memberName: string; memberKind: string; inseeCode: string | null }): string {
  const slug = (s: string) => normaliseSearch(s).replace(/ /g, '-').slice(0, 40).replace(/-+$/, '');
  if (!ambiguous) {
    const seen = new Set<string>();
    ambiguous = new Set();
    for (const c of referenceCommunes().values()) {
      const s = slug(c.name);
      if (seen.has(s)) ambiguous.add(s);
      seen.add(s);
    }
  }
  const base = slug(member.memberName) || 'membre';
  return member.memberKind === 'commune' && member.inseeCode && ambiguous.has(base) ? `${base}-${member.inseeCode.toLowerCase()}` : base;
}

/** What a provisioner needs to make one resource of a subscription (the secret never leaves the worker). */
export interface PreparedResource {
  resourceId: string;
  memberId: string;
  kind: ResourceKind;
  externalId: string;
  /** the instance's host name (every resource of a subscription shares it) */
  hostname: string;
  /** a label for the instance: offering and member */
  label: string;
  /** the password or client secret to make it with; null when it keeps the one it has */
  secret: string | null;
}

const NEEDS_SECRET: ReadonlySet<ResourceKind> = new Set(['postgres-database', 'oidc-client']);

/**
 * Finds or records the resource `key` of a subscription, with its name (derived from the
 * subscription, so always the same) and, for a database or an OIDC client, a random secret kept
 * encrypted until the DSI has seen it. A removed resource made again, or `rotateSecret` (repairing
 * a resource whose secret is lost), gets a new secret.
 */
export function prepareResource(db: Db, input: SubscriptionStepInput & { key: string; kind: ResourceKind; secretKey: string; baseDomain: string; rotateSecret?: boolean }): Promise<PreparedResource> {
  return inSyndicate(db, input.syndicateId, async (tx) => {
    const sub = await subscriptionOf(tx, input.subscriptionId);
    const compact = sub.id.replace(/-/g, '');
    const hostname = `${sub.slug}.${memberSlug(sub)}.${input.baseDomain}`;
    const externalId = input.kind === 'postgres-database' ? `m_${compact.slice(0, 16)}_${input.key.toLowerCase()}`.slice(0, 63)
      : input.kind === 'oidc-client' ? `${sub.slug}-${memberSlug(sub)}-${compact.slice(0, 8)}`.slice(0, 100)
      : hostname;
    const label = `${sub.offeringName} — ${sub.memberName}`;
    let row = await tx.selectFrom('resources').selectAll().where('subscriptionId', '=', sub.id).where('key', '=', input.key).forUpdate().executeTakeFirst();
    const fresh = NEEDS_SECRET.has(input.kind) ? randomSecret() : null;
    if (!row) {
      const id = randomUUID();
      row = await tx.insertInto('resources').values({
        id, syndicateId: input.syndicateId, memberId: sub.memberId, subscriptionId: sub.id, key: input.key, kind: input.kind, externalId, state: 'provisioning',
        details: JSON.stringify({}), secretCiphertext: fresh ? encryptSecret(input.secretKey, fresh, id) : null,
      }).returningAll().executeTakeFirstOrThrow();
      return { resourceId: id, memberId: sub.memberId, kind: input.kind, externalId, hostname, label, secret: fresh };
    }
    if (row.state === 'removed' || input.rotateSecret) {
      await tx.updateTable('resources').set({
        state: row.state === 'removed' ? 'provisioning' : row.state, removedAt: null, externalId, updatedAt: new Date(),
        secretCiphertext: fresh ? encryptSecret(input.secretKey, fresh, row.id) : null, secretRevealedAt: null,
      }).where('id', '=', row.id).execute();
      return { resourceId: row.id, memberId: sub.memberId, kind: input.kind, externalId, hostname, label, secret: fresh };
    }
    const secret = row.secretCiphertext ? decryptSecret(input.secretKey, row.secretCiphertext, row.id) : null;
    return { resourceId: row.id, memberId: sub.memberId, kind: input.kind, externalId: row.externalId, hostname, label, secret };
  });
}

/** The resource exists as its provisioner made it; `details` is what the DSI may see. */
export function markResourceReady(db: Db, input: { syndicateId: string; resourceId: string; details: Record<string, unknown> }): Promise<void> {
  return inSyndicate(db, input.syndicateId, async (tx) => {
    await tx.updateTable('resources').set({ state: 'ready', details: JSON.stringify(input.details), problem: null, checkedAt: new Date(), updatedAt: new Date() })
      .where('id', '=', input.resourceId).execute();
  });
}

/** A resource's own record after an inspection: ready, or drifted with what is wrong. */
export function recordResourceCheck(db: Db, input: { syndicateId: string; resourceId: string; problems: string[] }): Promise<void> {
  return inSyndicate(db, input.syndicateId, async (tx) => {
    await tx.updateTable('resources').set({
      state: input.problems.length === 0 ? 'ready' : 'drifted', problem: input.problems.length === 0 ? null : input.problems.join(' '), checkedAt: new Date(), updatedAt: new Date(),
    }).where('id', '=', input.resourceId).where('state', '<>', 'removed').execute();
  });
}

/** The resources of a subscription that still exist, newest first (the order to remove them in). */
export function liveResources(db: Db, input: { syndicateId: string; subscriptionId: string }) {
  return inSyndicate(db, input.syndicateId, (tx) => tx.selectFrom('resources').innerJoin('subscriptions', 'subscriptions.id', 'resources.subscriptionId')
    .select(['resources.id', 'resources.key', 'resources.kind', 'resources.externalId', 'resources.memberId', 'resources.subscriptionId', 'resources.state'])
    .where('resources.subscriptionId', '=', input.subscriptionId).where('resources.state', '<>', 'removed')
    .orderBy('resources.createdAt', 'desc').orderBy('resources.id', 'desc').execute());
}

export function markResourceRemoved(db: Db, input: { syndicateId: string; resourceId: string }): Promise<void> {
  return inSyndicate(db, input.syndicateId, async (tx) => {
    await tx.updateTable('resources').set({ state: 'removed', removedAt: new Date(), secretCiphertext: null, problem: null, updatedAt: new Date() })
      .where('id', '=', input.resourceId).execute();
  });
}

/** The syndicate's decision on a request, as the workflow received it: approved, or refused with a reason. */
export function recordDecision(db: Db, input: SubscriptionStepInput & { decision: SubscriptionDecision }): Promise<{ approved: boolean; reason: string | null }> {
  return inSyndicate(db, input.syndicateId, (tx) => once(tx, input.syndicateId, `${input.workflowId}:decision`, async () => {
    const sub = await subscriptionOf(tx, input.subscriptionId);
    if (sub.status !== 'requested') throw new StepRefusedError(`Cette demande n'attend plus de décision (statut : ${sub.status}).`);
    const { approved, reason, actorUserId, ip } = input.decision;
    await tx.updateTable('subscriptions').set({ status: approved ? 'approved' : 'refused', decidedBy: actorUserId, decidedAt: new Date(), decisionReason: reason, updatedAt: new Date(),
      ...(approved ? {} : { endedAt: new Date() }) }).where('id', '=', sub.id).execute();
    await audit(tx, input, approved ? 'subscription.approved' : 'subscription.refused', { reason }, actorUserId, ip);
    return { approved, reason };
  }));
}

/** Provisioning starts (again, after a failure and a retry). */
export function markProvisioning(db: Db, input: SubscriptionStepInput): Promise<void> {
  return inSyndicate(db, input.syndicateId, async (tx) => {
    await tx.updateTable('subscriptions').set({ status: 'provisioning', updatedAt: new Date() }).where('id', '=', input.subscriptionId)
      .where('status', 'in', ['requested', 'approved', 'failed']).execute();
  });
}

/** A recipe step failed: what earlier steps made has been removed; the run waits for a retry or a cancel. */
export function markProvisioningFailed(db: Db, input: SubscriptionStepInput & { error: string }): Promise<void> {
  return inSyndicate(db, input.syndicateId, async (tx) => {
    const updated = await tx.updateTable('subscriptions').set({ status: 'failed', updatedAt: new Date() }).where('id', '=', input.subscriptionId)
      .where('status', '=', 'provisioning').executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) await audit(tx, input, 'subscription.provisioning_failed', { error: input.error }, null, null);
  });
}

/** Every resource is made: the subscription is active, and its first billing period opens today. */
export function activateSubscription(db: Db, input: SubscriptionStepInput): Promise<{ url: string | null }> {
  return inSyndicate(db, input.syndicateId, (tx) => once(tx, input.syndicateId, `${input.workflowId}:activate`, async () => {
    const sub = await subscriptionOf(tx, input.subscriptionId);
    if (sub.status !== 'provisioning' && sub.status !== 'approved' && sub.status !== 'requested') {
      throw new StepRefusedError(`Cet abonnement ne peut pas être activé (statut : ${sub.status}).`);
    }
    await tx.updateTable('subscriptions').set({ status: 'active', activatedAt: new Date(), updatedAt: new Date() }).where('id', '=', sub.id).execute();
    await tx.insertInto('subscriptionPeriods').values({
      syndicateId: input.syndicateId, memberId: sub.memberId, subscriptionId: sub.id, planId: sub.planId, seats: sub.seats, storageGb: sub.storageGb, startsOn: parisToday(),
    }).onConflict((oc) => oc.columns(['subscriptionId', 'startsOn']).doNothing()).execute();
    const endpoint = await tx.selectFrom('appEndpoints').select('url').where('subscriptionId', '=', sub.id).executeTakeFirst();
    await audit(tx, input, 'subscription.activated', { url: endpoint?.url ?? null });
    return { url: endpoint?.url ?? null };
  }));
}

/** Compensation of a cancelled request or provisioning (its resources already removed). */
export function cancelSubscriptionRequest(db: Db, input: SubscriptionStepInput & { cancelledBy: string | null }): Promise<void> {
  return inSyndicate(db, input.syndicateId, (tx) => once(tx, input.syndicateId, `${input.workflowId}:cancel`, async () => {
    await tx.updateTable('subscriptions').set({ status: 'cancelled', endedAt: new Date(), updatedAt: new Date() }).where('id', '=', input.subscriptionId)
      .where('status', 'in', ['requested', 'approved', 'provisioning', 'failed']).execute();
    await audit(tx, input, 'subscription.cancelled', { cancelledBy: input.cancelledBy }, input.cancelledBy, null);
  }));
}

/** Deprovisioning begins: the subscription is suspended for its grace period; the data stays. */
export function beginDeprovisioning(db: Db, input: SubscriptionStepInput & { graceUntil: string }): Promise<{ graceUntil: string }> {
  return inSyndicate(db, input.syndicateId, (tx) => once(tx, input.syndicateId, `${input.workflowId}:suspend`, async () => {
    const sub = await subscriptionOf(tx, input.subscriptionId);
    if (sub.status !== 'active') throw new StepRefusedError(`Seul un abonnement actif peut être résilié (statut : ${sub.status}).`);
    await tx.updateTable('subscriptions').set({ status: 'deprovisioning', graceUntil: input.graceUntil, updatedAt: new Date() }).where('id', '=', sub.id).execute();
    await audit(tx, input, 'subscription.cancellation_started', { graceUntil: input.graceUntil });
    return { graceUntil: input.graceUntil };
  }));
}

/** Compensation of a deprovisioning cancelled during the grace period: the subscription is active again, nothing was removed. */
export function keepSubscription(db: Db, input: SubscriptionStepInput & { cancelledBy: string | null }): Promise<void> {
  return inSyndicate(db, input.syndicateId, (tx) => once(tx, input.syndicateId, `${input.workflowId}:keep`, async () => {
    await tx.updateTable('subscriptions').set({ status: 'active', graceUntil: null, updatedAt: new Date() }).where('id', '=', input.subscriptionId)
      .where('status', '=', 'deprovisioning').execute();
    await audit(tx, input, 'subscription.kept', { cancelledBy: input.cancelledBy }, input.cancelledBy, null);
  }));
}

/** Every resource is removed: the subscription ends today, and so does its billing period. */
export function endSubscription(db: Db, input: SubscriptionStepInput): Promise<{ endedOn: string }> {
  return inSyndicate(db, input.syndicateId, (tx) => once(tx, input.syndicateId, `${input.workflowId}:end`, async () => {
    const today = parisToday();
    await tx.updateTable('subscriptions').set({ status: 'ended', endedAt: new Date(), graceUntil: null, updatedAt: new Date() }).where('id', '=', input.subscriptionId).execute();
    await tx.updateTable('subscriptionPeriods').set({ endsOn: sql<string>`greatest(starts_on, ${today}::date)` }).where('subscriptionId', '=', input.subscriptionId).where('endsOn', 'is', null).execute();
    await audit(tx, input, 'subscription.ended', { endedOn: today });
    return { endedOn: today };
  }));
}

/**
 * The catalog's default offerings for a new member, each as a subscription approved by the
 * syndicate's choice, on the offering's first plan, with its provisioning run to start.
 */
export function createStarterSubscriptions(db: Db, input: { syndicateId: string; memberId: string; workflowId: string; requestedBy: { userId: string; ip: string | null } }):
  Promise<Array<{ subscriptionId: string; offeringName: string; recipe: ProvisionSubscriptionInput['recipe'] }>> {
  return inSyndicate(db, input.syndicateId, (tx) => once(tx, input.syndicateId, `${input.workflowId}:starterServices`, async () => {
    const member = await tx.selectFrom('members').select(['id', 'agentCount']).where('id', '=', input.memberId).executeTakeFirst();
    if (!member) throw new StepRefusedError("Ce membre n'existe plus : l'adhésion ne peut pas continuer. Annulez-la.");
    const offerings = await tx.selectFrom('offerings').select(['id', 'nameFr', 'recipe']).where('isDefault', '=', true).where('status', '=', 'active').orderBy('nameFr').execute();
    const made: Array<{ subscriptionId: string; offeringName: string; recipe: ProvisionSubscriptionInput['recipe'] }> = [];
    for (const offering of offerings) {
      const plan = await tx.selectFrom('offeringPlans').select('id').where('offeringId', '=', offering.id).orderBy('createdAt').orderBy('code').limit(1).executeTakeFirst();
      if (!plan) continue;
      const taken = await tx.selectFrom('subscriptions').select('id').where('memberId', '=', member.id).where('offeringId', '=', offering.id)
        .where('status', 'in', [...CURRENT_SUBSCRIPTION_STATUSES]).executeTakeFirst();
      if (taken) continue;
      const subscriptionId = randomUUID();
      await tx.insertInto('subscriptions').values({
        id: subscriptionId, syndicateId: input.syndicateId, memberId: member.id, offeringId: offering.id, planId: plan.id,
        seats: Math.max(1, member.agentCount), storageGb: 0, status: 'approved', requestedBy: input.requestedBy.userId,
        decidedBy: input.requestedBy.userId, decidedAt: new Date(), decisionReason: 'Service par défaut des nouveaux membres',
      }).execute();
      await tx.insertInto('workflowRuns').values({
        syndicateId: input.syndicateId, memberId: member.id, subjectType: 'Subscription', subjectId: subscriptionId,
        workflowType: provisionSubscriptionWorkflowName, workflowId: provisionWorkflowId(subscriptionId), status: 'running',
      }).execute();
      await appendAudit(tx, {
        syndicateId: input.syndicateId, memberId: member.id, actorUserId: input.requestedBy.userId, action: 'subscription.starter', subjectType: 'Subscription',
        subjectId: subscriptionId, after: { offeringId: offering.id, planId: plan.id }, ip: input.requestedBy.ip,
      });
      made.push({ subscriptionId, offeringName: offering.nameFr, recipe: offering.recipe });
    }
    return made;
  }));
}

// ---------------------------------------------------------------------------------------------
// Usage metering: one record per subscription, day and metric

/** Subscriptions that are billed (and so metered). */
const METERED = ['active', 'suspended', 'deprovisioning'] as const;

/**
 * Records a day's usage of every metered subscription of a syndicate: the member's active users,
 * the seats and inhabitants it pays for, and the bytes its databases take (`sizeOf`, from the
 * hosting cluster). Upserts: running the day again corrects it, never doubles it.
 */
export async function recordSyndicateUsage(db: Db, input: { syndicateId: string; day: string; sizeOf: (database: string) => Promise<number | null> }): Promise<{ subscriptions: number; records: number }> {
  const subs = await inSyndicate(db, input.syndicateId, (tx) => tx.selectFrom('subscriptions').innerJoin('members', 'members.id', 'subscriptions.memberId')
    .select(['subscriptions.id', 'subscriptions.memberId', 'subscriptions.seats', 'members.population'])
    .where('subscriptions.status', 'in', [...METERED]).execute());
  if (subs.length === 0) return { subscriptions: 0, records: 0 };
  const databases = await inSyndicate(db, input.syndicateId, (tx) => tx.selectFrom('resources').select(['subscriptionId', 'externalId'])
    .where('kind', '=', 'postgres-database').where('state', '<>', 'removed').where('subscriptionId', 'in', subs.map((s) => s.id)).execute());
  const bytes = new Map<string, number>();
  for (const d of databases) bytes.set(d.subscriptionId, (bytes.get(d.subscriptionId) ?? 0) + ((await input.sizeOf(d.externalId)) ?? 0));
  let records = 0;
  for (let i = 0; i < subs.length; i += 1000) {
    const chunk = subs.slice(i, i + 1000);
    await inSyndicate(db, input.syndicateId, async (tx) => {
      const users = await tx.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.userId')
        .select(['memberships.memberId', (eb) => eb.fn.count<string>('memberships.userId').distinct().as('n')])
        .where('memberships.memberId', 'in', [...new Set(chunk.map((s) => s.memberId))]).where('users.status', '=', 'active').groupBy('memberships.memberId').execute();
      const usersOf = new Map(users.map((u) => [u.memberId, Number(u.n)]));
      const rows = chunk.flatMap((s) => [
        { metric: 'users' as const, quantity: usersOf.get(s.memberId) ?? 0 },
        { metric: 'seats' as const, quantity: s.seats },
        { metric: 'inhabitants' as const, quantity: s.population },
        ...(bytes.has(s.id) ? [{ metric: 'storage_bytes' as const, quantity: bytes.get(s.id)! }] : []),
      ].map((r) => ({ syndicateId: input.syndicateId, memberId: s.memberId, subscriptionId: s.id, day: input.day, ...r })));
      await tx.insertInto('usageRecords').values(rows)
        .onConflict((oc) => oc.columns(['subscriptionId', 'day', 'metric']).doUpdateSet((eb) => ({ quantity: eb.ref('excluded.quantity'), recordedAt: sql`now()` } as never))).execute();
      records += rows.length;
    });
  }
  return { subscriptions: subs.length, records };
}

/** Every syndicate of the deployment (the metering run works through them in turn). */
export async function allSyndicateIds(db: Db): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`select platform_syndicate_ids() as id`.execute(db);
  return rows.map((r) => r.id);
}

/** The audit record of a "Vérifier" (and of what it repaired). */
export function auditResourceCheck(db: Db, input: Omit<SubscriptionStepInput, 'workflowId'> & { repair: boolean; checks: Array<{ key: string; state: string; problem: string | null; repaired: boolean }> }): Promise<void> {
  return inSyndicate(db, input.syndicateId, (tx) => appendAudit(tx, {
    syndicateId: input.syndicateId, memberId: input.memberId, actorUserId: input.requestedBy.userId, action: input.repair ? 'subscription.repaired' : 'subscription.checked',
    subjectType: 'Subscription', subjectId: input.subscriptionId, after: { checks: input.checks }, ip: input.requestedBy.ip,
  }));
}
