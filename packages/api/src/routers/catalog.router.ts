import { catalogListInput, saveOfferingInput, setPriceInput } from '@mutualis/contracts';
import { listCatalog, saveOffering, setPlanPrice } from '@mutualis/core';
import { can } from '../trpc.ts';

export const catalogRouter = {
  /** The syndicate's active offerings with their plans, priced for a member (the DSI's own commune by default). */
  list: can('read', 'Offering').input(catalogListInput).query(({ ctx, input }) => listCatalog(ctx.db, ctx.actor, input)),
  /** Creates or updates an offering and its plans (syndicate admin). */
  saveOffering: can('update', 'Offering').input(saveOfferingInput).mutation(({ ctx, input }) => saveOffering(ctx.db, ctx.actor, input)),
  /** A plan's new price from a date (today or later); earlier periods keep their price. */
  setPrice: can('update', 'Offering').input(setPriceInput).mutation(({ ctx, input }) => setPlanPrice(ctx.db, ctx.actor, input)),
};
