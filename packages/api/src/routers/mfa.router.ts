import { TRPCError } from '@trpc/server';
import { factorRefInput, secondFactorInput, totpConfirmInput, webAuthnRegisterInput, webAuthnVerifyInput } from '@mutualis/contracts';
import {
  confirmTotpEnrolment, pendingSession, regenerateRecoveryCodes, registerWebAuthn, relyingPartyOf, removeFactor, secondFactorStatus, startTotpEnrolment,
  verifySecondFactor, verifyWebAuthn, webAuthnAuthenticationOptions, webAuthnRegistrationOptions, type AuthenticationResponseJSON,
  type LiveSession, type RegistrationResponseJSON,
} from '@mutualis/core';
import { authedProcedure, publicProcedure, type Context } from '../trpc.ts';

function secretKeyOf(ctx: Context): string {
  const key = ctx.settings?.secretKey;
  if (!key) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: "Le serveur n'a pas de clé de chiffrement (MUTUALIS_SECRET_KEY) : prévenez le syndicat." });
  return key;
}
function relyingParty(ctx: Context) {
  const origin = ctx.settings?.origin;
  if (!origin) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: "Le serveur ne connaît pas son adresse publique (ORIGIN) : les clés de sécurité ne peuvent pas être utilisées." });
  return relyingPartyOf(origin);
}

/** The session of this browser awaiting a second factor (`verify`) or its enrolment (`enrol`). */
async function pending(ctx: Context, state?: 'verify' | 'enrol'): Promise<LiveSession> {
  const session = await pendingSession(ctx.db, ctx.sessionCookie.get());
  if (!session || (state && session.secondFactor !== state)) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Votre connexion a expiré : saisissez à nouveau votre adresse et votre mot de passe.' });
  }
  return session;
}

/** Adding a factor: the signed-in user, or a session the policy sends to enrolment. */
async function enroller(ctx: Context) {
  return ctx.actor ?? pending(ctx, 'enrol');
}

/** Second factors: shown at login, enrolled when the policy requires, managed from one's account. */
export const mfaRouter = {
  /** What the pending login needs, and what the person has (for the verification and enrolment pages). */
  pending: publicProcedure.query(async ({ ctx }) => {
    const session = await pendingSession(ctx.db, ctx.sessionCookie.get());
    if (!session) return null;
    const status = await secondFactorStatus(ctx.db, session);
    return { state: session.secondFactor as 'verify' | 'enrol', totp: status.factors.some((f) => f.kind === 'totp'), webauthn: status.factors.some((f) => f.kind === 'webauthn'), recoveryCodesLeft: status.recoveryCodesLeft };
  }),
  verify: publicProcedure.input(secondFactorInput).mutation(async ({ ctx, input }) => {
    await verifySecondFactor(ctx.db, await pending(ctx, 'verify'), secretKeyOf(ctx), input, ctx.meta.ip);
    return { ok: true as const };
  }),
  webAuthnLoginOptions: publicProcedure.mutation(async ({ ctx }) => webAuthnAuthenticationOptions(ctx.db, await pending(ctx, 'verify'), relyingParty(ctx))),
  webAuthnLogin: publicProcedure.input(webAuthnVerifyInput).mutation(async ({ ctx, input }) => {
    await verifyWebAuthn(ctx.db, await pending(ctx, 'verify'), relyingParty(ctx), input.response as unknown as AuthenticationResponseJSON, ctx.meta.ip);
    return { ok: true as const };
  }),
  totpStart: publicProcedure.mutation(async ({ ctx }) => startTotpEnrolment(ctx.db, await enroller(ctx), secretKeyOf(ctx))),
  totpConfirm: publicProcedure.input(totpConfirmInput).mutation(async ({ ctx, input }) =>
    confirmTotpEnrolment(ctx.db, await enroller(ctx), secretKeyOf(ctx), input.factorId, input.code, ctx.meta.ip)),
  webAuthnRegistrationOptions: publicProcedure.mutation(async ({ ctx }) => webAuthnRegistrationOptions(ctx.db, await enroller(ctx), relyingParty(ctx))),
  webAuthnRegister: publicProcedure.input(webAuthnRegisterInput).mutation(async ({ ctx, input }) =>
    registerWebAuthn(ctx.db, await enroller(ctx), relyingParty(ctx), input.response as unknown as RegistrationResponseJSON, input.label, ctx.meta.ip)),
  status: authedProcedure.query(({ ctx }) => secondFactorStatus(ctx.db, ctx.actor)),
  regenerateRecoveryCodes: authedProcedure.mutation(({ ctx }) => regenerateRecoveryCodes(ctx.db, ctx.actor)),
  removeFactor: authedProcedure.input(factorRefInput).mutation(({ ctx, input }) => removeFactor(ctx.db, ctx.actor, input.factorId)),
};
