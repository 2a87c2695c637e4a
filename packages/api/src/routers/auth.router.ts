import { packAbility } from '@mutualis/authz';
import { acceptInvitationInput, invitationTokenInput, loginInput, spaceOfRole, type Space } from '@mutualis/contracts';
import { acceptInvitation, authenticate, inspectInvitation, login, logout, type Actor } from '@mutualis/core';
import { authedProcedure, publicProcedure } from '../trpc.ts';

/** What the UI needs to know about the current user. */
export function describeActor(actor: Actor) {
  const spaces = [...new Set(actor.memberships.map((m) => spaceOfRole(m.role)))] as Space[];
  return {
    user: { id: actor.userId, email: actor.email, displayName: actor.displayName },
    syndicate: { id: actor.syndicateId, name: actor.syndicateName },
    memberships: actor.memberships,
    spaces,
    rules: packAbility(actor.ability),
  };
}

export const authRouter = {
  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    // A login always starts a new session; one the browser still held is ended first.
    const previous = await authenticate(ctx.db, ctx.sessionCookie.get(), ctx.meta.ip);
    if (previous) await logout(ctx.db, previous);
    const result = await login(ctx.db, input, ctx.meta, { secretKey: ctx.settings?.secretKey });
    ctx.sessionCookie.set(result.token, result.expiresAt);
    // `verify`/`enrol`: the session is open only once the second factor is shown (the page asks for it).
    return { secondFactor: result.secondFactor, ...describeActor(result.actor) };
  }),
  logout: authedProcedure.mutation(async ({ ctx }) => {
    await logout(ctx.db, ctx.actor);
    ctx.sessionCookie.clear();
    return { ok: true as const };
  }),
  me: publicProcedure.query(({ ctx }) => (ctx.actor ? describeActor(ctx.actor) : null)),
  /** Whether an invitation link still works, and for whom (the page the link opens). */
  invitation: publicProcedure.input(invitationTokenInput).query(({ ctx, input }) => inspectInvitation(ctx.db, input.token)),
  /** Sets the invited person's password, spends the link, and opens their session. */
  acceptInvitation: publicProcedure.input(acceptInvitationInput).mutation(async ({ ctx, input }) => {
    const previous = await authenticate(ctx.db, ctx.sessionCookie.get(), ctx.meta.ip);
    if (previous) await logout(ctx.db, previous);
    const result = await acceptInvitation(ctx.db, input.token, input.password, ctx.meta);
    ctx.sessionCookie.set(result.token, result.expiresAt);
    return { secondFactor: result.secondFactor, ...describeActor(result.actor) };
  }),
};
