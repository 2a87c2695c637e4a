import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { listOutbox, outboxDir } from '#lib/server/outbox.ts';

export const load: PageServerLoad = async () => {
  const dir = outboxDir();
  if (!dir) error(404, { message: 'not found' });
  return { messages: await listOutbox(dir) };
};
