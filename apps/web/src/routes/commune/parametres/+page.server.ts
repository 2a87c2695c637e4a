import type { Actions, PageServerLoad } from './$types';
import { api } from '#lib/server/context.ts';
import { managedCommune } from '#lib/server/managed-commune.ts';
import { trpcFailure } from '#lib/server/mfa-actions.ts';

/** The commune's settings: who needs a second factor, and how the portal looks. */
export const load: PageServerLoad = async (event) => {
  const { memberId } = managedCommune(event);
  return { settings: await api(event).settings.get({ memberId }) };
};

export const actions: Actions = {
  mfa: async (event) => {
    const form = await event.request.formData();
    try {
      await api(event).settings.setMfaPolicy({ memberId: managedCommune(event).memberId, policy: String(form.get('policy') ?? '') as never });
      return { saved: true };
    } catch (e) { return trpcFailure(e); }
  },
  branding: async (event) => {
    const form = await event.request.formData();
    const file = form.get('logo');
    let logo: { type: string; base64: string } | null | undefined;
    if (form.get('removeLogo') === 'on') logo = null;
    else if (file instanceof File && file.size > 0) logo = { type: file.type, base64: Buffer.from(await file.arrayBuffer()).toString('base64') };
    const color = String(form.get('brandColor') ?? '');
    try {
      await api(event).settings.setBranding({
        memberId: managedCommune(event).memberId, brandName: String(form.get('brandName') ?? ''),
        brandColor: form.get('defaultColor') === 'on' || !color ? null : color, logo: logo as never,
      });
      return { saved: true };
    } catch (e) { return trpcFailure(e); }
  },
};
