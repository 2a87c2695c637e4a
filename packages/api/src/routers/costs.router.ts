import { allocationInput, budgetLineRefInput, budgetLinesInput, costExportInput, costPublicationInput, setBudgetLineInput, simulateInput, trendInput } from '@mutualis/contracts';
import { computeAllocation, costTrend, exportCosts, getCostPublication, listBudgetLines, removeBudgetLine, setBudgetLine, setCostPublication, simulateCosts } from '@mutualis/core';
import { can } from '../trpc.ts';

/**
 * The syndicate's cost model and its allocation (issue 6). Who may read which member's figures is
 * decided in the services (board and syndicate: all; a commune: its own, or the board's table when published).
 */
export const costsRouter = {
  budget: {
    lines: can('read', 'CostModel').input(budgetLinesInput).query(({ ctx, input }) => listBudgetLines(ctx.db, ctx.actor, input.year)),
    setLine: can('update', 'CostModel').input(setBudgetLineInput).mutation(({ ctx, input }) => setBudgetLine(ctx.db, ctx.actor, input)),
    removeLine: can('update', 'CostModel').input(budgetLineRefInput).mutation(({ ctx, input }) => removeBudgetLine(ctx.db, ctx.actor, input.id)),
  },
  allocation: can('read', 'Allocation').input(allocationInput).query(({ ctx, input }) => computeAllocation(ctx.db, ctx.actor, input)),
  trend: can('read', 'Allocation').input(trendInput).query(({ ctx, input }) => costTrend(ctx.db, ctx.actor, input)),
  export: can('read', 'Allocation').input(costExportInput).query(({ ctx, input }) => exportCosts(ctx.db, ctx.actor, input)),
  simulate: can('read', 'CostModel').input(simulateInput).query(({ ctx, input }) => simulateCosts(ctx.db, ctx.actor, input)),
  publication: {
    get: can('read', 'Allocation').query(({ ctx }) => getCostPublication(ctx.db, ctx.actor)),
    set: can('update', 'CostModel').input(costPublicationInput).mutation(({ ctx, input }) => setCostPublication(ctx.db, ctx.actor, input)),
  },
};
