import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { managedCommune } from '#lib/server/managed-commune.ts';
import { trpcFailure } from '#lib/server/mfa-actions.ts';

/** The DSI's list of the commune's people: invite, roles, sessions, disable. */
export const load: PageServerLoad = async (event) => {
  const { memberId } = managedCommune(event);
  const search = event.url.searchParams.get('q') ?? '';
  const caller = api(event);
  const [member, users] = await Promise.all([caller.members.get({ id: memberId }), caller.users.list({ memberId, search: search || undefined })]);
  return { member: { id: member.id, name: member.name }, users, search };
};

const userRef = async (event: Parameters<Actions[string]>[0]) => {
  const form = await event.request.formData();
  return { form, ref: { memberId: managedCommune(event).memberId, userId: String(form.get('userId') ?? '') } };
};

export const actions: Actions = {
  invite: async (event) => {
    const form = await event.request.formData();
    const values = { email: String(form.get('email') ?? ''), displayName: String(form.get('displayName') ?? ''), role: String(form.get('role') ?? '') };
    try {
      const result = await api(event).users.invite({ memberId: managedCommune(event).memberId, ...values, role: values.role as never });
      return { invited: values.email, roleAdded: result.workflowId === null };
    } catch (e) {
      return trpcFailure(e, { values });
    }
  },
  setRoles: async (event) => {
    const { form, ref } = await userRef(event);
    try {
      await api(event).users.setRoles({ ...ref, roles: form.getAll('roles').map(String) as never });
      return { rolesSaved: true };
    } catch (e) { return trpcFailure(e); }
  },
  disable: async (event) => {
    const { ref } = await userRef(event);
    try { await api(event).users.disable(ref); return { disabled: true }; } catch (e) { return trpcFailure(e); }
  },
  enable: async (event) => {
    const { ref } = await userRef(event);
    try { await api(event).users.enable(ref); return { enabled: true }; } catch (e) { return trpcFailure(e); }
  },
  endSessions: async (event) => {
    const { ref } = await userRef(event);
    try { return { sessionsEnded: (await api(event).users.endSessions(ref)).platformSessions }; } catch (e) { return trpcFailure(e); }
  },
};
