import { createHash, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { interactionPolicy, type Account, type Adapter, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { authenticate, logout, pendingSession, requireSecondFactor } from '@mutualis/core';
import { sql, type Db } from '@mutualis/db';
import { PostgresAdapter } from './adapter.ts';
import { loadSigningKeys } from './keys.ts';

export interface IdentityOptions {
  db: Db;
  /** the public origin of the web app; the issuer is `<origin>/oidc` */
  origin: string;
  /** MUTUALIS_SECRET_KEY: decrypts the signing keys, derives the provider's cookie keys */
  secretKey: string;
  /** the provider's outbound requests (back-channel logout); default: `fetch`, which refuses private and loopback addresses */
  fetch?: Configuration['fetch'];
  /** the platform's session cookie: an SSO session lasts only while the platform session of the same browser does */
  sessionCookie?: string;
}

/** Every scope a platform client may ask for; `commune` carries the member and the roles. */
const SCOPES = ['openid', 'offline_access', 'email', 'profile', 'commune'];
const MEMBER = 'mutualis_member_id';
const SYNDICATE = 'mutualis_syndicate_id';
/** 'yes' when the offering lets the syndicate's administrators and operators in too */
const STAFF = 'mutualis_staff_access';
const MEMBER_NAME = 'mutualis_member_name';
const MEMBER_INSEE = 'mutualis_member_insee';
/** The syndicate roles an offering's staff access lets in. */
const STAFF_ROLES = new Set(['syndicate_admin', 'syndicate_operator']);
/** The member and syndicate a client is bound to (the provider's Client keeps extra metadata under its own name, or camel-cased). */
const boundTo = (client: unknown) => {
  const c = client as Record<string, string | undefined>;
  return {
    memberId: c[MEMBER] ?? c.mutualisMemberId, syndicateId: c[SYNDICATE] ?? c.mutualisSyndicateId, staffAccess: (c[STAFF] ?? c.mutualisStaffAccess) === 'yes',
    memberName: c[MEMBER_NAME] ?? c.mutualisMemberName ?? null, memberInsee: c[MEMBER_INSEE] ?? c.mutualisMemberInsee ?? null,
  };
};

/**
 * Who may sign in to a client: the people of its member, and the syndicate's administrators and
 * operators where the offering allows it. Nobody of another syndicate.
 */
export function mayUse(person: { syndicateId: string; memberships: ReadonlyArray<{ role: string; memberId: string | null }> }, client: ReturnType<typeof boundTo>): boolean {
  if (person.syndicateId !== client.syndicateId) return false;
  return person.memberships.some((m) => m.memberId === client.memberId || (client.staffAccess && m.memberId === null && STAFF_ROLES.has(m.role)));
};
/** Assurance levels in `acr`: a password (or a federation without MFA), or a second factor. */
export const ACR_PASSWORD = 'urn:mutualis:loa:pwd';
export const ACR_MFA = 'urn:mutualis:loa:mfa';
const acrOf = (amr: readonly string[]) => (amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD);
/** Whether the application asked for the MFA level (`acr_values`, space-separated, by preference). */
const wantsMfa = (acrValues: unknown) => typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest();
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small French page in the platform's colours, for the provider's own screens (errors, logout). */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)} — Mutualis</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#161616}h1{font-size:1.5rem}button{background:#000091;color:#fff;border:0;padding:.6rem 1rem;font-size:1rem;cursor:pointer}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

/**
 * The login prompt, plus one check: the SSO session of a browser holds only while that browser's
 * platform session is alive and is the same person's, only for clients that person may use, and,
 * for a client that asks for the MFA level (`acr_values`), only once a second factor was shown. A
 * session ended from "Mon compte", by the DSI, by a logout or by its idle time sends the next
 * application through the login again.
 */
function loginFollowsPlatformSession(db: Db, sessionCookie: string) {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(new interactionPolicy.Check('platform_session', 'The platform session has ended', async (ctx) => {
    const accountId = ctx.oidc.session?.accountId;
    if (!accountId) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const actor = await authenticate(db, cookiesOf(ctx.req)[sessionCookie], ctx.ip ?? null);
    if (actor?.userId !== accountId) return interactionPolicy.Check.REQUEST_PROMPT;
    // Signed in already, but to another commune's application: the interaction says no, with a page.
    if (ctx.oidc.client && !mayUse(actor, boundTo(ctx.oidc.client))) return interactionPolicy.Check.REQUEST_PROMPT;
    // The application asks for MFA and this session has none yet: the interaction steps up.
    return wantsMfa(ctx.oidc.params?.acr_values) && !actor.amr.includes('mfa') ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  }));
  return policy;
}

/** Clients are those the `oidc-client` provisioner registered (`oidc_clients`), read by one narrow function. */
function clientAdapter(db: Db): Adapter {
  const none = async () => undefined;
  return {
    async find(id: string): Promise<AdapterPayload | undefined> {
      const row = (await sql<{ clientId: string; syndicateId: string; memberId: string; name: string; secretHash: Buffer; redirectUris: string[]; postLogoutRedirectUris: string[]; backchannelLogoutUri: string | null; staffAccess: boolean; memberName: string; memberInsee: string | null }>`
        select * from oidc_find_client(${id})`.execute(db)).rows[0];
      if (!row) return undefined;
      return {
        client_id: row.clientId, client_name: row.name, client_secret: row.secretHash.toString('hex'),
        redirect_uris: row.redirectUris, post_logout_redirect_uris: row.postLogoutRedirectUris,
        grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256', [MEMBER]: row.memberId, [SYNDICATE]: row.syndicateId,
        [STAFF]: row.staffAccess ? 'yes' : 'no', [MEMBER_NAME]: row.memberName, ...(row.memberInsee ? { [MEMBER_INSEE]: row.memberInsee } : {}),
        // Signing out ends the application's session too: the provider POSTs it a logout token naming the session (sid).
        ...(row.backchannelLogoutUri ? { backchannel_logout_uri: row.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      };
    },
    upsert: none, findByUid: none, findByUserCode: none, consume: none, destroy: none, revokeByGrantId: none,
  };
}

interface AccountRow {
  userId: string; syndicateId: string; email: string; displayName: string; status: string;
  memberships: Array<{ role: string; memberId: string | null; memberName: string | null; inseeCode: string | null }>;
}

/**
 * The territorial SSO: oidc-provider with its storage in PostgreSQL, keys from the database, the
 * platform's own login (the interaction handler below) and clients from the provisioner.
 */
export async function createIdentityProvider({ db, origin, secretKey, fetch, sessionCookie = 'mutualis_session' }: IdentityOptions): Promise<Provider> {
  const issuer = `${origin.replace(/\/$/, '')}/oidc`;
  const cookieKey = Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'base64'), Buffer.alloc(0), 'mutualis/oidc-cookies/v1', 32)).toString('base64url');

  async function findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    if (!UUID.test(sub)) return undefined;
    const row = (await sql<AccountRow>`select * from oidc_find_account(${sub}::uuid)`.execute(db)).rows[0];
    // A disabled account signs in nowhere, and its refresh tokens are refused.
    if (!row || row.status !== 'active') return undefined;
    const client = ctx.oidc.client ? boundTo(ctx.oidc.client) : undefined;
    const memberId = client?.memberId;
    if (client && row.syndicateId !== client.syndicateId) return undefined;
    // Someone who may no longer use this client (a role removed since) gets no new tokens from it.
    if (client && !mayUse({ syndicateId: row.syndicateId, memberships: row.memberships }, client)) return undefined;
    const here = row.memberships.filter((m) => m.memberId === memberId);
    // Syndicate staff let in by the offering: the client's commune, with their syndicate roles.
    const staff = here.length === 0 ? row.memberships.filter((m) => m.memberId === null && STAFF_ROLES.has(m.role)) : [];
    return {
      accountId: sub,
      claims: () => ({
        sub, email: row.email, email_verified: true, name: row.displayName,
        commune_insee: here[0]?.inseeCode ?? client?.memberInsee ?? null, commune_name: here[0]?.memberName ?? client?.memberName ?? null,
        roles: (here.length > 0 ? here : staff).map((m) => m.role),
      }),
    };
  }

  const configuration: Configuration = {
    adapter: (name: string) => (name === 'Client' ? clientAdapter(db) : new PostgresAdapter(db, name)),
    jwks: { keys: await loadSigningKeys(db, secretKey) },
    cookies: { keys: [cookieKey], long: { signed: true, sameSite: 'lax' }, short: { signed: true, sameSite: 'lax' } },
    scopes: SCOPES,
    acrValues: [ACR_PASSWORD, ACR_MFA],
    // acr and amr (how the person signed in) are part of every ID token, with the subject.
    claims: { acr: null, amr: null, auth_time: null, sid: null, openid: ['sub', 'acr', 'amr'], email: ['email', 'email_verified'], profile: ['name'], commune: ['commune_insee', 'commune_name', 'roles'] },
    extraClientMetadata: { properties: [MEMBER, SYNDICATE, STAFF, MEMBER_NAME, MEMBER_INSEE] },
    findAccount,
    ...(fetch ? { fetch } : {}),
    // The ID token carries the claims of the granted scopes too (applications read the commune and roles from it).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    // The authorization code flow only (no implicit or hybrid flows: tokens never travel in URLs).
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Se déconnecter', `<p>Voulez-vous vous déconnecter de Mutualis et des applications ouvertes avec ce compte ?</p>${form}<button form="op.logoutForm" name="logout" value="yes">Se déconnecter</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Vous êtes déconnecté', '<p>Votre session est fermée. <a href="/connexion">Se reconnecter</a></p>');
        },
      },
    },
    // Every client is an application the syndicate hosts for the member: no consent screen.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(SCOPES.join(' '));
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: loginFollowsPlatformSession(db, sessionCookie) },
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 12 * 3600, Grant: 14 * 86_400,
      RefreshToken: 14 * 86_400,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Connexion impossible', `<p>La demande de connexion de l'application n'a pas abouti.</p><p><code>${escapeHtml(String(out.error))}</code> ${escapeHtml(String(out.error_description ?? ''))}</p>`);
    },
  };
  const provider = new Provider(issuer, configuration);
  // Behind the platform's own web server, which says which origin it serves.
  provider.proxy = true;
  // Only the SHA-256 of a client secret is stored: compare the hash of what the client sent.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const expected = Buffer.from(this.clientSecret ?? '', 'hex');
    const got = sha256(actual);
    return Promise.resolve(expected.length === got.length && timingSafeEqual(expected, got));
  } as never;
  return provider;
}

export interface InteractionOptions {
  provider: Provider;
  db: Db;
  /** the platform's session cookie */
  sessionCookie: string;
}

const cookiesOf = (req: IncomingMessage) => Object.fromEntries((req.headers.cookie ?? '').split(';').map((c) => c.trim().split('=')).filter((p) => p.length >= 2)
  .map(([k, ...v]) => [k!, decodeURIComponent(v.join('='))]));

function redirect(res: ServerResponse, location: string) {
  res.statusCode = 303;
  res.setHeader('location', location);
  res.end();
}

/**
 * `/interaction/<uid>`: the provider asks who is there. The platform's session answers (one login
 * for the console and every application): none → the login page, which comes back here; a user
 * of another commune → a page that says so; otherwise the sign-in completes at once.
 */
export function createInteractionHandler({ provider, db, sessionCookie }: InteractionOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Lien de connexion expiré', "<p>Cette demande de connexion a expiré ou a déjà servi. Retournez à l'application et reconnectez-vous.</p>"));
      return;
    }
    const ip = req.socket.remoteAddress ?? null;
    const actor = await authenticate(db, cookiesOf(req)[sessionCookie], ip);
    if (!actor) {
      // A password already typed but a second factor still due: straight to the verification page.
      const pending = await pendingSession(db, cookiesOf(req)[sessionCookie]);
      return redirect(res, `/connexion${pending ? '/verification' : ''}?redirectTo=${encodeURIComponent(`/interaction/${details.uid}`)}`);
    }
    const client = await provider.Client.find(String(details.params.client_id)) as unknown as (Record<string, string> & { clientName?: string }) | undefined;
    const bound = client ? boundTo(client) : undefined;
    const allowed = bound && mayUse(actor, bound);
    if (!client || !allowed) {
      return redirect(res, `/acces-refuse?application=${encodeURIComponent(client?.clientName ?? String(details.params.client_id))}`);
    }
    // Step-up: the application wants MFA, this session has none. The session waits for a second factor
    // (or its enrolment) on the verification page, which comes back here.
    if (wantsMfa(details.params.acr_values) && !actor.amr.includes('mfa')) {
      await requireSecondFactor(db, actor);
      return redirect(res, `/connexion/verification?redirectTo=${encodeURIComponent(`/interaction/${details.uid}`)}`);
    }
    // The application learns how the person proved who they are: `amr` (RFC 8176) and an `acr` level.
    await provider.interactionFinished(req, res, {
      login: { accountId: actor.userId, amr: actor.amr, acr: acrOf(actor.amr), remember: false },
    }, { mergeWithLastSubmission: false });
  };
}

/**
 * Single logout: when an application logs the user out of the SSO (RP-initiated logout), the
 * platform's own session ends too, so the next application asks for the password again.
 */
export function endPlatformSessionOnLogout({ provider, db, sessionCookie }: InteractionOptions): void {
  // Ended before the provider's response leaves (a middleware after the route, not an event): a browser
  // that goes straight back to an application cannot find the platform session still open.
  provider.use(async (ctx, next) => {
    await next();
    // Only when the person confirmed (`logout=yes`); "stay signed in" keeps the platform session too.
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status >= 400 || !(ctx.oidc.params as Record<string, unknown> | undefined)?.logout) return;
    const actor = await authenticate(db, cookiesOf(ctx.req)[sessionCookie], ctx.ip ?? null);
    if (actor) await logout(db, actor);
  });
}
