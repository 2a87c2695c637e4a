import { error, fail, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { messages } from '#lib/i18n/index.ts';
import { parseEuros } from '#lib/money.ts';
import { api } from '#lib/server/context.ts';
import { keyFromForm, mapKeyErrors } from '#lib/server/cost-key-form.ts';
import { parisYear, yearOf } from '#lib/server/cost-year.ts';
import { failStatus, fieldErrorsOf, orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

/** The syndicate's cost model: finance and administrators change it, the board reads it. */
export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  if (!actor.ability.can('read', 'CostModel')) error(404, { message: 'not found' });
  const year = yearOf(event.url);
  const canEdit = actor.ability.can('update', 'CostModel');
  const caller = api(event);
  const [lines, previous, catalog, publication] = await Promise.all([
    orPageError(caller.costs.budget.lines({ year })),
    canEdit ? caller.costs.budget.lines({ year: year - 1 }) : Promise.resolve([]),
    caller.catalog.list({}),
    caller.costs.publication.get(),
  ]);
  const editId = event.url.searchParams.get('modifier');
  const savedId = event.url.searchParams.get('enregistre');
  return {
    year, thisYear: parisYear(), canEdit,
    lines: lines.map((l) => ({ id: l.id, label: l.label, amountCents: l.amountCents, key: l.key })),
    previousCount: previous.length,
    offerings: catalog.offerings.map((o) => ({ slug: o.slug, nameFr: o.nameFr, nameEn: o.nameEn })),
    publishedToMembers: publication.publishedToMembers,
    editing: canEdit ? (lines.find((l) => l.id === editId) ?? null) : null,
    saved: lines.find((l) => l.id === savedId)?.label ?? null,
  };
};

const yearFrom = (form: FormData) => Number(String(form.get('year') ?? ''));

export const actions: Actions = {
  save: async (event) => {
    const m = messages(event.locals.locale);
    const form = await event.request.formData();
    const year = yearFrom(form);
    const id = String(form.get('id') ?? '') || undefined;
    const parsed = keyFromForm(form, 'key', m, event.locals.locale);
    const values = { label: String(form.get('label') ?? ''), amount: String(form.get('amount') ?? '').trim(), ...parsed.values };
    const fields: Record<string, string> = { ...parsed.fields };
    const amountCents = parseEuros(values.amount);
    if (amountCents === null) fields.amount = m.costModel.invalidEuros;
    if (Object.keys(fields).length > 0 || amountCents === null) return fail(400, { action: 'save' as const, id, values, fields, message: null });
    let savedId: string;
    try {
      savedId = (await api(event).costs.budget.setLine({ id, year, label: values.label, amountCents, key: parsed.key as never })).id;
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const apiFields = fieldErrorsOf(e);
      const mapped = mapKeyErrors(apiFields, 'key', 'key', parsed.rowOfPart);
      if (mapped.amountCents) mapped.amount ??= mapped.amountCents;
      const known = Object.keys(mapped).some((f) => f === 'label' || f === 'amount' || f.startsWith('key.'));
      return fail(failStatus(e), { action: 'save' as const, id, values, fields: mapped, message: known ? null : e.message });
    }
    redirect(303, `/syndicat/couts?annee=${year}&enregistre=${savedId}#lignes`);
  },
  remove: async (event) => removeLine(event),
  copy: async (event) => {
    const form = await event.request.formData();
    const year = yearFrom(form);
    const caller = api(event);
    try {
      const [from, to] = await Promise.all([caller.costs.budget.lines({ year: year - 1 }), caller.costs.budget.lines({ year })]);
      const taken = new Set(to.map((l) => l.label));
      const missing = from.filter((l) => !taken.has(l.label));
      // One line after the other: each is audited on its own, as if typed in.
      for (const line of missing) await caller.costs.budget.setLine({ year, label: line.label, amountCents: line.amountCents, key: line.key });
      return { action: 'copy' as const, copied: missing.length };
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      return fail(failStatus(e), { action: 'copy' as const, message: e.message });
    }
  },
  publish: async (event) => {
    const form = await event.request.formData();
    try {
      const publishedToMembers = form.get('publishedToMembers') === 'on';
      await api(event).costs.publication.set({ publishedToMembers });
      return { action: 'publish' as const, published: publishedToMembers };
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      return fail(failStatus(e), { action: 'publish' as const, message: e.message });
    }
  },
};

async function removeLine(event: RequestEvent) {
  const m = messages(event.locals.locale);
  const form = await event.request.formData();
  const label = String(form.get('label') ?? '');
  try {
    await api(event).costs.budget.removeLine({ id: String(form.get('id') ?? '') });
    return { action: 'remove' as const, removed: m.costModel.removed(label) };
  } catch (e) {
    if (!(e instanceof TRPCError)) throw e;
    return fail(failStatus(e), { action: 'remove' as const, message: e.message });
  }
}
