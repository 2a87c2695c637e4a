/**
 * The catalog through the API: prices for a commune before it asks, dated price changes that
 * leave earlier days at their price, and the syndicate admin alone shaping the catalog.
 */
import { getErrorShape, TRPCError } from '@trpc/server';
import { appRouter } from '@mutualis/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parisToday, planPriceOn } from '@mutualis/core';
import { withTenant } from '@mutualis/db';
import { appDb, closeDbs } from '../support/db.ts';
import { createTenant, type TestCaller, type TestTenant } from '../support/factories.ts';

let tenant: TestTenant;
let admin: TestCaller;
beforeAll(async () => {
  tenant = await createTenant({ communes: [{ population: 4_000 }], catalog: true });
  admin = tenant.caller(await tenant.actorFor('syndicate_admin')).caller;
});
afterAll(closeDbs);

/** The error a call raised, as a client receives it (the project's error formatter applied). */
const failure = (call: Promise<unknown>) => call.then(() => null, (e: unknown) => {
  if (!(e instanceof TRPCError)) return { code: 'OTHER', message: String(e) };
  const shape = getErrorShape({ config: appRouter._def._config, error: e, type: 'mutation', path: 'catalog', input: undefined, ctx: undefined }) as { message: string };
  return { code: e.code, message: shape.message };
});
const dayAfter = (day: string, days: number) => new Date(Date.parse(`${day}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

describe('catalog.list', () => {
  it('prices every plan for the DSI\'s commune: 100 agents, 4 000 inhabitants', async () => {
    const dsi = tenant.caller(await tenant.actorFor('commune_dsi')).caller;
    const catalog = await dsi.catalog.list({});
    expect(catalog.pricedFor).toMatchObject({ memberId: tenant.members[0]!.id, population: 4_000, agentCount: 100 });
    expect(catalog.offerings.map((o) => o.slug).sort()).toEqual(['cybersurveillance', 'fichiers', 'ged', 'messagerie', 'mfa-renforcee', 'sauvegarde', 'site-web', 'sso']);
    const plan = (slug: string, code: string) => catalog.offerings.find((o) => o.slug === slug)!.plans.find((p) => p.code === code)!;
    // 30 € a year per mailbox (2,50 €/month) × 100 agents.
    expect(plan('messagerie', 'standard').estimateCents).toBe(100 * 3_000);
    // A price decided for next year is shown with its date.
    expect(plan('messagerie', 'standard').nextPrice).toMatchObject({ effectiveFrom: '2027-01-01', perUserCents: 3_240 });
    // Per inhabitant: 600 € + 0,05 € × 4 000.
    expect(plan('ged', 'commune').estimateCents).toBe(60_000 + 4_000 * 5);
    expect(catalog.offerings.find((o) => o.slug === 'fichiers')).toMatchObject({ requiresApproval: true, subscription: null });
  });
});

describe('catalog.setPrice', () => {
  it('a new price applies from its date; the days before keep the old one', async () => {
    const planId = tenant.offerings.sauvegarde!.plans.standard!;
    const today = parisToday();
    const from = dayAfter(today, 10);
    await admin.catalog.setPrice({ planId, effectiveFrom: from, price: { annualFixedCents: 15_000, perUserCents: 0, perGbCents: 30, perInhabitantCents: 0 } });
    const [before, on] = await withTenant(appDb(), { syndicateId: tenant.syndicateId, memberIds: null }, (tx) => Promise.all([planPriceOn(tx, planId, dayAfter(from, -1)), planPriceOn(tx, planId, from)]));
    expect(before).toMatchObject({ annualFixedCents: 12_000, perGbCents: 24, effectiveFrom: '2026-01-01' });
    expect(on).toMatchObject({ annualFixedCents: 15_000, perGbCents: 30, effectiveFrom: from });
    const listed = (await admin.catalog.list({})).offerings.find((o) => o.slug === 'sauvegarde')!.plans[0]!;
    expect(listed.price.annualFixedCents).toBe(12_000);
    expect(listed.nextPrice).toMatchObject({ effectiveFrom: from, annualFixedCents: 15_000 });
  });

  it('refuses a date in the past, amounts that are not whole cents, and anyone but the admin', async () => {
    const planId = tenant.offerings.sauvegarde!.plans.standard!;
    const price = { annualFixedCents: 1, perUserCents: 0, perGbCents: 0, perInhabitantCents: 0 };
    expect(await failure(admin.catalog.setPrice({ planId, effectiveFrom: dayAfter(parisToday(), -1), price }))).toMatchObject({
      code: 'BAD_REQUEST', message: expect.stringMatching(/^Un nouveau prix s'applique à partir d'aujourd'hui/),
    });
    expect(await failure(admin.catalog.setPrice({ planId, effectiveFrom: '2027-02-30', price }))).toMatchObject({ code: 'BAD_REQUEST', message: "effectiveFrom : Cette date n'existe pas." });
    expect(await failure(admin.catalog.setPrice({ planId, effectiveFrom: '2027-03-01', price: { ...price, perGbCents: 2.5 } }))).toMatchObject({
      code: 'BAD_REQUEST', message: 'price.perGbCents : Le prix par Go : un montant en centimes (nombre entier).',
    });
    for (const role of ['syndicate_operator', 'syndicate_finance', 'commune_dsi'] as const) {
      const caller = tenant.caller(await tenant.actorFor(role)).caller;
      expect((await failure(caller.catalog.setPrice({ planId, effectiveFrom: '2027-03-01', price })))?.code, role).toBe('FORBIDDEN');
    }
  });
});

describe('catalog.saveOffering', () => {
  it('the admin adds an offering with its plans and recipe; a bad recipe is refused and writes nothing', async () => {
    const offering = {
      slug: 'visio', kind: 'application' as const, nameFr: 'Visioconférence', nameEn: 'Video conferencing', descriptionFr: 'Réunions en ligne pour les élus et les agents.',
      descriptionEn: 'Online meetings for officials and staff.', requiresApproval: false, isDefault: false,
      recipe: [{ key: 'sso', kind: 'oidc-client' as const }, { key: 'endpoint', kind: 'app-endpoint' as const }],
      plans: [{ code: 'standard', nameFr: 'Standard', nameEn: 'Standard', price: { annualFixedCents: 0, perUserCents: 1_800, perGbCents: 0, perInhabitantCents: 0 } }],
    };
    expect(await failure(admin.catalog.saveOffering({ ...offering, recipe: [{ key: 'approval', kind: 'app-endpoint' }] }))).toMatchObject({
      code: 'BAD_REQUEST', message: 'recipe : Les clés « approval » et « activate » sont réservées.',
    });
    expect((await admin.catalog.list({})).offerings.some((o) => o.slug === 'visio')).toBe(false);
    const { id } = await admin.catalog.saveOffering(offering);
    const saved = (await admin.catalog.list({})).offerings.find((o) => o.id === id)!;
    expect(saved).toMatchObject({ slug: 'visio', recipe: offering.recipe, plans: [{ code: 'standard', price: { perUserCents: 1_800 } }] });
    const operator = tenant.caller(await tenant.actorFor('syndicate_operator')).caller;
    expect((await failure(operator.catalog.saveOffering({ ...offering, slug: 'visio-2' })))?.code).toBe('FORBIDDEN');
  });
});
