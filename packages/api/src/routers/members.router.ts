import { memberIdInput, membersListInput, searchReferenceInput } from '@mutualis/contracts';
import { getMember, listMembers, searchReference } from '@mutualis/core';
import { can } from '../trpc.ts';

export const membersRouter = {
  list: can('read', 'Member').input(membersListInput).query(({ ctx, input }) => listMembers(ctx.db, ctx.actor, input)),
  get: can('read', 'Member').input(memberIdInput).query(({ ctx, input }) => getMember(ctx.db, ctx.actor, input.id)),
  /** The official commune and EPCI reference (public data), for the staff who onboard members. */
  searchReference: can('create', 'Member').input(searchReferenceInput).query(({ input }) => searchReference(input.query, input.limit)),
};
