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

/**
 * The field errors of a refused call, by field path: zod issues of the input, or the field a
 * domain ValidationError names (`issues` of the API's error shape, without the HTTP round trip).
 */
export function fieldErrorsOf(e: TRPCError): Record<string, string> {
  const fields: Record<string, string> = {};
  const cause = e.cause as { issues?: Array<{ path: PropertyKey[]; message: string }>; field?: unknown } | undefined;
  if (cause && Array.isArray(cause.issues)) {
    for (const issue of cause.issues) fields[issue.path.map(String).join('.') || 'input'] ??= issue.message;
  } else if (cause && typeof cause.field === 'string') {
    fields[cause.field] = e.message;
  }
  return fields;
}

/** A refused form action's HTTP status: 403 for a role that may not, 409 for a conflict, else 400. */
export function failStatus(e: TRPCError): number {
  return e.code === 'FORBIDDEN' ? 403 : e.code === 'NOT_FOUND' ? 404 : e.code === 'CONFLICT' ? 409 : 400;
}
