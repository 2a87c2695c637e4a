import { error } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';

const status: Partial<Record<TRPCError['code'], number>> = {
  NOT_FOUND: 404, FORBIDDEN: 403, UNAUTHORIZED: 401, BAD_REQUEST: 400, TOO_MANY_REQUESTS: 429,
};

/** Runs a server call for a page, turning tRPC errors into the matching HTTP error page. */
export async function orPageError<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof TRPCError && status[e.code]) error(status[e.code]!, { message: e.message });
    throw e;
  }
}
