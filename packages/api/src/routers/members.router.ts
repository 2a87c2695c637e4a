import { memberIdInput, membersListInput } from '@mutualis/contracts';
import { getMember, listMembers } from '@mutualis/core';
import { can } from '../trpc.ts';

export const membersRouter = {
  list: can('read', 'Member').input(membersListInput).query(({ ctx, input }) => listMembers(ctx.db, ctx.actor, input)),
  get: can('read', 'Member').input(memberIdInput).query(({ ctx, input }) => getMember(ctx.db, ctx.actor, input.id)),
};
