import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import { isSyndicateRole, spaceOfRole, type Space } from '@mutualis/contracts';
import type { Actor } from '@mutualis/core';

/** The logged-in actor, or a redirect to the login page that comes back here afterwards. */
export function requireActor(event: RequestEvent): Actor {
  const actor = event.locals.actor;
  if (!actor) redirect(303, `/connexion?redirectTo=${encodeURIComponent(event.url.pathname + event.url.search)}`);
  return actor;
}

export function spacesOf(actor: Actor): Space[] {
  return [...new Set(actor.memberships.map((m) => spaceOfRole(m.role)))];
}

/** A space of the UI is only for the roles it serves; others get "not found", as for a foreign page. */
export function requireSpace(event: RequestEvent, space: Space): Actor {
  const actor = requireActor(event);
  const spaces = spacesOf(actor);
  // A user with no role yet (an external provider before any grant) lands in the commune space, which says so.
  const allowed = spaces.includes(space) || (space === 'commune' && spaces.length === 0);
  if (!allowed) error(404, { message: 'not found' });
  return actor;
}

/**
 * Whether the actor sees every member's contribution (the board's cost pages): a syndicate-wide
 * role whose ability reads allocations — board members, finance, administrators. A commune's
 * roles may read their own allocation too, so the ability alone does not decide.
 */
export function seesAllocationOverview(actor: Actor): boolean {
  return actor.memberships.some((m) => isSyndicateRole(m.role)) && actor.ability.can('read', 'Allocation');
}

/** The board's cost pages: others get "not found", as for a foreign page. */
export function requireAllocationOverview(event: RequestEvent): Actor {
  const actor = requireActor(event);
  if (!seesAllocationOverview(actor)) error(404, { message: 'not found' });
  return actor;
}

/** Where a user lands after login: their first space in the order syndicate, board, commune. */
export function homeOf(actor: Actor): string {
  const spaces = spacesOf(actor);
  if (spaces.includes('syndicate')) return '/syndicat';
  if (spaces.includes('board')) return '/comite';
  return '/commune';
}

/** Only same-site paths are followed after login (no open redirect). */
export function safeRedirect(target: string | null): string | null {
  return target && target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\') ? target : null;
}
