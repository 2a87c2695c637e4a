import type { RequestHandler } from './$types';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@mutualis/api';
import { createContext } from '#lib/server/context.ts';

/** The tRPC endpoint for browsers and DSI scripts (queries by GET, mutations by POST only). */
const handler: RequestHandler = (event) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req: event.request,
    router: appRouter,
    createContext: () => createContext(event),
  });

export const GET = handler;
export const POST = handler;
