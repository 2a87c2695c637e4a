import { fail, type RequestEvent } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import QRCode from 'qrcode';
import { api } from './context.ts';

/** A refused procedure as a form failure with its sentence (and what the page must keep showing). */
export function trpcFailure(e: unknown, extra: Record<string, unknown> = {}) {
  if (!(e instanceof TRPCError)) throw e;
  return fail(e.code === 'UNAUTHORIZED' ? 401 : e.code === 'FORBIDDEN' ? 403 : e.code === 'NOT_FOUND' ? 404 : 400, { message: e.message, ...extra });
}

/** Adding an authenticator app, at login (enrolment required by the policy) or from one's account. */
export const enrolmentActions = {
  /** Step 1: a new secret, shown as a QR code and as text. */
  startTotp: async (event: RequestEvent) => {
    try {
      const enrolment = await api(event).mfa.totpStart();
      const qr = await QRCode.toString(enrolment.uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
      return { enrolment: { factorId: enrolment.factorId, secret: enrolment.secret.replace(/(.{4})/g, '$1 ').trim(), qr } };
    } catch (e) {
      return trpcFailure(e);
    }
  },
  /** Step 2: the first code proves the app holds the secret; the recovery codes are shown once. */
  confirmTotp: async (event: RequestEvent) => {
    const form = await event.request.formData();
    const factorId = String(form.get('factorId') ?? '');
    try {
      const result = await api(event).mfa.totpConfirm({ factorId, code: String(form.get('code') ?? '') });
      return { confirmed: true, recoveryCodes: result.recoveryCodes };
    } catch (e) {
      // The app already holds the secret: the page asks for the next code (the key stays visible, not the QR code).
      return trpcFailure(e, { enrolment: { factorId, secret: String(form.get('secret') ?? '').slice(0, 80), qr: null } });
    }
  },
};
