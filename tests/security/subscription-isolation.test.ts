/**
 * Subscriptions across tenants, through the API as the browser calls it: a commune's DSI cannot
 * list, request, approve, cancel or see the secrets of another commune's services; an operator of
 * another syndicate sees nothing of this one. Row-level security is checked under the services:
 * the application role scoped to one commune reads no other commune's rows.
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionWorkflowId } from '@mutualis/contracts';
import { withTenant } from '@mutualis/db';
import { appDb, closeDbs } from '../support/db.ts';
import { createTenant, type TestCaller, type TestTenant } from '../support/factories.ts';

let home: TestTenant;
let away: TestTenant;
let dsi: TestCaller; // DSI of home.members[0]
let siblingSubscription: string; // a request of home.members[1], waiting for approval
let ownSubscription: string; // a request of home.members[0]

const codeOf = async (call: Promise<unknown>) => call.then(() => 'OK', (e: unknown) => (e instanceof TRPCError ? e.code : String(e)));

beforeAll(async () => {
  [home, away] = await Promise.all([createTenant({ communes: 2, catalog: true }), createTenant({ communes: 1, catalog: true })]);
  const operator = home.caller(await home.actorFor('syndicate_operator')).caller;
  const fichiers = home.offerings.fichiers!;
  // Requests that wait for the syndicate's approval (the stack's worker runs them): nothing is provisioned meanwhile.
  siblingSubscription = (await operator.subscriptions.request({ memberId: home.members[1]!.id, offeringId: fichiers.id, planId: fichiers.plans.essentiel! })).subscriptionId;
  dsi = home.caller(await home.actorFor('commune_dsi')).caller;
  ownSubscription = (await dsi.subscriptions.request({ memberId: home.members[0]!.id, offeringId: fichiers.id, planId: fichiers.plans.essentiel! })).subscriptionId;
});
afterAll(async () => {
  // Leave no run waiting for a decision on the shared server.
  const admin = home.caller(await home.actorFor('syndicate_admin')).caller;
  for (const id of [siblingSubscription, ownSubscription]) await admin.subscriptions.cancel({ id }).catch(() => {});
  await closeDbs();
});

describe('a commune DSI and another commune of the same syndicate', () => {
  it('lists only their own commune\'s subscriptions, even when asking for the other commune', async () => {
    const all = await dsi.subscriptions.list({});
    expect(all.items.map((s) => s.id)).toEqual([ownSubscription]);
    expect((await dsi.subscriptions.list({ memberId: home.members[1]!.id })).items).toEqual([]);
    expect(await codeOf(dsi.subscriptions.get({ id: siblingSubscription }))).toBe('NOT_FOUND');
    expect(await dsi.subscriptions.resources({ memberId: home.members[1]!.id })).toEqual([]);
    expect(await codeOf(dsi.workflows.get({ workflowId: provisionWorkflowId(siblingSubscription) }))).toBe('NOT_FOUND');
  });

  it('cannot request a service for the other commune, nor price the catalog for it', async () => {
    const fichiers = home.offerings.fichiers!;
    const ged = home.offerings.ged!;
    expect(await codeOf(dsi.subscriptions.request({ memberId: home.members[1]!.id, offeringId: ged.id, planId: Object.values(ged.plans)[0]! }))).toBe('NOT_FOUND');
    expect(await codeOf(dsi.catalog.list({ memberId: home.members[1]!.id }))).toBe('NOT_FOUND');
    // Their own commune, priced for it.
    const own = await dsi.catalog.list({});
    expect(own.pricedFor?.memberId).toBe(home.members[0]!.id);
    expect(own.offerings.find((o) => o.id === fichiers.id)?.subscription).toEqual({ id: ownSubscription, status: 'requested' });
  });

  it('cannot approve (neither the other commune\'s request nor their own), cancel the other\'s, or see its secrets', async () => {
    expect(await codeOf(dsi.subscriptions.approve({ id: siblingSubscription, decision: 'approve' }))).toBe('FORBIDDEN');
    expect(await codeOf(dsi.subscriptions.approve({ id: ownSubscription, decision: 'approve' }))).toBe('FORBIDDEN');
    expect(await codeOf(dsi.subscriptions.cancel({ id: siblingSubscription }))).toBe('NOT_FOUND');
    expect(await codeOf(dsi.subscriptions.revealSecrets({ id: siblingSubscription }))).toBe('NOT_FOUND');
    expect(await codeOf(dsi.subscriptions.changePlan({ id: siblingSubscription, planId: home.offerings.fichiers!.plans.essentiel! }))).toBe('NOT_FOUND');
    expect(await codeOf(dsi.subscriptions.verify({ id: siblingSubscription }))).toBe('NOT_FOUND');
    const sibling = await home.caller(await home.actorFor('syndicate_operator')).caller.subscriptions.get({ id: siblingSubscription });
    expect(sibling.status).toBe('requested');
  });

  it('row-level security alone: the application role scoped to the DSI\'s commune reads none of the other commune\'s rows', async () => {
    const rows = await withTenant(appDb(), { syndicateId: home.syndicateId, memberIds: [home.members[0]!.id] }, async (tx) => ({
      subscriptions: await tx.selectFrom('subscriptions').select('id').execute(),
      periods: await tx.selectFrom('subscriptionPeriods').select('subscriptionId').where('subscriptionId', '=', siblingSubscription).execute(),
      resources: await tx.selectFrom('resources').select('id').where('subscriptionId', '=', siblingSubscription).execute(),
    }));
    expect(rows.subscriptions.map((r) => r.id)).toEqual([ownSubscription]);
    expect([rows.periods, rows.resources]).toEqual([[], []]);
  });
});

describe('an operator of another syndicate', () => {
  it('sees nothing of this syndicate: no subscription, no request to decide, no offering', async () => {
    const operator = away.caller(await away.actorFor('syndicate_operator')).caller;
    const list = await operator.subscriptions.list({});
    expect(list.items).toEqual([]);
    expect(await codeOf(operator.subscriptions.get({ id: siblingSubscription }))).toBe('NOT_FOUND');
    expect(await codeOf(operator.subscriptions.approve({ id: siblingSubscription, decision: 'approve' }))).toBe('NOT_FOUND');
    expect(await codeOf(operator.subscriptions.cancel({ id: ownSubscription }))).toBe('NOT_FOUND');
    expect(await operator.subscriptions.resources({ memberId: home.members[0]!.id })).toEqual([]);
    const catalog = await operator.catalog.list({});
    const homeOfferingIds = new Set(Object.values(home.offerings).map((o) => o.id));
    expect(catalog.offerings.length).toBeGreaterThan(0);
    expect(catalog.offerings.filter((o) => homeOfferingIds.has(o.id))).toEqual([]);
    // Its own members cannot be given this syndicate's offerings.
    const fichiers = home.offerings.fichiers!;
    expect(await codeOf(operator.subscriptions.request({ memberId: away.members[0]!.id, offeringId: fichiers.id, planId: fichiers.plans.essentiel! }))).toBe('NOT_FOUND');
    expect(await codeOf(operator.subscriptions.request({ memberId: home.members[0]!.id, offeringId: away.offerings.fichiers!.id, planId: away.offerings.fichiers!.plans.essentiel! }))).toBe('NOT_FOUND');
    // Both requests still wait, undecided.
    const homeOperator = home.caller(await home.actorFor('syndicate_operator')).caller;
    expect((await homeOperator.subscriptions.get({ id: siblingSubscription })).status).toBe('requested');
  });
});
