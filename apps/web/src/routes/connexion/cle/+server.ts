import { json } from '@sveltejs/kit';
import { TRPCError } from '@trpc/server';
import type { RequestHandler } from './$types';
import { api } from '#lib/server/context.ts';

/**
 * The browser's side of a WebAuthn ceremony (security keys, passkeys), as JSON: options for the
 * browser, then its signed response. Same-origin only (the hooks refuse cross-site POSTs).
 * `login-*`: the second step of a login; `register-*`: adding a key (enrolment or one's account).
 */
export const POST: RequestHandler = async (event) => {
  const body = await event.request.json().catch(() => null) as { step?: string; response?: unknown; label?: unknown } | null;
  const mfa = api(event).mfa;
  try {
    switch (body?.step) {
      case 'login-options': return json(await mfa.webAuthnLoginOptions());
      case 'login': return json(await mfa.webAuthnLogin({ response: body.response as never }));
      case 'register-options': return json(await mfa.webAuthnRegistrationOptions());
      case 'register': return json(await mfa.webAuthnRegister({ response: body.response as never, label: body.label as never }));
      default: return json({ message: 'Étape inconnue.' }, { status: 400 });
    }
  } catch (e) {
    if (!(e instanceof TRPCError)) throw e;
    return json({ message: e.message }, { status: e.code === 'UNAUTHORIZED' ? 401 : e.code === 'NOT_FOUND' ? 404 : 400 });
  }
};
