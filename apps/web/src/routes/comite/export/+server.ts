import { error } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { costExportInput } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireAllocationOverview } from '#lib/server/guards.ts';
import { yearParam } from '../contributions.ts';

/**
 * Downloads a year's table of contributions as CSV, or the PDF annex to the board's deliberation
 * (`?annee=&format=csv|pdf`, and `&membre=` for one member): costs.export builds the file.
 */
export const GET: RequestHandler = async (event) => {
  requireAllocationOverview(event);
  const params = event.url.searchParams;
  const input = costExportInput.safeParse({
    year: yearParam(params), format: params.get('format') ?? 'csv', locale: event.locals.locale, ...(params.get('membre') ? { memberId: params.get('membre') } : {}),
  });
  if (!input.success) error(400, { message: input.error.issues[0]?.message ?? 'bad request' });
  const file = await orPageError(api(event).costs.export(input.data));
  const bytes = Buffer.from(file.base64, 'base64');
  // The name may carry accents: an ASCII fallback, and the exact name in RFC 5987 form.
  const ascii = file.filename.normalize('NFD').replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '_');
  return new Response(bytes, {
    headers: {
      'Content-Type': file.contentType,
      'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
      'Content-Length': String(bytes.length),
      'Cache-Control': 'no-store',
    },
  });
};
