import { TRPCError } from '@trpc/server';
import { changePlanInput, memberResourcesInput, subscriptionDecisionInput, subscriptionIdInput, subscriptionRequestInput, subscriptionsListInput } from '@mutualis/contracts';
import {
  cancelSubscription, changeSubscriptionPlan, checkSubscriptionResources, decideSubscription, getSubscription, graceSeconds, listSubscriptions,
  keepSubscriptionAfterCancel, memberResources, requestSubscription, revealSecrets,
} from '@mutualis/core';
import { can } from '../trpc.ts';

export const subscriptionsRouter = {
  /** A DSI asks for a plan of an offering: provisionSubscription starts (and waits for approval where the offering needs it). */
  request: can('create', 'Subscription').input(subscriptionRequestInput).mutation(async ({ ctx, input }) => requestSubscription(ctx.db, await ctx.temporal(), ctx.actor, input)),
  /** The syndicate's decision on a request (approve, or refuse with a reason), signalled to the waiting run. */
  approve: can('approve', 'Subscription').input(subscriptionDecisionInput).mutation(async ({ ctx, input }) => decideSubscription(ctx.db, await ctx.temporal(), ctx.actor, input)),
  list: can('read', 'Subscription').input(subscriptionsListInput).query(({ ctx, input }) => listSubscriptions(ctx.db, ctx.actor, input)),
  get: can('read', 'Subscription').input(subscriptionIdInput).query(({ ctx, input }) => getSubscription(ctx.db, ctx.actor, input.id)),
  /** Cancels a request in progress, or starts the removal of an active subscription after its grace period. */
  cancel: can('update', 'Subscription').input(subscriptionIdInput).mutation(async ({ ctx, input }) =>
    cancelSubscription(ctx.db, await ctx.temporal(), ctx.actor, input.id, graceSeconds(ctx.settings?.subscriptionGraceDays))),
  /** Takes back a cancellation during its grace period: the subscription stays, with all its data. */
  keep: can('update', 'Subscription').input(subscriptionIdInput).mutation(async ({ ctx, input }) => keepSubscriptionAfterCancel(ctx.db, await ctx.temporal(), ctx.actor, input.id)),
  changePlan: can('update', 'Subscription').input(changePlanInput).mutation(({ ctx, input }) => changeSubscriptionPlan(ctx.db, ctx.actor, input)),
  /** The subscription's secrets, once, to the commune's DSI. */
  revealSecrets: can('update', 'Subscription').input(subscriptionIdInput).mutation(({ ctx, input }) => {
    const secretKey = ctx.settings?.secretKey;
    if (!secretKey) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: "Le serveur n'a pas de clé de chiffrement (MUTUALIS_SECRET_KEY) : prévenez le syndicat." });
    return revealSecrets(ctx.db, ctx.actor, input.id, secretKey);
  }),
  /** "Vérifier": re-inspects every resource and flags drift. */
  verify: can('read', 'Resource').input(subscriptionIdInput).mutation(async ({ ctx, input }) => checkSubscriptionResources(ctx.db, await ctx.temporal(), ctx.actor, input.id, false)),
  /** "Réparer": remakes what drifted (a new secret, shown once, where the old one is gone). */
  repair: can('update', 'Subscription').input(subscriptionIdInput).mutation(async ({ ctx, input }) => checkSubscriptionResources(ctx.db, await ctx.temporal(), ctx.actor, input.id, true)),
  /** A member's resource inventory: every resource that exists, with its state. */
  resources: can('read', 'Resource').input(memberResourcesInput).query(({ ctx, input }) => memberResources(ctx.db, ctx.actor, input.memberId)),
};
