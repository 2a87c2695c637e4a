import { error } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { memberIdInput } from '@mutualis/contracts';
import { api } from '#lib/server/context.ts';
import { orPageError } from '#lib/server/errors.ts';
import { requireActor } from '#lib/server/guards.ts';

/**
 * Downloads the archive of a departing member's data (members.exportArchive: the permission check
 * and the audit of the download happen there), as a zip file.
 */
export const GET: RequestHandler = async (event) => {
  requireActor(event);
  if (!memberIdInput.safeParse({ id: event.params.id }).success) error(404, { message: 'not found' });
  const file = await orPageError(api(event).members.exportArchive({ id: event.params.id }));
  const bytes = Buffer.from(file.contentBase64, 'base64');
  return new Response(bytes, {
    headers: {
      'Content-Type': 'application/zip',
      // The name is ASCII by construction (export-<name without accents>-<date>.zip).
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'Content-Length': String(bytes.length),
      // RFC 9530: the member can check the file against the SHA-256 recorded in the audit trail.
      'Repr-Digest': `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`,
      // Personal data: never kept by a browser or proxy cache.
      'Cache-Control': 'no-store',
    },
  });
};
