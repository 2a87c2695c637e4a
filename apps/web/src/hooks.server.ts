import type { Handle } from '@sveltejs/kit/hooks';
import { authenticate, pendingSession } from '@mutualis/core';
import { pickLocale } from '#lib/i18n/index.ts';
import { database, SESSION_COOKIE } from '#lib/server/context.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every request: refuse cross-site mutations (origin check, whatever the content type — SvelteKit
 * only checks form posts), resolve the session cookie to an actor, pick the language.
 */
export const handle: Handle = async ({ event, resolve }) => {
  if (!SAFE_METHODS.has(event.request.method)) {
    const origin = event.request.headers.get('origin');
    if (origin !== event.url.origin) {
      return new Response('Requête refusée : origine inconnue (protection CSRF).', { status: 403 });
    }
  }
  const token = event.cookies.get(SESSION_COOKIE);
  event.locals.actor = token ? await authenticate(database(), token, event.getClientAddress()) : null;
  // A session awaiting its second factor keeps its cookie (the verification page needs it); a dead one loses it.
  if (token && !event.locals.actor && !(await pendingSession(database(), token))) event.cookies.delete(SESSION_COOKIE, { path: '/' });
  event.locals.locale = pickLocale(event.cookies.get('lang'));

  const response = await resolve(event, {
    transformPageChunk: ({ html }) => html.replace('%lang%', event.locals.locale),
  });
  response.headers.set('X-Content-Type-Options', 'nosniff');
  response.headers.set('Referrer-Policy', 'same-origin');
  response.headers.set('X-Frame-Options', 'DENY');
  return response;
};
