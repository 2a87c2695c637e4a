import { TRPCError } from '@trpc/server';
import { federationBeginInput, federationCompleteInput, federationMemberInput, federationSaveInput } from '@mutualis/contracts';
import {
  authenticate, beginFederatedLogin, completeFederatedLogin, getFederationSettings, logout, saveFederationSettings, testFederation,
  type FederationServerSettings,
} from '@mutualis/core';
import { can, publicProcedure, type Context } from '../trpc.ts';
import { describeActor } from './auth.router.ts';

/** The secret key and public origin the federation needs; a server without them says so instead of failing later. */
function serverSettings(ctx: Context): FederationServerSettings {
  const secretKey = ctx.settings?.secretKey;
  const origin = ctx.settings?.origin;
  if (!secretKey || !origin) {
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: "Le serveur n'a pas de clé de chiffrement (MUTUALIS_SECRET_KEY) ou d'adresse publique (ORIGIN) : prévenez le syndicat." });
  }
  return { secretKey, origin };
}

/** A member's upstream OpenID provider (per-member federation), and the login through it. */
export const federationRouter = {
  /** The member's provider without its secret (only whether one is set), and the redirect URI to register upstream. */
  get: can('read', 'MemberSettings').input(federationMemberInput).query(({ ctx, input }) =>
    getFederationSettings(ctx.db, ctx.actor, input.memberId, serverSettings(ctx).origin)),
  /** Creates or updates it (the secret is kept when left out). */
  save: can('update', 'MemberSettings').input(federationSaveInput).mutation(({ ctx, input }) =>
    saveFederationSettings(ctx.db, ctx.actor, input, serverSettings(ctx).secretKey)),
  /** Runs discovery against the provider and says what it found. */
  test: can('read', 'MemberSettings').input(federationMemberInput).mutation(({ ctx, input }) => testFederation(ctx.db, ctx.actor, input.memberId)),
  /** "Se connecter avec le compte de ma commune": where to send the browser, and the sealed request it keeps (in an HttpOnly cookie). */
  begin: publicProcedure.input(federationBeginInput).mutation(({ ctx, input }) => beginFederatedLogin(ctx.db, input, serverSettings(ctx))),
  /** The upstream's answer: opens the session (cookie set as auth.login does) or says why not. */
  complete: publicProcedure.input(federationCompleteInput).mutation(async ({ ctx, input }) => {
    const settings = serverSettings(ctx);
    const result = await completeFederatedLogin(ctx.db, input, ctx.meta, settings);
    // A login always starts a new session; one the browser still held is ended first.
    const previous = await authenticate(ctx.db, ctx.sessionCookie.get(), ctx.meta.ip);
    if (previous) await logout(ctx.db, previous);
    ctx.sessionCookie.set(result.token, result.expiresAt);
    return { secondFactor: result.secondFactor, redirectTo: result.redirectTo, ...describeActor(result.actor) };
  }),
};
