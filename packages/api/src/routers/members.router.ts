import { inviteDsiInput, memberIdInput, membersListInput, onboardEpciInput, onboardInput, searchReferenceInput } from '@mutualis/contracts';
import { getMember, listMembers, requestDsiInvitation, requestEpciOnboarding, requestOnboarding, searchReference } from '@mutualis/core';
import { getMemberExport, requestOffboarding, retentionSeconds } from '@mutualis/core';
import { can, canAny } from '../trpc.ts';

export const membersRouter = {
  list: can('read', 'Member').input(membersListInput).query(({ ctx, input }) => listMembers(ctx.db, ctx.actor, input)),
  get: can('read', 'Member').input(memberIdInput).query(({ ctx, input }) => getMember(ctx.db, ctx.actor, input.id)),
  /** The official commune and EPCI reference (public data), for the staff who onboard members. */
  /** Starts the onboardMember workflow; answers at once with the member and the run to watch. */
  onboard: can('create', 'Member').input(onboardInput).mutation(async ({ ctx, input }) => requestOnboarding(ctx.db, await ctx.temporal(), ctx.actor, input)),
  /** Onboards every commune of an EPCI that is not yet a member, as child runs of one bulk workflow. */
  onboardEpci: can('create', 'Member').input(onboardEpciInput).mutation(async ({ ctx, input }) => requestEpciOnboarding(ctx.db, await ctx.temporal(), ctx.actor, input.siren)),
  /** Invites the member's DSI (again): previous links are revoked, a new one is mailed. */
  inviteDsi: can('update', 'Member').input(inviteDsiInput).mutation(async ({ ctx, input }) => requestDsiInvitation(ctx.db, await ctx.temporal(), ctx.actor, input.id, input.dsi)),
  /** Starts the member's departure (offboardMember): export, suspension, retention period, erasure. */
  offboard: can('update', 'Member').input(memberIdInput).mutation(async ({ ctx, input }) =>
    requestOffboarding(ctx.db, await ctx.temporal(), ctx.actor, input.id, retentionSeconds(ctx.settings?.memberRetentionDays))),
  /** The zip of a departing member's data (base64), from its departure's export step until erasure. */
  exportArchive: can('update', 'Member').input(memberIdInput).query(({ ctx, input }) => getMemberExport(ctx.db, ctx.actor, input.id)),
  /** The official reference (public data): to onboard a member, or to simulate one joining (finance, board). */
  searchReference: canAny(['create', 'Member'], ['read', 'CostModel']).input(searchReferenceInput).query(({ input }) => searchReference(input.query, input.limit)),
};
