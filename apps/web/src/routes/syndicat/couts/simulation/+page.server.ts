import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { SimulationResult } from '@mutualis/contracts';
import type { Actions, PageServerLoad } from './$types';
import { parsePercent } from '#lib/cost-keys.ts';
import { messages } from '#lib/i18n/index.ts';
import { api } from '#lib/server/context.ts';
import { keyFromForm, mapKeyErrors } from '#lib/server/cost-key-form.ts';
import { yearOf } from '#lib/server/cost-year.ts';
import { failStatus, fieldErrorsOf, orPageError } from '#lib/server/errors.ts';
import { intOrUndefined } from '#lib/server/form-values.ts';
import { requireActor } from '#lib/server/guards.ts';

/** Finance, administrators and the board try "what ifs" on the year's allocation; nothing is saved. */
export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  if (!actor.ability.can('read', 'CostModel')) error(404, { message: 'not found' });
  const year = yearOf(event.url);
  const caller = api(event);
  // Everyone who may simulate may search the official reference (public data) to prefill a newcomer.
  const query = event.url.searchParams.get('q')?.trim().slice(0, 100) ?? '';
  const chosen = event.url.searchParams.get('choix');
  const [lines, catalog, hits, choices] = await Promise.all([
    orPageError(caller.costs.budget.lines({ year })),
    caller.catalog.list({}),
    query ? caller.members.searchReference({ query, limit: 10 }) : Promise.resolve([]),
    chosen ? caller.members.searchReference({ query: chosen, limit: 5 }) : Promise.resolve([]),
  ]);
  const choice = choices.find((h) => h.kind === 'commune' && h.inseeCode === chosen) ?? null;
  return {
    year, query,
    hits: hits.filter((h) => h.kind === 'commune').map((h) => ({ name: h.name, inseeCode: h.inseeCode!, population: h.population })),
    // Agents are not in the reference: one per 40 inhabitants, as the onboarding estimates them.
    choice: choice ? { name: choice.name, inseeCode: choice.inseeCode!, population: choice.population, agentCount: Math.round(choice.population / 40) } : null,
    lines: lines.map((l) => ({ id: l.id, label: l.label, amountCents: l.amountCents, key: l.key })),
    offerings: catalog.offerings.map((o) => ({ slug: o.slug, nameFr: o.nameFr, nameEn: o.nameEn })),
  };
};

type Section = 'join' | 'scale' | 'change';

export const actions: Actions = {
  simulate: async (event) => {
    const m = messages(event.locals.locale);
    const form = await event.request.formData();
    const year = Number(String(form.get('year') ?? ''));
    const sort = form.get('sort') === 'name' ? ('name' as const) : ('diff' as const);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const parsedKey = keyFromForm(form, 'changeKey', m, event.locals.locale);
    const values: Record<string, string> = {
      ...Object.fromEntries(['join.use', 'join.name', 'join.inseeCode', 'join.population', 'join.agentCount', 'join.joinsOn',
        'scale.use', 'scale.lineId', 'scale.percent', 'change.use', 'change.lineId'].map((n) => [n, text(n)])),
      ...parsedKey.values,
    };
    const fields: Record<string, string> = {};
    const changes: unknown[] = [];
    const sections: Section[] = [];
    if (values['join.use']) {
      changes.push({
        kind: 'join', name: values['join.name'], inseeCode: values['join.inseeCode'],
        population: intOrUndefined(values['join.population']!), agentCount: intOrUndefined(values['join.agentCount']!),
        joinsOn: values['join.joinsOn'] || undefined,
      });
      sections.push('join');
    }
    if (values['scale.use']) {
      const basisPoints = parsePercent(values['scale.percent']!);
      if (basisPoints === null) fields['scale.percent'] = m.simulation.invalidPercent;
      changes.push({ kind: 'scaleLine', lineId: values['scale.lineId'], basisPoints });
      sections.push('scale');
    }
    if (values['change.use']) {
      Object.assign(fields, parsedKey.fields);
      changes.push({ kind: 'changeKey', lineId: values['change.lineId'], key: parsedKey.key });
      sections.push('change');
    }
    if (changes.length === 0) return fail(400, { values, sort, fields, message: m.simulation.noChange, result: null });
    if (Object.keys(fields).length > 0) return fail(400, { values, sort, fields, message: null, result: null });
    try {
      const result: SimulationResult = await api(event).costs.simulate({ year, changes: changes as never });
      return { values, sort, fields, message: null, result };
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const mapped: Record<string, string> = {};
      for (const [path, message] of Object.entries(fieldErrorsOf(e))) {
        const match = /^changes\.(\d+)(?:\.(.+))?$/.exec(path);
        const section = match ? sections[Number(match[1])] : undefined;
        if (!match || !section) { mapped[path] ??= message; continue; }
        const field = match[2] ?? '';
        if (section === 'change' && (field === 'key' || field.startsWith('key.'))) {
          Object.assign(mapped, mapKeyErrors({ [path]: message }, `changes.${match[1]}.key`, 'changeKey', parsedKey.rowOfPart));
        } else {
          mapped[`${section}.${field === 'basisPoints' ? 'percent' : field || 'use'}`] ??= message;
        }
      }
      const known = Object.keys(mapped).some((f) => /^(join|scale|change|changeKey)\./.test(f));
      return fail(failStatus(e), { values, sort, fields: mapped, message: known ? null : e.message, result: null });
    }
  },
};
