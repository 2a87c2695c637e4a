import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { accessibleWhere, asSubject } from '@mutualis/authz';
import {
  annualPriceCents, cancelSignalName, changePlanInput, checkResourcesWorkflowId, checkResourcesWorkflowName, CURRENT_SUBSCRIPTION_STATUSES,
  decideSignalName, DEFAULT_SUBSCRIPTION_GRACE_DAYS, deprovisionSubscriptionWorkflowName, deprovisionWorkflowId, provisionSubscriptionWorkflowName,
  provisionWorkflowId, subscriptionDecisionInput, subscriptionRequestInput, subscriptionsListInput, TASK_QUEUE,
  type ChangePlanInput, type CheckResourcesInput, type DeprovisionSubscriptionInput, type ProvisionSubscriptionInput, type ResourceCheck,
  type SubscriptionDecision, type SubscriptionDecisionInput, type SubscriptionRequestInput, type SubscriptionsListInput, type SubscriptionStatus,
} from '@mutualis/contracts';
import { sql, withTenant, type Db, type Tx } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { defaultSeats, planPriceOn } from '../catalog/catalog.service.ts';
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { parisToday, runsOf } from '../onboarding/onboarding.service.ts';
import { decryptSecret } from '../secrets/secret-box.ts';

/** The grace period of a cancelled subscription, in seconds (SUBSCRIPTION_GRACE_DAYS, default 30 days). */
export const graceSeconds = (days = DEFAULT_SUBSCRIPTION_GRACE_DAYS) => Math.round(days * 86_400);

const NOT_FOUND = "Cet abonnement est introuvable, ou vous n'y avez pas accès.";

/** A subscription the actor may `action`, locked for the transaction; NOT_FOUND when it is not theirs to see. */
async function subscriptionFor(tx: Tx, actor: Actor, id: string, action: 'read' | 'update' | 'approve') {
  const row = await tx.selectFrom('subscriptions').selectAll().where('id', '=', id)
    .where(accessibleWhere(actor.ability, 'read', 'Subscription', 'subscriptions')).forUpdate().executeTakeFirst();
  if (!row) throw new NotFoundError(NOT_FOUND);
  if (!actor.ability.can(action, asSubject('Subscription', row))) throw new ForbiddenError("Votre rôle ne permet pas cette action sur cet abonnement.");
  return row;
}

/**
 * A DSI (or the syndicate's staff, for a member) asks for a plan of an offering. The request is
 * recorded with its provisioning run (`subscription:<id>`), which waits for the syndicate's
 * decision when the offering needs one, then provisions the recipe. One transaction: a refusal
 * writes nothing, and if Temporal cannot start the run nothing is kept.
 */
export async function requestSubscription(db: Db, temporal: Client, actor: Actor, raw: SubscriptionRequestInput, taskQueue = TASK_QUEUE):
  Promise<{ subscriptionId: string; workflowId: string; requiresApproval: boolean; annualCents: number }> {
  const input = subscriptionRequestInput.parse(raw);
  if (!actor.ability.can('create', asSubject('Subscription', { syndicateId: actor.syndicateId, memberId: input.memberId }))) {
    throw new NotFoundError("Ce membre est introuvable, ou vous n'y avez pas accès.");
  }
  const subscriptionId = randomUUID();
  const workflowId = provisionWorkflowId(subscriptionId);
  return withTenant(db, actor.tenant, async (tx) => {
    const member = await tx.selectFrom('members').select(['id', 'name', 'status', 'agentCount', 'population']).where('id', '=', input.memberId).executeTakeFirst();
    if (!member) throw new NotFoundError("Ce membre est introuvable, ou vous n'y avez pas accès.");
    if (member.status !== 'active') throw new ValidationError('memberId', `${member.name} n'est pas un membre actif (statut : ${member.status}) : ses services ne peuvent pas être demandés.`);
    const offering = await tx.selectFrom('offerings').selectAll().where('id', '=', input.offeringId).where('status', '=', 'active').executeTakeFirst();
    if (!offering) throw new NotFoundError("Ce service n'est pas au catalogue de votre syndicat.");
    const plan = await tx.selectFrom('offeringPlans').select(['id', 'nameFr']).where('id', '=', input.planId).where('offeringId', '=', offering.id).executeTakeFirst();
    if (!plan) throw new NotFoundError(`Ce plan n'est pas un plan de « ${offering.nameFr} ».`);
    const price = await planPriceOn(tx, plan.id, parisToday());
    if (!price) throw new ValidationError('planId', `Le plan « ${plan.nameFr} » n'a pas encore de prix : il ne peut pas être demandé.`);
    const current = await tx.selectFrom('subscriptions').select(['id', 'status']).where('memberId', '=', member.id).where('offeringId', '=', offering.id)
      .where('status', 'in', [...CURRENT_SUBSCRIPTION_STATUSES]).executeTakeFirst();
    if (current) throw new ValidationError('offeringId', `${member.name} a déjà « ${offering.nameFr} » (statut : ${current.status}) : changez de plan plutôt.`);
    const seats = input.seats ?? defaultSeats(member);
    const storageGb = input.storageGb ?? 0;
    await tx.insertInto('subscriptions').values({
      id: subscriptionId, syndicateId: actor.syndicateId, memberId: member.id, offeringId: offering.id, planId: plan.id, seats, storageGb,
      status: 'requested', requestedBy: actor.userId,
    }).execute();
    await tx.insertInto('workflowRuns').values({
      syndicateId: actor.syndicateId, memberId: member.id, subjectType: 'Subscription', subjectId: subscriptionId,
      workflowType: provisionSubscriptionWorkflowName, workflowId, status: 'running',
    }).execute();
    const annualCents = annualPriceCents(price, { seats, storageGb, population: member.population });
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: member.id, actorUserId: actor.userId, action: 'subscription.requested', subjectType: 'Subscription',
      subjectId: subscriptionId, after: { offeringId: offering.id, planId: plan.id, seats, storageGb, annualCents, priceFrom: price.effectiveFrom }, ip: actor.ip,
    });
    const workflowInput: ProvisionSubscriptionInput = {
      subscriptionId, syndicateId: actor.syndicateId, memberId: member.id, requestedBy: { userId: actor.userId, ip: actor.ip },
      requiresApproval: offering.requiresApproval, recipe: offering.recipe,
    };
    // Started last, inside the transaction: if Temporal refuses, nothing above is kept.
    await temporal.workflow.start(provisionSubscriptionWorkflowName, { workflowId, taskQueue, args: [workflowInput] });
    return { subscriptionId, workflowId, requiresApproval: offering.requiresApproval, annualCents };
  });
}

/** The syndicate approves or refuses a waiting request: a signal to its run, which records the decision. */
export async function decideSubscription(db: Db, temporal: Client, actor: Actor, raw: SubscriptionDecisionInput): Promise<{ ok: true }> {
  const input = subscriptionDecisionInput.parse(raw);
  await withTenant(db, actor.tenant, async (tx) => {
    const sub = await subscriptionFor(tx, actor, input.id, 'approve');
    if (sub.status !== 'requested') throw new ValidationError('id', `Cette demande n'attend plus de décision (statut : ${sub.status}).`);
    const decision: SubscriptionDecision = { approved: input.decision === 'approve', reason: input.reason?.trim() || null, actorUserId: actor.userId, ip: actor.ip };
    try {
      await temporal.workflow.getHandle(provisionWorkflowId(sub.id)).signal(decideSignalName, decision);
    } catch (error) {
      if ((error as Error).name === 'WorkflowNotFoundError') throw new ValidationError('id', "Le déroulement de cette demande n'est plus en cours : elle ne peut plus être décidée.");
      throw error;
    }
  });
  return { ok: true };
}

export interface SubscriptionSummary {
  id: string;
  memberId: string;
  memberName: string;
  offeringId: string;
  offeringName: string;
  offeringNameEn: string;
  offeringKind: string;
  planName: string;
  planNameEn: string;
  /** the instance's address, once it has one */
  url: string | null;
  seats: number;
  storageGb: number;
  status: SubscriptionStatus;
  requiresApproval: boolean;
  decisionReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Subscriptions the actor may see, newest first: the whole syndicate for its staff, their own commune's for a DSI. */
export async function listSubscriptions(db: Db, actor: Actor, raw: SubscriptionsListInput = {}): Promise<{ items: SubscriptionSummary[]; nextCursor: string | null }> {
  const input = subscriptionsListInput.parse(raw ?? {});
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const rows = await withTenant(db, actor.tenant, (tx) => {
    let q = tx.selectFrom('subscriptions')
      .innerJoin('members', 'members.id', 'subscriptions.memberId')
      .innerJoin('offerings', 'offerings.id', 'subscriptions.offeringId')
      .innerJoin('offeringPlans', 'offeringPlans.id', 'subscriptions.planId')
      .select(['subscriptions.id', 'subscriptions.memberId', 'members.name as memberName', 'subscriptions.offeringId', 'offerings.nameFr as offeringName',
        'offerings.nameEn as offeringNameEn', 'offerings.kind as offeringKind', 'offeringPlans.nameFr as planName', 'offeringPlans.nameEn as planNameEn',
        'subscriptions.seats', 'subscriptions.storageGb', 'subscriptions.status',
        'offerings.requiresApproval', 'subscriptions.decisionReason', 'subscriptions.createdAt', 'subscriptions.updatedAt'])
      .select((eb) => eb.selectFrom('appEndpoints').select('appEndpoints.url').whereRef('appEndpoints.subscriptionId', '=', 'subscriptions.id').limit(1).as('url'))
      .where(accessibleWhere(actor.ability, 'read', 'Subscription', 'subscriptions'));
    if (input.memberId) q = q.where('subscriptions.memberId', '=', input.memberId);
    if (input.status) q = q.where('subscriptions.status', '=', input.status);
    if (after) q = q.where(sql<boolean>`(subscriptions.created_at, subscriptions.id) < (${after.at}::timestamptz, ${after.id}::uuid)`);
    return q.orderBy('subscriptions.createdAt', 'desc').orderBy('subscriptions.id', 'desc').limit(input.limit + 1).execute();
  });
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > input.limit && last ? Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.id])).toString('base64url') : null };
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(id)) return { at, id };
  } catch { /* fall through */ }
  throw new ValidationError('cursor', 'Le curseur de pagination est invalide : rechargez la liste depuis la première page.');
}

export interface ResourceView {
  id: string;
  subscriptionId: string;
  key: string;
  kind: string;
  externalId: string;
  state: string;
  details: Record<string, unknown>;
  problem: string | null;
  checkedAt: Date | null;
  /** a secret is waiting to be shown (once) */
  secretWaiting: boolean;
  secretRevealedAt: Date | null;
}

const resourceColumns = ['resources.id', 'resources.subscriptionId', 'resources.key', 'resources.kind', 'resources.externalId', 'resources.state', 'resources.details',
  'resources.problem', 'resources.checkedAt', 'resources.secretRevealedAt', 'resources.secretCiphertext'] as const;
const resourceView = (r: { id: string; subscriptionId: string; key: string; kind: string; externalId: string; state: string; details: Record<string, unknown>; problem: string | null;
  checkedAt: Date | null; secretRevealedAt: Date | null; secretCiphertext: Buffer | null }): ResourceView => ({
  id: r.id, subscriptionId: r.subscriptionId, key: r.key, kind: r.kind, externalId: r.externalId, state: r.state, details: r.details, problem: r.problem,
  checkedAt: r.checkedAt, secretWaiting: r.secretCiphertext !== null, secretRevealedAt: r.secretRevealedAt,
});

export interface SubscriptionDetail extends SubscriptionSummary {
  planId: string;
  offeringSlug: string;
  decidedAt: Date | null;
  activatedAt: Date | null;
  graceUntil: Date | null;
  endedAt: Date | null;
  /** today's yearly price for these quantities, in cents */
  annualCents: number | null;
  /** the instance's address, once its endpoint exists */
  url: string | null;
  resources: ResourceView[];
  runs: Array<{ workflowId: string; workflowType: string; status: string; createdAt: Date }>;
  /** the other plans of the offering, for a change of plan */
  plans: Array<{ id: string; nameFr: string; nameEn: string }>;
  /** whether the actor may see the one-time secrets (the commune's DSI) */
  canRevealSecrets: boolean;
}

/** One subscription with its resources, runs and price. */
export async function getSubscription(db: Db, actor: Actor, id: string): Promise<SubscriptionDetail> {
  const detail = await withTenant(db, actor.tenant, async (tx) => {
    const sub = await tx.selectFrom('subscriptions')
      .innerJoin('members', 'members.id', 'subscriptions.memberId')
      .innerJoin('offerings', 'offerings.id', 'subscriptions.offeringId')
      .innerJoin('offeringPlans', 'offeringPlans.id', 'subscriptions.planId')
      .select(['subscriptions.id', 'subscriptions.memberId', 'members.name as memberName', 'members.population', 'subscriptions.offeringId', 'offerings.nameFr as offeringName',
        'offerings.nameEn as offeringNameEn', 'offeringPlans.nameEn as planNameEn',
        'offerings.slug as offeringSlug', 'offerings.kind as offeringKind', 'offeringPlans.nameFr as planName', 'subscriptions.planId', 'subscriptions.seats',
        'subscriptions.storageGb', 'subscriptions.status', 'offerings.requiresApproval', 'subscriptions.decisionReason', 'subscriptions.decidedAt',
        'subscriptions.activatedAt', 'subscriptions.graceUntil', 'subscriptions.endedAt', 'subscriptions.createdAt', 'subscriptions.updatedAt'])
      .where('subscriptions.id', '=', id).where(accessibleWhere(actor.ability, 'read', 'Subscription', 'subscriptions')).executeTakeFirst();
    if (!sub) throw new NotFoundError(NOT_FOUND);
    const price = await planPriceOn(tx, sub.planId, parisToday());
    const canSeeResources = actor.ability.can('read', asSubject('Resource', { syndicateId: actor.syndicateId, memberId: sub.memberId }));
    const resources = canSeeResources ? await tx.selectFrom('resources').select(resourceColumns).where('subscriptionId', '=', sub.id).orderBy('createdAt').execute() : [];
    const endpoint = await tx.selectFrom('appEndpoints').select('url').where('subscriptionId', '=', sub.id).executeTakeFirst();
    const plans = await tx.selectFrom('offeringPlans').select(['id', 'nameFr', 'nameEn']).where('offeringId', '=', sub.offeringId).orderBy('createdAt').orderBy('code').execute();
    const { population, ...rest } = sub;
    return {
      ...rest, annualCents: price ? annualPriceCents(price, { seats: sub.seats, storageGb: sub.storageGb, population }) : null,
      url: endpoint?.url ?? null, resources: resources.map(resourceView), plans,
      canRevealSecrets: actor.memberships.some((m) => m.role === 'commune_dsi' && m.memberId === sub.memberId),
    };
  });
  return { ...detail, runs: await runsOf(db, actor, id) };
}

/** Every resource of a member that still exists, with the subscription it belongs to (the member's inventory). */
export async function memberResources(db: Db, actor: Actor, memberId: string): Promise<Array<ResourceView & { offeringName: string; subscriptionStatus: string }>> {
  const rows = await withTenant(db, actor.tenant, (tx) => tx.selectFrom('resources')
    .innerJoin('subscriptions', 'subscriptions.id', 'resources.subscriptionId').innerJoin('offerings', 'offerings.id', 'subscriptions.offeringId')
    .select([...resourceColumns, 'offerings.nameFr as offeringName', 'subscriptions.status as subscriptionStatus'])
    .where('resources.memberId', '=', memberId).where('resources.state', '<>', 'removed')
    .where(accessibleWhere(actor.ability, 'read', 'Resource', 'resources'))
    .orderBy('offerings.nameFr').orderBy('resources.createdAt').execute());
  return rows.map((r) => ({ ...resourceView(r), offeringName: r.offeringName, subscriptionStatus: r.subscriptionStatus }));
}

/**
 * Cancels a subscription. A request or a provisioning in progress is cancelled (its run removes
 * what it made); an active subscription starts `deprovisionSubscription`: suspended for the grace
 * period (data kept, cancellable), then every resource removed.
 */
export async function cancelSubscription(db: Db, temporal: Client, actor: Actor, id: string, graceSecs: number, taskQueue = TASK_QUEUE): Promise<{ workflowId: string }> {
  return withTenant(db, actor.tenant, async (tx) => {
    const sub = await subscriptionFor(tx, actor, id, 'update');
    if (['requested', 'approved', 'provisioning', 'failed'].includes(sub.status)) {
      const workflowId = provisionWorkflowId(sub.id);
      await temporal.workflow.getHandle(workflowId).signal(cancelSignalName, { actorUserId: actor.userId });
      await appendAudit(tx, { syndicateId: actor.syndicateId, memberId: sub.memberId, actorUserId: actor.userId, action: 'subscription.cancel_requested', subjectType: 'Subscription', subjectId: sub.id, ip: actor.ip });
      return { workflowId };
    }
    if (sub.status !== 'active') throw new ValidationError('id', `Cet abonnement ne peut pas être résilié (statut : ${sub.status}).`);
    const running = await tx.selectFrom('workflowRuns').select('workflowId').where('subjectId', '=', sub.id)
      .where('workflowType', '=', deprovisionSubscriptionWorkflowName).where('status', '=', 'running').executeTakeFirst();
    if (running) throw new ValidationError('id', 'La résiliation de cet abonnement est déjà en cours.');
    const workflowId = deprovisionWorkflowId(randomUUID());
    await tx.insertInto('workflowRuns').values({
      syndicateId: actor.syndicateId, memberId: sub.memberId, subjectType: 'Subscription', subjectId: sub.id,
      workflowType: deprovisionSubscriptionWorkflowName, workflowId, status: 'running',
    }).execute();
    await appendAudit(tx, { syndicateId: actor.syndicateId, memberId: sub.memberId, actorUserId: actor.userId, action: 'subscription.cancel_requested', subjectType: 'Subscription', subjectId: sub.id, after: { graceSeconds: graceSecs }, ip: actor.ip });
    const input: DeprovisionSubscriptionInput = { subscriptionId: sub.id, syndicateId: actor.syndicateId, memberId: sub.memberId, requestedBy: { userId: actor.userId, ip: actor.ip }, graceSeconds: graceSecs };
    await temporal.workflow.start(deprovisionSubscriptionWorkflowName, { workflowId, taskQueue, args: [input] });
    return { workflowId };
  });
}

/**
 * Takes back a cancellation during its grace period: the `deprovisionSubscription` run is
 * cancelled, and its compensation puts the subscription back in service with everything kept.
 */
export async function keepSubscriptionAfterCancel(db: Db, temporal: Client, actor: Actor, id: string): Promise<{ workflowId: string }> {
  const answer = await withTenant(db, actor.tenant, async (tx) => {
    const sub = await subscriptionFor(tx, actor, id, 'update');
    const run = await tx.selectFrom('workflowRuns').select('workflowId').where('subjectId', '=', sub.id)
      .where('workflowType', '=', deprovisionSubscriptionWorkflowName).where('status', '=', 'running').executeTakeFirst();
    if (!run || sub.status !== 'deprovisioning') throw new ValidationError('id', "Cet abonnement n'est pas en cours de résiliation : il n'y a rien à annuler.");
    await temporal.workflow.getHandle(run.workflowId).signal(cancelSignalName, { actorUserId: actor.userId });
    await appendAudit(tx, { syndicateId: actor.syndicateId, memberId: sub.memberId, actorUserId: actor.userId, action: 'subscription.cancellation_withdrawn', subjectType: 'Subscription', subjectId: sub.id, ip: actor.ip });
    return { workflowId: run.workflowId };
  });
  // The run puts the subscription back in a moment: wait for it (10 s at most), so the answer shows the outcome.
  await temporal.withDeadline(Date.now() + 10_000, () => temporal.workflow.getHandle(answer.workflowId).result()).catch(() => undefined);
  return answer;
}

/**
 * Moves an active subscription to another plan of the same offering (or other quantities) from
 * today: the current billing period closes yesterday, the new one opens today.
 */
export async function changeSubscriptionPlan(db: Db, actor: Actor, raw: ChangePlanInput): Promise<{ annualCents: number }> {
  const input = changePlanInput.parse(raw);
  const today = parisToday();
  return withTenant(db, actor.tenant, async (tx) => {
    const sub = await subscriptionFor(tx, actor, input.id, 'update');
    if (sub.status !== 'active') throw new ValidationError('id', `Seul un abonnement actif change de plan (statut : ${sub.status}).`);
    const plan = await tx.selectFrom('offeringPlans').select(['id', 'nameFr']).where('id', '=', input.planId).where('offeringId', '=', sub.offeringId).executeTakeFirst();
    if (!plan) throw new ValidationError('planId', "Ce plan n'est pas un plan de ce service.");
    const price = await planPriceOn(tx, plan.id, today);
    if (!price) throw new ValidationError('planId', `Le plan « ${plan.nameFr} » n'a pas encore de prix.`);
    const seats = input.seats ?? sub.seats;
    const storageGb = input.storageGb ?? sub.storageGb;
    if (plan.id === sub.planId && seats === sub.seats && storageGb === sub.storageGb) throw new ValidationError('planId', "C'est déjà le plan et les quantités de cet abonnement.");
    const member = await tx.selectFrom('members').select('population').where('id', '=', sub.memberId).executeTakeFirstOrThrow();
    await tx.updateTable('subscriptions').set({ planId: plan.id, seats, storageGb, updatedAt: new Date() }).where('id', '=', sub.id).execute();
    const open = await tx.selectFrom('subscriptionPeriods').select(['id', 'startsOn']).where('subscriptionId', '=', sub.id).where('endsOn', 'is', null).executeTakeFirst();
    if (open && open.startsOn >= today) {
      await tx.updateTable('subscriptionPeriods').set({ planId: plan.id, seats, storageGb }).where('id', '=', open.id).execute();
    } else {
      if (open) await tx.updateTable('subscriptionPeriods').set({ endsOn: sql<string>`${today}::date - 1` }).where('id', '=', open.id).execute();
      await tx.insertInto('subscriptionPeriods').values({ syndicateId: actor.syndicateId, memberId: sub.memberId, subscriptionId: sub.id, planId: plan.id, seats, storageGb, startsOn: today }).execute();
    }
    const annualCents = annualPriceCents(price, { seats, storageGb, population: member.population });
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: sub.memberId, actorUserId: actor.userId, action: 'subscription.plan_changed', subjectType: 'Subscription', subjectId: sub.id,
      before: { planId: sub.planId, seats: sub.seats, storageGb: sub.storageGb }, after: { planId: plan.id, seats, storageGb, from: today, annualCents }, ip: actor.ip,
    });
    return { annualCents };
  });
}

export interface RevealedSecret { resourceKey: string; kind: string; label: string; values: Array<{ name: string; value: string }> }

/**
 * The secrets of a subscription's resources, shown once to the commune's DSI: they are decrypted,
 * returned, and erased in the same transaction; a second call finds nothing.
 */
export async function revealSecrets(db: Db, actor: Actor, id: string, secretKey: string): Promise<RevealedSecret[]> {
  return withTenant(db, actor.tenant, async (tx) => {
    const sub = await subscriptionFor(tx, actor, id, 'update');
    if (!actor.memberships.some((m) => m.role === 'commune_dsi' && m.memberId === sub.memberId)) {
      throw new ForbiddenError('Seul le DSI de la commune voit les secrets de ses services, une seule fois.');
    }
    const rows = await tx.selectFrom('resources').selectAll().where('subscriptionId', '=', sub.id).where('secretCiphertext', 'is not', null).orderBy('createdAt').forUpdate().execute();
    if (rows.length === 0) throw new DomainError('Les secrets de cet abonnement ont déjà été affichés : ils ne sont plus conservés. Un opérateur peut en régénérer avec « Vérifier » puis « Réparer ».', 'CONFLICT');
    const revealed = rows.map((r): RevealedSecret => {
      const secret = decryptSecret(secretKey, r.secretCiphertext!, r.id);
      const d = r.details as Record<string, string | number>;
      if (r.kind === 'postgres-database') {
        const url = new URL('postgres://placeholder');
        url.hostname = String(d.host ?? 'localhost'); url.port = String(d.port ?? 5432);
        url.username = r.externalId; url.password = secret; url.pathname = `/${r.externalId}`;
        return { resourceKey: r.key, kind: r.kind, label: 'Base de données PostgreSQL', values: [
          { name: 'Serveur', value: `${d.host}:${d.port}` }, { name: 'Base', value: r.externalId }, { name: 'Utilisateur', value: r.externalId },
          { name: 'Mot de passe', value: secret }, { name: 'URL de connexion', value: url.toString() }] };
      }
      return { resourceKey: r.key, kind: r.kind, label: 'Client OpenID Connect (SSO)', values: [
        { name: 'Identifiant client', value: r.externalId }, { name: 'Secret client', value: secret }] };
    });
    await tx.updateTable('resources').set({ secretCiphertext: null, secretRevealedAt: new Date(), updatedAt: new Date() }).where('id', 'in', rows.map((r) => r.id)).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: sub.memberId, actorUserId: actor.userId, action: 'subscription.secrets_revealed', subjectType: 'Subscription', subjectId: sub.id,
      after: { resources: rows.map((r) => r.key) }, ip: actor.ip,
    });
    return revealed;
  });
}

/**
 * "Vérifier": inspects every resource of the subscription through the worker (which alone holds
 * the hosting credentials) and records drift; with `repair`, remakes what drifted. Waits for the
 * answer (a few seconds at most).
 */
export async function checkSubscriptionResources(db: Db, temporal: Client, actor: Actor, id: string, repair: boolean, taskQueue = TASK_QUEUE): Promise<ResourceCheck[]> {
  const sub = await withTenant(db, actor.tenant, (tx) => subscriptionFor(tx, actor, id, repair ? 'update' : 'read'));
  if (!actor.ability.can('read', asSubject('Resource', { syndicateId: actor.syndicateId, memberId: sub.memberId }))) throw new ForbiddenError();
  if (!['active', 'suspended', 'deprovisioning', 'failed'].includes(sub.status)) {
    throw new ValidationError('id', `Les ressources d'un abonnement au statut « ${sub.status} » ne se vérifient pas.`);
  }
  const input: CheckResourcesInput = { subscriptionId: sub.id, syndicateId: actor.syndicateId, memberId: sub.memberId, requestedBy: { userId: actor.userId, ip: actor.ip }, repair };
  return temporal.workflow.execute(checkResourcesWorkflowName, {
    workflowId: checkResourcesWorkflowId(randomUUID()), taskQueue, args: [input], workflowExecutionTimeout: '2 minutes',
  });
}
