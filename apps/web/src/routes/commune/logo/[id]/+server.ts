import { error } from '@sveltejs/kit';
import { memberLogo } from '@mutualis/core';
import type { RequestHandler } from './$types';
import { database } from '#lib/server/context.ts';
import { requireActor } from '#lib/server/guards.ts';

/** A commune's logo, for the people who may see the commune (row-level security decides). */
export const GET: RequestHandler = async (event) => {
  const actor = requireActor(event);
  if (!/^[0-9a-f-]{36}$/.test(event.params.id)) error(404, { message: 'not found' });
  const logo = await memberLogo(database(), actor, event.params.id);
  if (!logo) error(404, { message: 'not found' });
  return new Response(new Uint8Array(logo.data), {
    headers: { 'content-type': logo.type, 'cache-control': 'private, max-age=300', 'content-security-policy': "default-src 'none'" },
  });
};
