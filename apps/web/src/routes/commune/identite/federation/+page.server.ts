import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { asSubject } from '@mutualis/authz';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { api } from '#lib/server/context.ts';
import { failStatus, fieldErrorsOf, orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

/** The commune the page is about: `?membre=<id>`, else the first commune whose settings the person may read. */
function memberOf(event: RequestEvent): string {
  const actor = requireActor(event);
  const chosen = event.url.searchParams.get('membre');
  if (chosen) return chosen;
  const own = actor.memberships.find((ms) => ms.memberId && actor.ability.can('read', asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId: ms.memberId })));
  if (!own?.memberId) error(404, { message: 'not found' });
  return own.memberId;
}

export const load: PageServerLoad = async (event) => {
  const actor = requireActor(event);
  const memberId = memberOf(event);
  const caller = api(event);
  const [settings, member] = await Promise.all([
    orPageError(caller.federation.get({ memberId })),
    orPageError(caller.members.get({ id: memberId })),
  ]);
  const canUpdate = actor.ability.can('update', asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId }));
  return { settings, member: { id: member.id, name: member.name }, canUpdate };
};

const words = (value: FormDataEntryValue | null) => String(value ?? '').split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);
const ROLE_WORDS: Record<string, string> = { agent: 'commune_agent', agents: 'commune_agent', elu: 'commune_elected', 'élu': 'commune_elected', elus: 'commune_elected', 'élus': 'commune_elected' };

/** "groupe = elu" lines; an unknown role word reaches the API as is, which refuses it next to the field. */
function roleMapping(value: FormDataEntryValue | null) {
  return String(value ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean).map((line) => {
    const at = line.lastIndexOf('=');
    const group = at < 0 ? line : line.slice(0, at).trim();
    const role = at < 0 ? '' : line.slice(at + 1).trim().toLowerCase();
    return { group, role: (ROLE_WORDS[role] ?? role) as 'commune_agent' };
  });
}

export const actions: Actions = {
  save: async (event) => {
    const memberId = memberOf(event);
    const form = await event.request.formData();
    const values = Object.fromEntries([...form.entries()].filter(([k]) => k !== 'clientSecret').map(([k, v]) => [k, String(v)]));
    try {
      await api(event).federation.save({
        memberId,
        label: String(form.get('label') ?? ''),
        issuer: String(form.get('issuer') ?? ''),
        clientId: String(form.get('clientId') ?? ''),
        clientSecret: String(form.get('clientSecret') ?? ''),
        scopes: words(form.get('scopes')),
        emailClaim: String(form.get('emailClaim') ?? '').trim() || 'email',
        nameClaims: words(form.get('nameClaims')),
        groupsClaim: String(form.get('groupsClaim') ?? '').trim() || null,
        roleMapping: roleMapping(form.get('roleMapping')),
        defaultRole: String(form.get('defaultRole') ?? 'commune_agent') as 'commune_agent',
        mfaAcrValues: words(form.get('mfaAcrValues')),
        emailDomains: words(form.get('emailDomains')),
        enabled: form.get('enabled') === 'on',
      });
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields: Record<string, string> = {};
      for (const [path, message] of Object.entries(fieldErrorsOf(e))) fields[path.split('.')[0]!] ??= message;
      return fail(failStatus(e), { action: 'save' as const, values, fields, message: e.message });
    }
    return { action: 'save' as const, saved: true };
  },
  test: async (event) => {
    const memberId = memberOf(event);
    try {
      return { action: 'test' as const, test: await api(event).federation.test({ memberId }) };
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      return fail(failStatus(e), { action: 'test' as const, message: e.message, fields: {} as Record<string, string> });
    }
  },
};
