import { router, createCallerFactory } from './trpc.ts';
import { authRouter } from './routers/auth.router.ts';
import { membersRouter } from './routers/members.router.ts';

export const appRouter = router({
  auth: authRouter,
  members: membersRouter,
});
export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
