import { asSubject } from '@mutualis/authz';
import {
  annualPriceCents, catalogListInput, CURRENT_SUBSCRIPTION_STATUSES, saveOfferingInput, setPriceInput,
  type OfferingFields, type PlanPrice, type RecipeStep, type SaveOfferingInput, type SetPriceInput, type SubscriptionStatus,
} from '@mutualis/contracts';
import { withTenant, type Db, type Tx } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { parisToday } from '../onboarding/onboarding.service.ts';

export interface PricedPlan {
  id: string;
  code: string;
  nameFr: string;
  nameEn: string;
  /** the price that applies today */
  price: PlanPrice & { effectiveFrom: string };
  /** a price change already decided, if any */
  nextPrice: (PlanPrice & { effectiveFrom: string }) | null;
  /** the yearly amount for the member the catalog is priced for, with its default quantities */
  estimateCents: number | null;
}

export interface CatalogOffering extends OfferingFields {
  id: string;
  plans: PricedPlan[];
  /** the member's current subscription to it, if any */
  subscription: { id: string; status: SubscriptionStatus } | null;
}

export interface Catalog {
  /** whom the estimates are for: a member's population and agents (default seats) */
  pricedFor: { memberId: string; name: string; population: number; agentCount: number } | null;
  offerings: CatalogOffering[];
}

const priceOf = (row: { annualFixedCents: number; perUserCents: number; perGbCents: number; perInhabitantCents: number; effectiveFrom: string }) => ({
  annualFixedCents: row.annualFixedCents, perUserCents: row.perUserCents, perGbCents: row.perGbCents, perInhabitantCents: row.perInhabitantCents, effectiveFrom: row.effectiveFrom,
});

/** The price of a plan on a day: the latest one that took effect on or before it. */
export async function planPriceOn(tx: Tx, planId: string, day: string): Promise<(PlanPrice & { effectiveFrom: string }) | null> {
  const row = await tx.selectFrom('planPrices').selectAll().where('planId', '=', planId).where('effectiveFrom', '<=', day)
    .orderBy('effectiveFrom', 'desc').limit(1).executeTakeFirst();
  return row ? priceOf(row) : null;
}

/** Default seats for a member: its agents (at least one). */
export const defaultSeats = (member: { agentCount: number }) => Math.max(1, member.agentCount);

/**
 * The active offerings of the actor's syndicate with their plans, today's price and any decided
 * change, priced for one member (the one asked for, or the DSI's own commune) with its default
 * quantities, and that member's current subscription to each.
 */
export async function listCatalog(db: Db, actor: Actor, raw: unknown = {}): Promise<Catalog> {
  const input = catalogListInput.parse(raw ?? {});
  const ownMembers = [...new Set(actor.memberships.map((m) => m.memberId).filter((id): id is string => id !== null))];
  const memberId = input.memberId ?? (ownMembers.length === 1 ? ownMembers[0]! : null);
  const today = parisToday();
  return withTenant(db, actor.tenant, async (tx) => {
    let pricedFor: Catalog['pricedFor'] = null;
    if (memberId) {
      const member = await tx.selectFrom('members').select(['id', 'name', 'population', 'agentCount']).where('id', '=', memberId).executeTakeFirst();
      if (!member || !actor.ability.can('read', asSubject('Member', { syndicateId: actor.syndicateId, id: member.id }))) {
        throw new NotFoundError("Ce membre est introuvable, ou vous n'y avez pas accès.");
      }
      pricedFor = { memberId: member.id, name: member.name, population: member.population, agentCount: member.agentCount };
    }
    const offerings = await tx.selectFrom('offerings').selectAll().where('status', '=', 'active').orderBy('kind').orderBy('nameFr').execute();
    const plans = offerings.length === 0 ? [] : await tx.selectFrom('offeringPlans').selectAll().where('offeringId', 'in', offerings.map((o) => o.id)).orderBy('createdAt').orderBy('code').execute();
    const prices = plans.length === 0 ? [] : await tx.selectFrom('planPrices').selectAll().where('planId', 'in', plans.map((p) => p.id)).orderBy('effectiveFrom').execute();
    const subscriptions = pricedFor ? await tx.selectFrom('subscriptions').select(['id', 'offeringId', 'status'])
      .where('memberId', '=', pricedFor.memberId).where('status', 'in', [...CURRENT_SUBSCRIPTION_STATUSES]).execute() : [];
    return {
      pricedFor,
      offerings: offerings.map((o) => ({
        id: o.id, slug: o.slug, kind: o.kind, nameFr: o.nameFr, nameEn: o.nameEn, descriptionFr: o.descriptionFr, descriptionEn: o.descriptionEn,
        requiresApproval: o.requiresApproval, isDefault: o.isDefault, staffAccess: o.staffAccess, standalonePrice: o.standalonePrice, recipe: o.recipe,
        plans: plans.filter((p) => p.offeringId === o.id).flatMap((p) => {
          const own = prices.filter((pr) => pr.planId === p.id);
          const current = own.filter((pr) => pr.effectiveFrom <= today).at(-1);
          if (!current) return [];
          const next = own.find((pr) => pr.effectiveFrom > today);
          return [{
            id: p.id, code: p.code, nameFr: p.nameFr, nameEn: p.nameEn, price: priceOf(current), nextPrice: next ? priceOf(next) : null,
            estimateCents: pricedFor ? annualPriceCents(current, { seats: defaultSeats(pricedFor), storageGb: 0, population: pricedFor.population }) : null,
          }];
        }),
        subscription: (() => { const s = subscriptions.find((x) => x.offeringId === o.id); return s ? { id: s.id, status: s.status } : null; })(),
      })),
    };
  });
}

/** Creates or updates an offering; new plans get their first price from today. Syndicate admins only. */
export async function saveOffering(db: Db, actor: Actor, raw: SaveOfferingInput): Promise<{ id: string }> {
  const input = saveOfferingInput.parse(raw);
  if (!actor.ability.can(input.id ? 'update' : 'create', asSubject('Offering', { syndicateId: actor.syndicateId }))) throw new ForbiddenError('Seuls les administrateurs du syndicat gèrent le catalogue.');
  const today = parisToday();
  return withTenant(db, actor.tenant, async (tx) => {
    const values = {
      slug: input.slug, kind: input.kind, nameFr: input.nameFr, nameEn: input.nameEn, descriptionFr: input.descriptionFr, descriptionEn: input.descriptionEn,
      requiresApproval: input.requiresApproval, isDefault: input.isDefault, staffAccess: input.staffAccess ?? false, recipe: JSON.stringify(input.recipe),
      // absent: an update keeps the standalone price it had
      ...(input.standalonePrice === undefined ? {} : { standalonePrice: input.standalonePrice === null ? null : JSON.stringify(input.standalonePrice) }),
    };
    const clash = await tx.selectFrom('offerings').select('id').where('slug', '=', input.slug).executeTakeFirst();
    if (clash && clash.id !== input.id) throw new ValidationError('slug', `L'identifiant court « ${input.slug} » est déjà celui d'un autre service.`);
    let id: string;
    let before: unknown = null;
    if (input.id) {
      const existing = await tx.selectFrom('offerings').selectAll().where('id', '=', input.id).executeTakeFirst();
      if (!existing) throw new NotFoundError('Ce service est introuvable.');
      before = { ...existing, createdAt: undefined, updatedAt: undefined };
      await tx.updateTable('offerings').set({ ...values, updatedAt: new Date() }).where('id', '=', input.id).execute();
      id = input.id;
    } else {
      id = (await tx.insertInto('offerings').values({ syndicateId: actor.syndicateId, ...values }).returning('id').executeTakeFirstOrThrow()).id;
    }
    const codes = new Set((await tx.selectFrom('offeringPlans').select('code').where('offeringId', '=', id).execute()).map((p) => p.code));
    for (const plan of input.plans) {
      if (codes.has(plan.code)) throw new ValidationError('plans', `Le plan « ${plan.code} » existe déjà : changez son prix avec une date d'effet.`);
      codes.add(plan.code);
      const planId = (await tx.insertInto('offeringPlans').values({ syndicateId: actor.syndicateId, offeringId: id, code: plan.code, nameFr: plan.nameFr, nameEn: plan.nameEn })
        .returning('id').executeTakeFirstOrThrow()).id;
      await tx.insertInto('planPrices').values({ syndicateId: actor.syndicateId, planId, effectiveFrom: today, createdBy: actor.userId, ...plan.price }).execute();
    }
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: null, actorUserId: actor.userId, action: input.id ? 'offering.updated' : 'offering.created',
      subjectType: 'Offering', subjectId: id, before, after: { ...input, id }, ip: actor.ip,
    });
    return { id };
  });
}

/**
 * Sets a plan's price from a day (today or later, Paris calendar): earlier days keep the price
 * they had, so the costs already allocated never change. A second change for the same day replaces
 * the first, as long as that day has not come.
 */
export async function setPlanPrice(db: Db, actor: Actor, raw: SetPriceInput): Promise<{ planId: string; effectiveFrom: string }> {
  const input = setPriceInput.parse(raw);
  if (!actor.ability.can('update', asSubject('Offering', { syndicateId: actor.syndicateId }))) throw new ForbiddenError('Seuls les administrateurs du syndicat fixent les prix.');
  const today = parisToday();
  if (input.effectiveFrom < today) {
    throw new ValidationError('effectiveFrom', `Un nouveau prix s'applique à partir d'aujourd'hui (${today}) ou plus tard : les périodes passées gardent leur prix.`);
  }
  return withTenant(db, actor.tenant, async (tx) => {
    const plan = await tx.selectFrom('offeringPlans').select(['id', 'offeringId']).where('id', '=', input.planId).executeTakeFirst();
    if (!plan) throw new NotFoundError('Ce plan est introuvable.');
    const before = await planPriceOn(tx, plan.id, input.effectiveFrom);
    await tx.insertInto('planPrices').values({ syndicateId: actor.syndicateId, planId: plan.id, effectiveFrom: input.effectiveFrom, createdBy: actor.userId, ...input.price })
      .onConflict((oc) => oc.columns(['planId', 'effectiveFrom']).doUpdateSet({ ...input.price, createdBy: actor.userId })).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: null, actorUserId: actor.userId, action: 'offering.price_set', subjectType: 'Offering', subjectId: plan.offeringId,
      before, after: { planId: plan.id, effectiveFrom: input.effectiveFrom, ...input.price }, ip: actor.ip,
    });
    return { planId: plan.id, effectiveFrom: input.effectiveFrom };
  });
}
