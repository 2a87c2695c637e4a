import { router, createCallerFactory } from './trpc.ts';
import { authRouter } from './routers/auth.router.ts';
import { membersRouter } from './routers/members.router.ts';
import { workflowsRouter } from './routers/workflows.router.ts';
import { catalogRouter } from './routers/catalog.router.ts';
import { subscriptionsRouter } from './routers/subscriptions.router.ts';
import { directoryRouter } from './routers/directory.router.ts';

export const appRouter = router({
  auth: authRouter,
  members: membersRouter,
  workflows: workflowsRouter,
  catalog: catalogRouter,
  subscriptions: subscriptionsRouter,
  directory: directoryRouter,
});
export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
