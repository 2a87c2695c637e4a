import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { safeRedirect } from '#lib/server/guards.ts';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const lang = form.get('lang') === 'en' ? 'en' : 'fr';
    event.cookies.set('lang', lang, { path: '/', httpOnly: false, sameSite: 'lax', secure: event.url.protocol === 'https:', maxAge: 365 * 24 * 3600 });
    redirect(303, safeRedirect(String(form.get('back') ?? '')) ?? '/');
  },
};
