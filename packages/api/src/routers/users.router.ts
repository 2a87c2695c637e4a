import { brandingInput, mfaPolicyInput, sessionRefInput, userRefInput, userRolesInput, usersInviteInput, usersListInput } from '@mutualis/contracts';
import {
  brandingOf, endOwnSession, endUserSessions, getMemberSettings, inviteUser, listOwnSessions, listUsers, setBranding, setMfaPolicy, setUserRoles, setUserStatus,
} from '@mutualis/core';
import { z } from 'zod';
import { authedProcedure, can } from '../trpc.ts';

/** A commune's people, managed by its DSI (and the syndicate's admins and operators). */
export const usersRouter = {
  list: can('read', 'User').input(usersListInput).query(({ ctx, input }) => listUsers(ctx.db, ctx.actor, input)),
  /** Invites an agent, elected official or DSI by mail (single-use link); someone already in the commune just gets the role. */
  invite: can('create', 'User').input(usersInviteInput).mutation(async ({ ctx, input }) => inviteUser(ctx.db, await ctx.temporal(), ctx.actor, input)),
  setRoles: can('update', 'User').input(userRolesInput).mutation(({ ctx, input }) => setUserRoles(ctx.db, ctx.actor, input)),
  /** Disabling ends every session and revokes every SSO token of the person at once. */
  disable: can('update', 'User').input(userRefInput).mutation(({ ctx, input }) => setUserStatus(ctx.db, ctx.actor, { ...input, status: 'disabled' })),
  enable: can('update', 'User').input(userRefInput).mutation(({ ctx, input }) => setUserStatus(ctx.db, ctx.actor, { ...input, status: 'active' })),
  endSessions: can('update', 'User').input(userRefInput).mutation(({ ctx, input }) => endUserSessions(ctx.db, ctx.actor, input)),
};

/** One's own sessions. */
export const sessionsRouter = {
  list: authedProcedure.query(({ ctx }) => listOwnSessions(ctx.db, ctx.actor)),
  end: authedProcedure.input(sessionRefInput).mutation(({ ctx, input }) => endOwnSession(ctx.db, ctx.actor, input.sessionId)),
};

/** A member's settings: MFA policy and the portal's branding. */
export const settingsRouter = {
  /** The portal's look of a commune, for its own people. */
  branding: can('read', 'Member').input(z.object({ memberId: z.uuid({ error: "L'identifiant de la commune est invalide." }) }))
    .query(({ ctx, input }) => brandingOf(ctx.db, ctx.actor, input.memberId)),
  get: can('read', 'MemberSettings').input(z.object({ memberId: z.uuid({ error: "L'identifiant de la commune est invalide." }) }))
    .query(({ ctx, input }) => getMemberSettings(ctx.db, ctx.actor, input.memberId)),
  setMfaPolicy: can('update', 'MemberSettings').input(mfaPolicyInput).mutation(({ ctx, input }) => setMfaPolicy(ctx.db, ctx.actor, input)),
  setBranding: can('update', 'MemberSettings').input(brandingInput).mutation(({ ctx, input }) => setBranding(ctx.db, ctx.actor, {
    memberId: input.memberId, brandName: input.brandName, brandColor: input.brandColor,
    logo: input.logo === undefined ? undefined : input.logo === null ? null : { type: input.logo.type, data: Buffer.from(input.logo.base64, 'base64') },
  })),
};
