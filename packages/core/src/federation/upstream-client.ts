import * as oidc from 'openid-client';
import { isLoopbackUrl } from '@mutualis/contracts';
import { DomainError } from '../errors.ts';

/** What the client of one upstream provider is made of (from its row, the secret decrypted). */
export interface UpstreamClientSettings {
  providerId: string;
  /** changes whenever the row does, so a saved change is never served from the cache */
  version: number;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

const CACHE_MS = 10 * 60 * 1000;
const CACHE_MAX = 500;
const cache = new Map<string, { config: oidc.Configuration; until: number }>();

/** The upstream did not answer its discovery document (down, wrong address, not OpenID Connect). */
export class UpstreamUnavailableError extends DomainError {
  readonly detail: string;
  constructor(detail: string) {
    super("Le fournisseur d'identité de votre commune ne répond pas pour le moment : réessayez plus tard, ou connectez-vous avec votre mot de passe Mutualis.", 'BAD_REQUEST');
    this.detail = detail;
  }
}

/**
 * The openid-client configuration of an upstream provider: its discovery document (issuer checked
 * by openid-client against the configured one), the client id and secret (client_secret_basic).
 * Plain http is allowed for loopback issuers only (tests, a developer machine), never elsewhere.
 * Cached for ten minutes per provider version, so a login does not fetch the document every time.
 */
export async function upstreamConfiguration(settings: UpstreamClientSettings): Promise<oidc.Configuration> {
  const key = `${settings.providerId}:${settings.version}`;
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.config;
  const config = await discover(settings.issuer, settings.clientId, settings.clientSecret);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, { config, until: Date.now() + CACHE_MS });
  return config;
}

/** Runs discovery against an issuer (uncached): what `federation.test` shows the DSI. */
export async function discover(issuer: string, clientId: string, clientSecret: string | undefined): Promise<oidc.Configuration> {
  const url = new URL(issuer);
  const insecure = url.protocol === 'http:';
  if (insecure && !isLoopbackUrl(url)) throw new UpstreamUnavailableError(`plain http is only allowed for loopback issuers, not ${url.host}`);
  try {
    return await oidc.discovery(url, clientId, clientSecret, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
      timeout: 10, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    throw new UpstreamUnavailableError(error instanceof Error ? error.message : String(error));
  }
}
