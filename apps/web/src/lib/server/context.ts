import type { RequestEvent } from '@sveltejs/kit';
import { createCaller, type Context } from '@mutualis/api';
import { createDb, type Db } from '@mutualis/db';
import { temporalClient } from '@mutualis/temporal';
import { env } from './env.ts';

export const SESSION_COOKIE = 'mutualis_session';

let db: Db | undefined;
/** One connection pool per web process, as the application role. */
export function database(): Db {
  db ??= createDb(env().APP_DATABASE_URL, { max: 10, applicationName: 'mutualis-web' });
  return db;
}

/** Secure cookies everywhere but plain-http localhost (development). */
export function secureCookie(url: URL): boolean {
  return url.protocol === 'https:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** The tRPC context of one request: its actor (from hooks), its address, and its session cookie. */
export function createContext(event: RequestEvent): Context {
  return {
    db: database(),
    actor: event.locals.actor,
    meta: { ip: event.getClientAddress(), userAgent: event.request.headers.get('user-agent') },
    temporal: () => temporalClient({ address: env().TEMPORAL_ADDRESS, namespace: env().TEMPORAL_NAMESPACE }),
    settings: {
      memberRetentionDays: env().MEMBER_RETENTION_DAYS, subscriptionGraceDays: env().SUBSCRIPTION_GRACE_DAYS, secretKey: env().MUTUALIS_SECRET_KEY,
      origin: env().ORIGIN ?? event.url.origin,
    },
    sessionCookie: {
      get: () => event.cookies.get(SESSION_COOKIE),
      set: (token, expiresAt) => event.cookies.set(SESSION_COOKIE, token, {
        path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookie(event.url), expires: expiresAt,
      }),
      clear: () => event.cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookie(event.url) }),
    },
  };
}

/** The tRPC server caller for load functions and form actions: the same procedures the browser calls. */
export function api(event: RequestEvent) {
  return createCaller(createContext(event));
}
