import { error, fail } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import { asSubject } from '@mutualis/authz';
import type { DirectoryRole, DirectorySaveInput, DirectoryTestResult } from '@mutualis/contracts';
import type { Actions, PageServerLoad, RequestEvent } from './$types';
import { api } from '#lib/server/context.ts';
import { fieldErrorsOf, orPageError } from '#lib/server/errors.ts';
import { requireSpace } from '#lib/server/guards.ts';

/** The communes whose directory this actor may see, and the one shown (`?membre=`, else the first). */
function communesOf(event: RequestEvent) {
  const actor = requireSpace(event, 'commune');
  const seen = new Map<string, string>();
  for (const ms of actor.memberships) {
    if (ms.memberId && actor.ability.can('read', asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId: ms.memberId }))) {
      seen.set(ms.memberId, ms.memberName ?? ms.memberId);
    }
  }
  const communes = [...seen].map(([id, name]) => ({ id, name }));
  const wanted = event.url.searchParams.get('membre');
  const current = wanted ? communes.find((c) => c.id === wanted) : communes[0];
  if (!current) error(404, { message: 'not found' });
  const canUpdate = actor.ability.can('update', asSubject('MemberSettings', { syndicateId: actor.syndicateId, memberId: current.id }));
  return { communes, current, canUpdate };
}

export const load: PageServerLoad = async (event) => {
  const { communes, current, canUpdate } = communesOf(event);
  const directory = await orPageError(api(event).directory.get({ memberId: current.id }));
  return { communes, commune: current, canUpdate, directory };
};

/** The form's values as typed (shown back after a refusal or a test; never the password). */
export interface DirectoryFormValues {
  url: string; security: string; caCertificate: string; bindDn: string; baseDn: string; userFilter: string; loginAttribute: string;
  emailAttribute: string; nameAttribute: string; groupAttribute: string; electedGroups: string; dsiGroups: string; agentGroups: string;
  emailDomains: string; enabled: boolean; testEmail: string;
}

const lines = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');

function read(form: FormData): { values: DirectoryFormValues; password: string } {
  const text = (name: string) => String(form.get(name) ?? '');
  const values: DirectoryFormValues = {
    url: text('url').trim(), security: text('security'), caCertificate: text('caCertificate').trim(), bindDn: text('bindDn').trim(),
    baseDn: text('baseDn').trim(), userFilter: text('userFilter').trim(), loginAttribute: text('loginAttribute').trim(),
    emailAttribute: text('emailAttribute').trim(), nameAttribute: text('nameAttribute').trim(), groupAttribute: text('groupAttribute').trim(),
    electedGroups: text('electedGroups'), dsiGroups: text('dsiGroups'), agentGroups: text('agentGroups'), emailDomains: text('emailDomains'),
    enabled: form.get('enabled') === 'on', testEmail: text('testEmail').trim(),
  };
  return { values, password: text('bindPassword') };
}

function configOf(values: DirectoryFormValues, password: string): Omit<DirectorySaveInput, 'memberId'> {
  const mappings = (text: string, role: DirectoryRole) => lines(text).map((groupDn) => ({ groupDn, role }));
  return {
    url: values.url, security: values.security as DirectorySaveInput['security'], caCertificate: values.caCertificate, bindDn: values.bindDn,
    bindPassword: password, baseDn: values.baseDn, userFilter: values.userFilter, loginAttribute: values.loginAttribute,
    emailAttribute: values.emailAttribute, nameAttribute: values.nameAttribute, groupAttribute: values.groupAttribute,
    roleMappings: [...mappings(values.electedGroups, 'commune_elected'), ...mappings(values.dsiGroups, 'commune_dsi'), ...mappings(values.agentGroups, 'commune_agent')],
    emailDomains: values.emailDomains.split(/[\s,;]+/).filter((d) => d !== ''), enabled: values.enabled,
  };
}

/** Field errors keyed by the form's field names (`emailDomains.1` → emailDomains, `roleMappings.0.groupDn` → groups). */
function formFields(e: TRPCError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [path, message] of Object.entries(fieldErrorsOf(e))) {
    const [head] = path.replace(/^config\./, '').split('.');
    const key = head === 'roleMappings' ? 'groups' : head === 'email' ? 'testEmail' : head ?? 'input';
    fields[key] ??= message;
  }
  return fields;
}

export const actions: Actions = {
  save: async (event) => {
    const { current } = communesOf(event);
    const { values, password } = read(await event.request.formData());
    try {
      await api(event).directory.save({ memberId: current.id, ...configOf(values, password) });
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields = formFields(e);
      return fail(e.code === 'FORBIDDEN' ? 403 : e.code === 'NOT_FOUND' ? 404 : 400, {
        action: 'save' as const, values, fields, message: Object.keys(fields).length > 0 ? null : e.message, test: null,
      });
    }
    return { action: 'save' as const, saved: true, values: null, fields: {}, message: null, test: null };
  },
  test: async (event) => {
    const { current } = communesOf(event);
    const { values, password } = read(await event.request.formData());
    let test: DirectoryTestResult;
    try {
      test = await api(event).directory.test({ memberId: current.id, config: configOf(values, password), email: values.testEmail || undefined });
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      const fields = formFields(e);
      return fail(e.code === 'FORBIDDEN' ? 403 : e.code === 'NOT_FOUND' ? 404 : 400, {
        action: 'test' as const, values, fields, message: Object.keys(fields).length > 0 ? null : e.message, test: null,
      });
    }
    return { action: 'test' as const, saved: false, values, fields: {}, message: null, test };
  },
};
