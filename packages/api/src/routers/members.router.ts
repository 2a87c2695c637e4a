import { memberIdInput, membersListInput, onboardInput, searchReferenceInput } from '@mutualis/contracts';
import { getMember, listMembers, requestOnboarding, searchReference } from '@mutualis/core';
import { can } from '../trpc.ts';

export const membersRouter = {
  list: can('read', 'Member').input(membersListInput).query(({ ctx, input }) => listMembers(ctx.db, ctx.actor, input)),
  get: can('read', 'Member').input(memberIdInput).query(({ ctx, input }) => getMember(ctx.db, ctx.actor, input.id)),
  /** The official commune and EPCI reference (public data), for the staff who onboard members. */
  /** Starts the onboardMember workflow; answers at once with the member and the run to watch. */
  onboard: can('create', 'Member').input(onboardInput).mutation(async ({ ctx, input }) => requestOnboarding(ctx.db, await ctx.temporal(), ctx.actor, input)),
  searchReference: can('create', 'Member').input(searchReferenceInput).query(({ input }) => searchReference(input.query, input.limit)),
};
