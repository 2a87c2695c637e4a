export * from './trpc.ts';
export * from './root.ts';
export { describeActor } from './routers/auth.router.ts';
