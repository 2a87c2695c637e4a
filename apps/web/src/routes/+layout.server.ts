import type { LayoutServerLoad } from './$types';
import { api } from '#lib/server/context.ts';

export const load: LayoutServerLoad = async (event) => ({
  locale: event.locals.locale,
  me: await api(event).auth.me(),
});
