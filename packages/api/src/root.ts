import { router, createCallerFactory } from './trpc.ts';
import { authRouter } from './routers/auth.router.ts';
import { membersRouter } from './routers/members.router.ts';
import { workflowsRouter } from './routers/workflows.router.ts';
import { catalogRouter } from './routers/catalog.router.ts';
import { subscriptionsRouter } from './routers/subscriptions.router.ts';
import { sessionsRouter, settingsRouter, usersRouter } from './routers/users.router.ts';
import { mfaRouter } from './routers/mfa.router.ts';
import { federationRouter } from './routers/federation.router.ts';
import { directoryRouter } from './routers/directory.router.ts';
import { costsRouter } from './routers/costs.router.ts';

export const appRouter = router({
  auth: authRouter,
  members: membersRouter,
  workflows: workflowsRouter,
  catalog: catalogRouter,
  subscriptions: subscriptionsRouter,
  users: usersRouter,
  sessions: sessionsRouter,
  settings: settingsRouter,
  mfa: mfaRouter,
  federation: federationRouter,
  directory: directoryRouter,
  costs: costsRouter,
});
export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
