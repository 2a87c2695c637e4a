import * as oidc from 'openid-client';
import { FEDERATED_ROLES, isSyndicateRole, type FederatedRole } from '@mutualis/contracts';
import { sql, withTenant, type Db, type Tx, type UpstreamProvider } from '@mutualis/db';
import { appendAudit } from '../audit/audit.service.ts';
import { startSession, type LoginResult, type RequestMeta } from '../auth/auth.service.ts';
import { AccountDisabledError, DomainError, NotFoundError, ValidationError } from '../errors.ts';
import { decryptSecret, encryptSecret } from '../secrets/secret-box.ts';
import { clientSettingsOf, federationRedirectUri } from './federation.service.ts';
import { upstreamConfiguration } from './upstream-client.ts';

/** How long a login at the upstream may take, from the click to the callback. */
export const FEDERATION_REQUEST_TTL_MS = 10 * 60 * 1000;
const REQUEST_BINDING = 'mutualis/federation-login-request';
/** `amr` values of the upstream that prove a second factor (RFC 8176). */
const UPSTREAM_MFA_AMR = new Set(['mfa', 'otp', 'hwk']);

export interface FederationServerSettings {
  /** MUTUALIS_SECRET_KEY: decrypts client secrets, seals login requests */
  secretKey: string;
  /** the platform's public origin (the redirect URI is `<origin>/connexion/federation/retour`) */
  origin: string;
}

/** A refused federated login: the callback page shows the sentence; nothing was written. */
export class FederationRefusedError extends DomainError {
  constructor(message: string) { super(message, 'FORBIDDEN'); }
}

/**
 * A login request in flight. It travels sealed (AES-256-GCM under MUTUALIS_SECRET_KEY) in an
 * HttpOnly, SameSite=Lax cookie of the browser that started it, rather than in a table: the callback
 * is then only accepted in that browser (no login CSRF: a callback URL sent to someone else finds no
 * request), nothing is stored before anyone is known, and any web replica can finish the login.
 * The cookie is removed at the callback whatever happens, and the upstream's code is single-use.
 */
interface LoginRequest {
  v: 1;
  providerId: string;
  syndicateId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectTo: string | null;
  expiresAt: number;
}

function seal(secretKey: string, request: LoginRequest): string {
  return encryptSecret(secretKey, JSON.stringify(request), REQUEST_BINDING).toString('base64url');
}

function unseal(secretKey: string, sealed: string): LoginRequest | null {
  try {
    const request = JSON.parse(decryptSecret(secretKey, Buffer.from(sealed, 'base64url'), REQUEST_BINDING)) as LoginRequest;
    return request.v === 1 ? request : null;
  } catch {
    return null;
  }
}

/** Only same-site paths are resumed after the upstream login (no open redirect). */
function safePath(target: string | null | undefined): string | null {
  return target && target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\') ? target : null;
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

async function loadProvider(db: Db, syndicateId: string, providerId: string): Promise<UpstreamProvider | undefined> {
  return withTenant(db, { syndicateId, memberIds: null }, (tx) =>
    tx.selectFrom('upstreamProviders').selectAll().where('id', '=', providerId).executeTakeFirst());
}

/**
 * First step of "Se connecter avec le compte de ma commune": the e-mail's domain picks the enabled
 * provider (none → a sentence for the login page), then the authorization request (code flow, PKCE
 * S256, state, nonce, login_hint). Returns where to send the browser and the sealed request to keep.
 */
export async function beginFederatedLogin(
  db: Db, input: { email: string; redirectTo?: string | null }, settings: FederationServerSettings,
): Promise<{ authorizationUrl: string; request: string; expiresAt: Date }> {
  const domain = domainOf(input.email);
  const found = (await sql<{ providerId: string; syndicateId: string; memberId: string }>`
    select provider_id, syndicate_id, member_id from federation_find_provider(${domain})`.execute(db)).rows[0];
  if (!found) {
    throw new NotFoundError(`Aucune commune n'a configuré de connexion par son propre compte pour les adresses en « @${domain} ». Connectez-vous avec votre mot de passe Mutualis, ou demandez au responsable informatique de votre commune.`);
  }
  const provider = await loadProvider(db, found.syndicateId, found.providerId);
  if (!provider) throw new ValidationError('email', "Ce fournisseur d'identité n'est plus configuré : connectez-vous avec votre mot de passe Mutualis.");
  const config = await upstreamConfiguration(clientSettingsOf(provider, settings.secretKey));
  const request: LoginRequest = {
    v: 1, providerId: provider.id, syndicateId: provider.syndicateId, state: oidc.randomState(), nonce: oidc.randomNonce(),
    codeVerifier: oidc.randomPKCECodeVerifier(), redirectTo: safePath(input.redirectTo), expiresAt: Date.now() + FEDERATION_REQUEST_TTL_MS,
  };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: federationRedirectUri(settings.origin), scope: provider.scopes.join(' '), response_type: 'code',
    state: request.state, nonce: request.nonce, code_challenge: await oidc.calculatePKCECodeChallenge(request.codeVerifier),
    code_challenge_method: 'S256', login_hint: input.email,
    // How the person signed in (amr/acr) is only put in the ID token on request by some providers (ProConnect, oidc-provider).
    ...(config.serverMetadata().claims_parameter_supported ? { claims: JSON.stringify({ id_token: { amr: null, acr: null } }) } : {}),
  });
  return { authorizationUrl: url.href, request: seal(settings.secretKey, request), expiresAt: new Date(request.expiresAt) };
}

/** The person as the upstream describes them, through the member's claim mapping. */
export interface MappedClaims {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  displayName: string | null;
  role: FederatedRole;
  mfa: boolean;
}

/** Applies a provider's claim mapping to the upstream's claims (ID token and userinfo, merged). */
export function mapClaims(provider: Pick<UpstreamProvider, 'emailClaim' | 'nameClaims' | 'groupsClaim' | 'roleMapping' | 'defaultRole' | 'mfaAcrValues'>, claims: Record<string, unknown>): MappedClaims {
  const rawEmail = claims[provider.emailClaim];
  const email = typeof rawEmail === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(rawEmail.trim()) && rawEmail.length <= 254 ? rawEmail.trim().toLowerCase() : null;
  const name = provider.nameClaims.map((c) => claims[c]).filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim()).join(' ');
  const rawGroups = provider.groupsClaim ? claims[provider.groupsClaim] : undefined;
  const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : typeof rawGroups === 'string' ? [rawGroups] : [];
  const mapped = provider.roleMapping.find((m) => groups.includes(m.group))?.role;
  const role = mapped && FEDERATED_ROLES.includes(mapped) ? mapped : provider.defaultRole;
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((a): a is string => typeof a === 'string') : [];
  const acr = typeof claims.acr === 'string' ? claims.acr : null;
  return {
    subject: String(claims.sub), email,
    // Only a JSON `true` counts: an absent claim or the string "true" is not the upstream vouching for the address.
    emailVerified: claims.email_verified === true,
    displayName: name ? name.slice(0, 200) : null, role,
    mfa: amr.some((a) => UPSTREAM_MFA_AMR.has(a)) || (acr !== null && provider.mfaAcrValues.includes(acr)),
  };
}

/**
 * The callback: the sealed request must be there and unexpired, its state must match the answer's
 * (a forged or replayed callback is refused), the code is exchanged with the PKCE verifier and the
 * ID token validated by openid-client (issuer, audience, signature, nonce), then userinfo fetched
 * (same `sub`). The account is found or linked or created (see resolveAccount), and a session opened
 * with amr `fed` (+ `mfa` when the upstream says a second factor was used).
 */
export async function completeFederatedLogin(
  db: Db, input: { query: string; request: string }, meta: RequestMeta, settings: FederationServerSettings,
): Promise<LoginResult & { redirectTo: string | null; userId: string }> {
  const restart = 'recommencez depuis la page de connexion.';
  const request = unseal(settings.secretKey, input.request);
  if (!request) throw new FederationRefusedError(`Cette connexion n'a pas été commencée dans ce navigateur : ${restart}`);
  if (request.expiresAt < Date.now()) throw new FederationRefusedError(`Cette connexion a expiré (10 minutes) : ${restart}`);
  const params = new URLSearchParams(input.query.startsWith('?') ? input.query.slice(1) : input.query);
  if (params.get('state') !== request.state) throw new FederationRefusedError(`La réponse reçue ne correspond pas à cette connexion : ${restart}`);
  const upstreamError = params.get('error');
  if (upstreamError) {
    throw new FederationRefusedError(`Le fournisseur d'identité de votre commune n'a pas confirmé la connexion (${upstreamError.slice(0, 100)}) : ${restart}`);
  }
  const provider = await loadProvider(db, request.syndicateId, request.providerId);
  if (!provider || !provider.enabled) throw new FederationRefusedError("La connexion par le compte de votre commune a été désactivée : connectez-vous avec votre mot de passe Mutualis.");

  const config = await upstreamConfiguration(clientSettingsOf(provider, settings.secretKey));
  const callback = new URL(federationRedirectUri(settings.origin));
  callback.search = params.toString();
  let claims: Record<string, unknown>;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    });
    const idClaims = tokens.claims()!;
    const userinfo = config.serverMetadata().userinfo_endpoint ? await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub) : {};
    // Profile claims from userinfo where given (ProConnect gives them there); how the person signed in from the validated ID token.
    claims = { ...idClaims, ...userinfo, sub: idClaims.sub, amr: idClaims.amr, acr: idClaims.acr };
  } catch (error) {
    const code = (error as { error?: string; code?: string }).error ?? (error as { code?: string }).code ?? 'erreur';
    throw new FederationRefusedError(`Le fournisseur d'identité de votre commune n'a pas confirmé la connexion (${String(code).slice(0, 60)}) : ${restart}`);
  }
  const mapped = mapClaims(provider, claims);
  const userId = await resolveAccount(db, provider, mapped, meta);
  const session = await startSession(db, { userId, syndicateId: provider.syndicateId }, meta, mapped.mfa ? ['fed', 'mfa'] : ['fed']);
  return { ...session, redirectTo: request.redirectTo, userId };
}

/**
 * The platform user behind an upstream account, in one transaction:
 * - a link (provider, sub) already exists → that user;
 * - else an existing user of the syndicate with the same e-mail, only if the upstream vouches for the
 *   address (`email_verified`), its domain is routed to this provider, and the user belongs to this
 *   member and holds no syndicate role → linked;
 * - else a new user (no local password), member of this commune with the mapped role, under the
 *   same conditions on the e-mail.
 * Anything else (an unverified address, a user of another commune or syndicate, a disabled account)
 * is refused and nothing is written. A concurrent first login of the same person is retried once.
 */
async function resolveAccount(db: Db, provider: UpstreamProvider, claims: MappedClaims, meta: RequestMeta): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await withTenant(db, { syndicateId: provider.syndicateId, memberIds: null }, (tx) => resolveIn(tx, provider, claims, meta));
    } catch (error) {
      if (attempt === 0 && (error as { code?: string }).code === '23505') continue;
      throw error;
    }
  }
}

const ANOTHER_ACCOUNT = "Un compte Mutualis existe déjà avec cette adresse e-mail, mais il n'est pas rattaché à cette commune : il ne peut pas être relié au compte de votre commune. Demandez au syndicat.";

async function assertCommuneUser(tx: Tx, userId: string, memberId: string): Promise<void> {
  const memberships = await tx.selectFrom('memberships').select(['role', 'memberId']).where('userId', '=', userId).execute();
  // A syndicate account is never opened by a commune's provider, even if it also belongs to the commune.
  if (memberships.some((m) => isSyndicateRole(m.role)) || !memberships.some((m) => m.memberId === memberId)) {
    throw new FederationRefusedError(ANOTHER_ACCOUNT);
  }
}

async function resolveIn(tx: Tx, provider: UpstreamProvider, claims: MappedClaims, meta: RequestMeta): Promise<string> {
  const now = new Date();
  const linked = await tx.selectFrom('userIdentities').innerJoin('users', 'users.id', 'userIdentities.userId')
    .select(['userIdentities.id', 'users.id as userId', 'users.status']).where('userIdentities.providerId', '=', provider.id)
    .where('userIdentities.subject', '=', claims.subject).executeTakeFirst();
  if (linked) {
    if (linked.status === 'disabled') throw new AccountDisabledError();
    await assertCommuneUser(tx, linked.userId, provider.memberId);
    await tx.updateTable('userIdentities').set({ lastLoginAt: now }).where('id', '=', linked.id).execute();
    return linked.userId;
  }

  if (!claims.email) throw new FederationRefusedError("Le fournisseur d'identité de votre commune n'a pas donné d'adresse e-mail : la connexion est impossible. Prévenez le responsable informatique de votre commune.");
  if (!claims.emailVerified) {
    throw new FederationRefusedError("Le fournisseur d'identité de votre commune n'atteste pas que cette adresse e-mail est vérifiée : aucun compte n'a été ouvert. Prévenez le responsable informatique de votre commune.");
  }
  const routed = await tx.selectFrom('upstreamProviderDomains').select('domain').where('providerId', '=', provider.id)
    .where('domain', '=', domainOf(claims.email)).executeTakeFirst();
  if (!routed) {
    throw new FederationRefusedError(`L'adresse ${claims.email} n'est pas dans un domaine de messagerie de la commune : aucun compte n'a été ouvert.`);
  }

  const existing = (await sql<{ userId: string; syndicateId: string; status: string }>`
    select user_id, syndicate_id, status from auth_find_login(${claims.email})`.execute(tx)).rows[0];
  if (existing) {
    if (existing.syndicateId !== provider.syndicateId) throw new FederationRefusedError(ANOTHER_ACCOUNT);
    if (existing.status === 'disabled') throw new AccountDisabledError();
    await assertCommuneUser(tx, existing.userId, provider.memberId);
    const other = await tx.selectFrom('userIdentities').select('id').where('providerId', '=', provider.id).where('userId', '=', existing.userId).executeTakeFirst();
    if (other) throw new FederationRefusedError("Ce compte Mutualis est déjà relié à un autre compte de votre commune. Prévenez le responsable informatique de votre commune.");
    const identity = await tx.insertInto('userIdentities').values({
      syndicateId: provider.syndicateId, memberId: provider.memberId, userId: existing.userId, providerId: provider.id, subject: claims.subject, lastLoginAt: now,
    }).returning('id').executeTakeFirstOrThrow();
    // An invited person who signs in through the commune's provider has proved who they are.
    if (existing.status === 'invited') await tx.updateTable('users').set({ status: 'active' }).where('id', '=', existing.userId).execute();
    await appendAudit(tx, {
      syndicateId: provider.syndicateId, memberId: provider.memberId, actorUserId: existing.userId,
      action: 'federation.identity_linked', subjectType: 'User', subjectId: existing.userId,
      after: { identityId: identity.id, providerId: provider.id, provider: provider.label, subject: claims.subject, email: claims.email, activated: existing.status === 'invited' },
      ip: meta.ip,
    });
    return existing.userId;
  }

  const displayName = claims.displayName ?? claims.email.slice(0, claims.email.indexOf('@'));
  const user = await tx.insertInto('users').values({
    syndicateId: provider.syndicateId, email: claims.email, displayName, passwordHash: null, status: 'active',
  }).returning('id').executeTakeFirstOrThrow();
  await tx.insertInto('memberships').values({ syndicateId: provider.syndicateId, userId: user.id, memberId: provider.memberId, role: claims.role }).execute();
  const identity = await tx.insertInto('userIdentities').values({
    syndicateId: provider.syndicateId, memberId: provider.memberId, userId: user.id, providerId: provider.id, subject: claims.subject, lastLoginAt: now,
  }).returning('id').executeTakeFirstOrThrow();
  await appendAudit(tx, {
    syndicateId: provider.syndicateId, memberId: provider.memberId, actorUserId: user.id,
    action: 'federation.user_created', subjectType: 'User', subjectId: user.id,
    after: { email: claims.email, displayName, role: claims.role, identityId: identity.id, providerId: provider.id, provider: provider.label, subject: claims.subject },
    ip: meta.ip,
  });
  return user.id;
}
