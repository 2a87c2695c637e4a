import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { Action, SubjectName } from '@mutualis/authz';
import { DomainError, ThrottledError, ValidationError, type Actor, type RequestMeta } from '@mutualis/core';
import type { Db } from '@mutualis/db';
import type { TemporalClient } from '@mutualis/temporal';

/** How the transport keeps the session token (an HttpOnly cookie in the web app). */
export interface SessionCookie {
  get(): string | undefined;
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface Context {
  db: Db;
  actor: Actor | null;
  meta: RequestMeta;
  sessionCookie: SessionCookie;
  /** The process's Temporal client, connected on first use. */
  temporal: () => Promise<TemporalClient>;
  /** Settings of the process the procedures depend on; defaults apply where one is missing. */
  settings?: ApiSettings;
}

export interface ApiSettings {
  /** How many days a departing member's data is kept before erasure (MEMBER_RETENTION_DAYS, default 90). */
  memberRetentionDays?: number;
  /** How many days a cancelled subscription keeps its data before removal (SUBSCRIPTION_GRACE_DAYS, default 30). */
  subscriptionGraceDays?: number;
  /** The key secrets are encrypted with (MUTUALIS_SECRET_KEY); needed to show a secret to its DSI. */
  secretKey?: string;
  /** The platform's public origin (ORIGIN): WebAuthn credentials are bound to its host name; upstream providers send people back to it. */
  origin?: string;
}

/** What a procedure does to which subject: declared on every procedure, checked in middleware. */
export type Permission = { action: Action; subject: SubjectName } | { anyOf: Array<{ action: Action; subject: SubjectName }> } | 'public' | 'authenticated';
export interface ProcedureMeta { permission: Permission }

export interface FieldIssue { field: string; message: string }

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const issues: FieldIssue[] | undefined = error.cause instanceof ZodError
      ? error.cause.issues.map((i) => ({ field: i.path.join('.') || 'input', message: i.message }))
      : error.cause instanceof ValidationError ? [{ field: error.cause.field, message: error.cause.message }] : undefined;
    const retryAt = error.cause instanceof ThrottledError ? error.cause.retryAt.toISOString() : undefined;
    const message = issues?.[0] && error.cause instanceof ZodError ? `${issues[0].field} : ${issues[0].message}` : shape.message;
    // Internal errors never show their details to the person on the other side.
    const safeMessage = error.code === 'INTERNAL_SERVER_ERROR' ? 'Une erreur interne est survenue. Réessayez ; si elle persiste, prévenez le syndicat.' : message;
    return { ...shape, message: safeMessage, data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, issues, retryAt } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain errors become tRPC errors with the same sentence; anything else stays an internal error. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

const base = t.procedure.use(mapDomainErrors);

/** No login needed (login itself, `auth.me`). */
export const publicProcedure = base.meta({ permission: 'public' });

const requireActor = t.middleware(({ ctx, next }) => {
  if (!ctx.actor) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Votre session a expiré : reconnectez-vous.' });
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

/** Any logged-in user, acting on themselves only (logout, own sessions). */
export const authedProcedure = base.meta({ permission: 'authenticated' }).use(requireActor);

/**
 * A procedure that needs `action` on `subject`: refused with FORBIDDEN before any work when the
 * ability has no rule for it at all; row-level conditions are then enforced by the service's
 * query (rules → SQL where) and by row-level security.
 */
export function can(action: Action, subject: SubjectName) {
  return base.meta({ permission: { action, subject } }).use(requireActor).use(({ ctx, next }) => {
    if (!ctx.actor!.ability.can(action, subject)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: "Votre rôle ne permet pas cette action." });
    }
    return next();
  });
}

/** A procedure that needs any one of several permissions (e.g. public reference data several roles search for different tasks). */
export function canAny(...permissions: Array<[Action, SubjectName]>) {
  return base.meta({ permission: { anyOf: permissions.map(([action, subject]) => ({ action, subject })) } }).use(requireActor).use(({ ctx, next }) => {
    if (!permissions.some(([action, subject]) => ctx.actor!.ability.can(action, subject))) {
      throw new TRPCError({ code: 'FORBIDDEN', message: "Votre rôle ne permet pas cette action." });
    }
    return next();
  });
}
