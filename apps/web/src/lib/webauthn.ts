import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';

async function post(body: unknown): Promise<unknown> {
  const response = await fetch('/connexion/cle', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await response.json() as { message?: string };
  if (!response.ok) throw new Error(data.message ?? `Erreur ${response.status}`);
  return data;
}

export const webAuthnSupported = () => typeof window !== 'undefined' && browserSupportsWebAuthn();

/** The second step of a login with a security key or passkey. */
export async function loginWithKey(): Promise<void> {
  const options = await post({ step: 'login-options' });
  const response = await startAuthentication({ optionsJSON: options as never });
  await post({ step: 'login', response });
}

/** Registers a new key; returns the recovery codes to show once (null when the person still has some). */
export async function registerKey(label: string): Promise<string[] | null> {
  const options = await post({ step: 'register-options' });
  const response = await startRegistration({ optionsJSON: options as never });
  const result = await post({ step: 'register', response, label }) as { recoveryCodes: string[] | null };
  return result.recoveryCodes;
}
