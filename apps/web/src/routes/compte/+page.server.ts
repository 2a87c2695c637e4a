import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { requireActor } from '#lib/server/guards.ts';
import { enrolmentActions, trpcFailure } from '#lib/server/mfa-actions.ts';

/** One's own account: second factors, recovery codes, open sessions. */
export const load: PageServerLoad = async (event) => {
  requireActor(event);
  const caller = api(event);
  const [status, sessions] = await Promise.all([caller.mfa.status(), caller.sessions.list()]);
  return { status, sessions };
};

export const actions: Actions = {
  ...enrolmentActions,
  removeFactor: async (event) => {
    const form = await event.request.formData();
    try {
      await api(event).mfa.removeFactor({ factorId: String(form.get('factorId') ?? '') });
      return { removed: true };
    } catch (e) {
      return trpcFailure(e);
    }
  },
  regenerate: async (event) => {
    try {
      return { confirmed: true, recoveryCodes: await api(event).mfa.regenerateRecoveryCodes() };
    } catch (e) {
      return trpcFailure(e);
    }
  },
  endSession: async (event) => {
    const form = await event.request.formData();
    try {
      await api(event).sessions.end({ sessionId: String(form.get('sessionId') ?? '') });
      return { ended: true };
    } catch (e) {
      return trpcFailure(e);
    }
  },
};
