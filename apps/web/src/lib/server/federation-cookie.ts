import type { RequestEvent } from '@sveltejs/kit';
import { secureCookie } from './context.ts';

/** The sealed login request of a sign-in through the commune's provider (see core/federation/federated-login.ts). */
export const FEDERATION_COOKIE = 'mutualis_federation';
const PATH = '/connexion/federation';

export function setFederationCookie(event: RequestEvent, sealed: string, expiresAt: Date): void {
  event.cookies.set(FEDERATION_COOKIE, sealed, { path: PATH, httpOnly: true, sameSite: 'lax', secure: secureCookie(event.url), expires: expiresAt });
}

export function takeFederationCookie(event: RequestEvent): string | undefined {
  const value = event.cookies.get(FEDERATION_COOKIE);
  if (value !== undefined) event.cookies.delete(FEDERATION_COOKIE, { path: PATH, httpOnly: true, sameSite: 'lax', secure: secureCookie(event.url) });
  return value;
}
