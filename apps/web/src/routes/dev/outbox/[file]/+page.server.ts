import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { outboxDir, readOutbox } from '#lib/server/outbox.ts';

export const load: PageServerLoad = async ({ params }) => {
  const dir = outboxDir();
  const message = dir ? await readOutbox(dir, params.file) : null;
  if (!message) error(404, { message: 'not found' });
  return { message };
};
