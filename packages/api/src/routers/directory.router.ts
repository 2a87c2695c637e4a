import { TRPCError } from '@trpc/server';
import { directoryGetInput, directorySaveInput, directoryTestInput } from '@mutualis/contracts';
import { getDirectory, saveDirectory, testDirectory } from '@mutualis/core';
import { can, type Context } from '../trpc.ts';

function secretKeyOf(ctx: Context): string {
  const secretKey = ctx.settings?.secretKey;
  if (!secretKey) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: "Le serveur n'a pas de clé de chiffrement (MUTUALIS_SECRET_KEY) : prévenez le syndicat." });
  return secretKey;
}

/** A member's LDAP / Active Directory, which its people sign in with (the commune's DSI sets it up). */
export const directoryRouter = {
  /** The configuration, without the bind password (only whether one is set); null when none. */
  get: can('read', 'MemberSettings').input(directoryGetInput).query(({ ctx, input }) => getDirectory(ctx.db, ctx.actor, input.memberId)),
  /** Creates or replaces it; a bind password left out keeps the stored one. */
  save: can('update', 'MemberSettings').input(directorySaveInput).mutation(({ ctx, input }) => saveDirectory(ctx.db, ctx.actor, input, secretKeyOf(ctx))),
  /** "Tester la connexion": each check with a sentence, on the saved configuration or the form's. */
  test: can('update', 'MemberSettings').input(directoryTestInput).mutation(({ ctx, input }) => testDirectory(ctx.db, ctx.actor, input, secretKeyOf(ctx))),
};
