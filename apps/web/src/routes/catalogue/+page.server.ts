import { error, fail, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { messages } from '#lib/i18n/index.ts';
import { parseEuros } from '#lib/money.ts';
import { api } from '#lib/server/context.ts';
import { intOrUndefined } from '#lib/server/form-values.ts';
import { failStatus, fieldErrorsOf, orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

const uuid = z.uuid();

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  if (!actor.ability.can('read', 'Offering')) error(404, { message: 'not found' });
  const caller = api(event);
  const isStaff = actor.memberships.some((ms) => ms.memberId === null);
  const dsiCommunes = actor.memberships.filter((ms) => ms.role === 'commune_dsi' && ms.memberId !== null).map((ms) => ({ id: ms.memberId!, name: ms.memberName ?? ms.memberId! }));
  // Staff price the catalogue for a member they choose; a DSI sees their own commune's prices.
  const chosen = event.url.searchParams.get('membre');
  const memberId = chosen && uuid.safeParse(chosen).success ? chosen : undefined;
  const [catalog, members] = await Promise.all([
    orPageError(caller.catalog.list({ memberId })),
    isStaff && actor.ability.can('read', 'Member') ? caller.members.list({ limit: 200, status: 'active' }).then((p) => p.items.map((i) => ({ id: i.id, name: i.name })))
      // A DSI of several communes chooses which one the prices are for.
      : Promise.resolve(dsiCommunes.length > 1 ? dsiCommunes : []),
  ]);
  const canRequest = catalog.pricedFor !== null
    && actor.ability.can('create', 'Subscription') && (isStaff || actor.memberships.some((ms) => ms.role === 'commune_dsi' && ms.memberId === catalog.pricedFor!.memberId));
  return { catalog, members, isStaff, canRequest, canSetPrices: actor.ability.can('update', 'Offering') };
};


export const actions: Actions = {
  request: async (event) => {
    const form = await event.request.formData();
    const offeringId = String(form.get('offeringId') ?? '');
    const values = { planId: String(form.get('planId') ?? ''), seats: String(form.get('seats') ?? ''), storageGb: String(form.get('storageGb') ?? '') };
    let subscriptionId: string;
    try {
      ({ subscriptionId } = await api(event).subscriptions.request({
        memberId: String(form.get('memberId') ?? ''), offeringId, planId: values.planId,
        seats: intOrUndefined(form.get('seats')), storageGb: form.has('storageGb') ? intOrUndefined(form.get('storageGb')) : undefined,
      }));
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields = fieldErrorsOf(e);
      const known = ['planId', 'seats', 'storageGb'].some((f) => fields[f]);
      return fail(failStatus(e), { action: 'request' as const, offeringId, values, fields, message: known ? null : e.message });
    }
    redirect(303, `/services/${subscriptionId}`);
  },
  setPrice: async (event) => {
    const m = messages(event.locals.locale);
    const form = await event.request.formData();
    const planId = String(form.get('planId') ?? '');
    const planName = String(form.get('planName') ?? '');
    const names = ['annualFixed', 'perUser', 'perGb', 'perInhabitant'] as const;
    const values = Object.fromEntries([...names, 'effectiveFrom'].map((n) => [n, String(form.get(n) ?? '').trim()])) as Record<(typeof names)[number] | 'effectiveFrom', string>;
    const fields: Record<string, string> = {};
    const cents = Object.fromEntries(names.map((n) => {
      const parsed = parseEuros(values[n]);
      if (parsed === null) fields[n] = m.catalog.invalidEuros;
      return [n, parsed ?? 0];
    })) as Record<(typeof names)[number], number>;
    if (Object.keys(fields).length > 0) return fail(400, { action: 'setPrice' as const, planId, values, fields, message: null });
    try {
      const saved = await api(event).catalog.setPrice({
        planId, effectiveFrom: values.effectiveFrom,
        price: { annualFixedCents: cents.annualFixed, perUserCents: cents.perUser, perGbCents: cents.perGb, perInhabitantCents: cents.perInhabitant },
      });
      return { action: 'setPrice' as const, planId, saved: m.catalog.priceSaved(planName, saved.effectiveFrom) };
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      // The API names price fields `price.perUserCents`…; the form names them `perUser`…
      const apiFields = fieldErrorsOf(e);
      const mapped: Record<string, string> = {};
      for (const [path, message] of Object.entries(apiFields)) {
        const key = path.startsWith('price.') ? path.slice('price.'.length).replace(/Cents$/, '') : path;
        mapped[key] ??= message;
      }
      const known = [...names, 'effectiveFrom'].some((f) => mapped[f]);
      return fail(failStatus(e), { action: 'setPrice' as const, planId, values, fields: mapped, message: known ? null : e.message });
    }
  },
  /**
   * The price a commune would pay alone for an offering (savings from pooling): saved through
   * `catalog.saveOffering` with every other field of the offering as it is; four empty fields clear it.
   */
  setStandalone: async (event) => {
    const m = messages(event.locals.locale);
    const form = await event.request.formData();
    const offeringId = String(form.get('offeringId') ?? '');
    const offeringName = String(form.get('offeringName') ?? '');
    const names = ['annualFixed', 'perUser', 'perGb', 'perInhabitant'] as const;
    const values = Object.fromEntries(names.map((n) => [n, String(form.get(n) ?? '').trim()])) as Record<(typeof names)[number], string>;
    const cleared = names.every((n) => values[n] === '');
    const fields: Record<string, string> = {};
    const cents = Object.fromEntries(names.map((n) => {
      // An empty rate next to others is 0 €, as in a plan's price.
      const parsed = values[n] === '' ? 0 : parseEuros(values[n]);
      if (parsed === null) fields[n] = m.catalog.invalidEuros;
      return [n, parsed ?? 0];
    })) as Record<(typeof names)[number], number>;
    if (Object.keys(fields).length > 0) return fail(400, { action: 'setStandalone' as const, offeringId, values, fields, message: null });
    try {
      const caller = api(event);
      const offering = (await caller.catalog.list({})).offerings.find((o) => o.id === offeringId);
      if (!offering) error(404, { message: 'not found' });
      const { id, plans: _plans, subscription: _subscription, standalonePrice: _before, ...kept } = offering;
      await caller.catalog.saveOffering({
        ...kept, id, plans: [],
        standalonePrice: cleared ? null : { annualFixedCents: cents.annualFixed, perUserCents: cents.perUser, perGbCents: cents.perGb, perInhabitantCents: cents.perInhabitant },
      });
      return { action: 'setStandalone' as const, offeringId, saved: cleared ? m.catalog.standaloneCleared(offeringName) : m.catalog.standaloneSaved(offeringName) };
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const mapped: Record<string, string> = {};
      for (const [path, message] of Object.entries(fieldErrorsOf(e))) {
        mapped[path.startsWith('standalonePrice.') ? path.slice('standalonePrice.'.length).replace(/Cents$/, '') : path] ??= message;
      }
      const known = names.some((f) => mapped[f]);
      return fail(failStatus(e), { action: 'setStandalone' as const, offeringId, values, fields: mapped, message: known ? null : e.message });
    }
  },
};
