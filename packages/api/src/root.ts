import { router, createCallerFactory } from './trpc.ts';
import { authRouter } from './routers/auth.router.ts';
import { membersRouter } from './routers/members.router.ts';
import { workflowsRouter } from './routers/workflows.router.ts';

export const appRouter = router({
  auth: authRouter,
  members: membersRouter,
  workflows: workflowsRouter,
});
export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
