import { budgetLineRefInput, budgetLinesInput, setBudgetLineInput } from '@mutualis/contracts';
import { listBudgetLines, removeBudgetLine, setBudgetLine } from '@mutualis/core';
import { can } from '../trpc.ts';

/** The syndicate's cost model (issue 6): budget lines per year and their allocation keys. */
export const costsRouter = {
  budget: {
    lines: can('read', 'CostModel').input(budgetLinesInput).query(({ ctx, input }) => listBudgetLines(ctx.db, ctx.actor, input.year)),
    setLine: can('update', 'CostModel').input(setBudgetLineInput).mutation(({ ctx, input }) => setBudgetLine(ctx.db, ctx.actor, input)),
    removeLine: can('update', 'CostModel').input(budgetLineRefInput).mutation(({ ctx, input }) => removeBudgetLine(ctx.db, ctx.actor, input.id)),
  },
};
