import { error, type RequestEvent } from '@sveltejs/kit';
import type { Role } from '@mutualis/contracts';
import type { Actor } from '@mutualis/core';
import { requireActor } from './guards.ts';

/**
 * The commune a management page acts on: `?commune=<id>` (a DSI of several communes, or syndicate
 * staff coming from a member's page), else the first commune the person is DSI of (or holds one
 * of `roles`, for pages that other commune roles read too).
 */
export function managedCommune(event: RequestEvent, roles: readonly Role[] = ['commune_dsi']): { actor: Actor; memberId: string } {
  const actor = requireActor(event);
  const asked = event.url.searchParams.get('commune');
  const memberId = asked ?? actor.memberships.find((ms) => roles.includes(ms.role))?.memberId;
  if (!memberId || !/^[0-9a-f-]{36}$/.test(memberId)) error(404, { message: 'not found' });
  return { actor, memberId };
}

/** The commune roles that read their commune's costs (elected officials and the DSI). */
export const COST_ROLES: readonly Role[] = ['commune_elected', 'commune_dsi'];
