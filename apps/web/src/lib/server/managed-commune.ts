import { error, type RequestEvent } from '@sveltejs/kit';
import type { Actor } from '@mutualis/core';
import { requireActor } from './guards.ts';

/**
 * The commune a management page acts on: `?commune=<id>` (a DSI of several communes, or syndicate
 * staff coming from a member's page), else the first commune the person is DSI of.
 */
export function managedCommune(event: RequestEvent): { actor: Actor; memberId: string } {
  const actor = requireActor(event);
  const asked = event.url.searchParams.get('commune');
  const memberId = asked ?? actor.memberships.find((ms) => ms.role === 'commune_dsi')?.memberId;
  if (!memberId || !/^[0-9a-f-]{36}$/.test(memberId)) error(404, { message: 'not found' });
  return { actor, memberId };
}
