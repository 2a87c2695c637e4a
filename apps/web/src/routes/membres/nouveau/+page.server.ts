import { error, fail, redirect } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { requireActor } from '#lib/server/guards.ts';

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  if (!actor.ability.can('create', 'Member')) error(404, { message: 'not found' });
  const query = event.url.searchParams.get('q')?.trim().slice(0, 100) ?? '';
  const chosen = event.url.searchParams.get('choix');
  const caller = api(event);
  const hits = query ? await caller.members.searchReference({ query, limit: 20 }) : [];
  // The chosen entry is looked up again by its code, so the form never trusts the browser's copy.
  const choice = chosen ? (await caller.members.searchReference({ query: chosen, limit: 5 })).find((h) => (h.inseeCode ?? h.siren) === chosen) ?? null : null;
  return { query, hits, choice };
};

export const actions: Actions = {
  bulk: async (event) => {
    const form = await event.request.formData();
    try {
      const { workflowId } = await api(event).members.onboardEpci({ siren: String(form.get('siren') ?? '') });
      redirect(303, `/membres/adhesions/${workflowId.split(':')[1]}`);
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      return fail(400, { values: null, fields: {}, message: e.message });
    }
  },
  onboard: async (event) => {
    const form = await event.request.formData();
    const kind = String(form.get('kind') ?? '');
    const code = String(form.get('code') ?? '');
    const agentCount = form.get('agentCount') ? Number(form.get('agentCount')) : undefined;
    const dsiEmail = String(form.get('dsiEmail') ?? '').trim();
    const dsiName = String(form.get('dsiName') ?? '').trim();
    const dsi = dsiEmail || dsiName ? { email: dsiEmail, name: dsiName } : null;
    const values = { agentCount: form.get('agentCount') ?? '', dsiEmail, dsiName, code, name: String(form.get('name') ?? '') };
    try {
      const name = String(form.get('name') ?? '').trim() || undefined;
      const population = form.get('population') ? Number(form.get('population')) : undefined;
      const input = kind === 'commune'
        ? { kind: 'commune' as const, inseeCode: code, agentCount, dsi }
        : { kind: kind === 'other' ? 'other' as const : 'epci' as const, siren: code, name, population, agentCount, dsi };
      const { memberId } = await api(event).members.onboard(input);
      redirect(303, `/membres/${memberId}`);
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields: Record<string, string> = {};
      if (e.cause instanceof ZodError) {
        for (const issue of e.cause.issues) {
          const path = issue.path.join('.');
          const key = path === 'dsi.email' ? 'dsiEmail' : path === 'dsi.name' ? 'dsiName' : path === 'agentCount' ? 'agentCount' : path === 'name' ? 'name' : 'code';
          fields[key] ??= issue.message;
        }
      }
      return fail(e.code === 'BAD_REQUEST' ? 400 : 500, { values, fields, message: e.cause instanceof ZodError ? null : e.message });
    }
  },
};
