/**
 * A real relying party of the territorial SSO for browser tests: one HTTPS server answering for
 * one or several applications, chosen by the Host header (`<app>.<commune>.mutualis.localhost`, as
 * the portal tiles link to). Each signs its users in with openid-client (authorization code + PKCE
 * + state + nonce, the ID token's signature checked on the provider's keys), keeps its own session
 * cookie and greets the user with the claims ("Bonjour <name>", the commune); it logs out through
 * the provider (RP-initiated logout) and ends its sessions when the provider POSTs a logout token
 * (back-channel logout, the token checked with jose: signature, issuer, audience, events, sid).
 *
 * How the browser and the provider reach it: see "How the end-to-end tests reach the applications"
 * in the README. Its certificate names every application's host and is signed by the test run's
 * CA (MUTUALIS_TEST_CA_DIR), which the web process trusts; Chromium is given its key's SPKI hash.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { generate } from 'selfsigned';

export interface RpAppSpec {
  /** the instance's host name, e.g. `messagerie.commune.mutualis.localhost` */
  host: string;
  /** the application's name on its pages */
  title: string;
  clientId: string;
  clientSecret: string;
}

export interface RpOptions {
  /** the provider's issuer (`<web origin>/oidc`) */
  issuer: string;
  apps: RpAppSpec[];
  /** where it listens on 127.0.0.1 (MUTUALIS_TEST_RP_PORT) */
  port: number;
}

/** A signed-in user of one application, from the claims of the ID token. */
export interface RpSession { id: string; sub: string; sid: string; name: string; communeName: string; communeInsee: string; idToken: string }

/** A logout token the provider POSTed, and what it ended. */
export interface RpLogout { host: string; sub: string | undefined; sid: string; endedSessions: number }

export interface RpServer {
  port: number;
  /** base64 SHA-256 of the certificate's public key, for Chromium's --ignore-certificate-errors-spki-list */
  spki: string;
  /** the sessions an application holds now */
  sessions(host: string): RpSession[];
  /** the verified logout tokens received, in order */
  logouts: RpLogout[];
  /** logout tokens refused, with the reason (a test can assert there were none) */
  refusedLogouts: Array<{ host: string; reason: string }>;
  stop(): Promise<void>;
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const BACKCHANNEL_LOGOUT_PATH = '/oidc/backchannel-logout';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) => `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main>${body}</main></body></html>`;
const cookiesOf = (req: IncomingMessage) => Object.fromEntries((req.headers.cookie ?? '').split(';').map((c) => c.trim().split('='))
  .filter((p) => p.length >= 2).map(([k, ...v]) => [k!, v.join('=')]));

/** The test run's CA (made by infra/stack/test.ts), which signs the applications' certificate. */
function testCa(): { key: string; cert: string } {
  const dir = process.env.MUTUALIS_TEST_CA_DIR;
  if (!dir) throw new Error('MUTUALIS_TEST_CA_DIR is not set: run the browser tests through `npm test`, which makes the test CA.');
  return { key: readFileSync(path.join(dir, 'ca-key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'ca.pem'), 'utf8') };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the applications' HTTPS server on 127.0.0.1:`port`. */
export async function startRpServer({ issuer, apps, port }: RpOptions): Promise<RpServer> {
  const now = Date.now();
  const leaf = await generate([{ name: 'commonName', value: apps[0]!.host }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', ca: testCa(), notBeforeDate: new Date(now - 60_000), notAfterDate: new Date(now + 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: apps.map((a) => ({ type: 2 as const, value: a.host })) },
    ],
  });
  const spki = createHash('sha256').update(createPublicKey(leaf.private).export({ type: 'spki', format: 'der' })).digest('base64');

  // The provider is reached over plain http in tests (http://localhost:<port>/oidc).
  const insecure = new URL(issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
  const configs = new Map<string, oidc.Configuration>();
  for (const app of apps) {
    const config = await oidc.discovery(new URL(issuer), app.clientId, app.clientSecret, undefined, insecure);
    // Check the ID token's signature on the provider's published keys, not only its claims.
    oidc.enableNonRepudiationChecks(config);
    configs.set(app.host, config);
  }
  const jwksUri = configs.get(apps[0]!.host)!.serverMetadata().jwks_uri!;
  const jwks = createRemoteJWKSet(new URL(jwksUri));

  const sessions = new Map<string, Map<string, RpSession>>(apps.map((a) => [a.host, new Map()]));
  /** authorization requests in flight, by state (bound to the browser by the `rp_auth` cookie) */
  const pending = new Map<string, { host: string; codeVerifier: string; nonce: string }>();
  /** logout requests in flight, by state: coming back with it shows "déconnecté" rather than signing in again */
  const loggingOut = new Map<string, string>();
  const seenJti = new Set<string>();
  const logouts: RpLogout[] = [];
  const refusedLogouts: RpServer['refusedLogouts'] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const app = apps.find((a) => a.host === host);
    const send = (status: number, html: string, headers: Record<string, string | string[]> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(html);
    };
    if (!app) return send(404, page('Inconnu', `<h1>Aucune application à l'adresse ${escapeHtml(host)}</h1>`));
    const config = configs.get(host)!;
    const url = new URL(req.url ?? '/', `https://${host}`);
    const cookies = cookiesOf(req);
    const mine = sessions.get(host)!;
    const session = cookies.rp_session ? mine.get(cookies.rp_session) : undefined;

    if (req.method === 'POST' && url.pathname === BACKCHANNEL_LOGOUT_PATH) {
      try {
        const token = new URLSearchParams(await readBody(req)).get('logout_token');
        if (!token) throw new Error('no logout_token');
        const { payload } = await jwtVerify(token, jwks, { issuer, audience: app.clientId, typ: 'logout+jwt', algorithms: ['ES256'], maxTokenAge: '5 minutes' });
        const events = payload.events as Record<string, unknown> | undefined;
        if (!events || typeof events[BACKCHANNEL_EVENT] !== 'object') throw new Error('no back-channel logout event');
        if ('nonce' in payload) throw new Error('a logout token carries no nonce');
        if (typeof payload.sid !== 'string') throw new Error('no sid (the client requires it)');
        if (!payload.jti || seenJti.has(payload.jti)) throw new Error('jti missing or replayed');
        seenJti.add(payload.jti);
        let endedSessions = 0;
        for (const [id, s] of mine) {
          if (s.sid === payload.sid && (payload.sub === undefined || s.sub === payload.sub)) {
            mine.delete(id);
            endedSessions++;
          }
        }
        logouts.push({ host, sub: payload.sub, sid: payload.sid, endedSessions });
        res.writeHead(200, { 'cache-control': 'no-store' });
        res.end();
      } catch (error) {
        refusedLogouts.push({ host, reason: error instanceof Error ? error.message : String(error) });
        res.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: 'invalid_request' }));
      }
      return;
    }
    if (req.method !== 'GET') return send(405, page('Méthode refusée', '<h1>Méthode refusée</h1>'));

    if (url.pathname === '/oidc/callback') {
      const state = cookies.rp_auth;
      const flow = state ? pending.get(state) : undefined;
      if (!state || !flow || flow.host !== host) return send(400, page(app.title, '<h1>Connexion expirée</h1><p>Aucune connexion en cours dans ce navigateur.</p>'));
      pending.delete(state);
      try {
        const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: flow.codeVerifier, expectedState: state, expectedNonce: flow.nonce, idTokenExpected: true });
        const claims = tokens.claims()!;
        const id = randomBytes(32).toString('base64url');
        mine.set(id, {
          id, sub: claims.sub, sid: String(claims.sid), name: String(claims.name), communeName: String(claims.commune_name), communeInsee: String(claims.commune_insee),
          idToken: tokens.id_token!,
        });
        return send(303, '', { location: '/', 'set-cookie': [`rp_session=${id}; Path=/; HttpOnly; Secure; SameSite=Lax`, 'rp_auth=; Path=/; Max-Age=0; Secure'] });
      } catch (error) {
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return send(400, page(app.title, `<h1>Connexion refusée</h1><p role="alert">${escapeHtml(detail)}</p>`));
      }
    }

    if (url.pathname === '/deconnexion') {
      if (!session) return send(303, '', { location: '/' });
      // The application's own session ends when the provider says so (the logout token), not here:
      // if the user does not confirm on the provider's page, they stay signed in everywhere.
      const state = oidc.randomState();
      loggingOut.set(state, host);
      const end = oidc.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: `https://${host}/`, state });
      return send(303, '', { location: end.href });
    }

    if (url.pathname === '/') {
      if (session) {
        return send(200, page(app.title, `<h1>${escapeHtml(app.title)}</h1><p data-testid="greeting">Bonjour ${escapeHtml(session.name)}</p>`
          + `<p data-testid="commune">Commune : ${escapeHtml(session.communeName)} (${escapeHtml(session.communeInsee)})</p><p><a href="/deconnexion">Se déconnecter</a></p>`));
      }
      const returning = url.searchParams.get('state');
      if (returning && loggingOut.get(returning) === host) {
        loggingOut.delete(returning);
        return send(200, page(app.title, `<h1>${escapeHtml(app.title)}</h1><p data-testid="signed-out">Vous êtes déconnecté.</p><p><a href="/">Se reconnecter</a></p>`));
      }
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      pending.set(state, { host, codeVerifier, nonce });
      const authorize = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `https://${host}/oidc/callback`, scope: 'openid email profile commune', state, nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
      });
      return send(303, '', { location: authorize.href, 'set-cookie': `rp_auth=${state}; Path=/; HttpOnly; Secure; SameSite=Lax` });
    }
    return send(404, page(app.title, '<h1>Page introuvable</h1>'));
  }

  const server = https.createServer({ key: leaf.private, cert: leaf.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('[rp-app]', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port, spki, logouts, refusedLogouts,
    sessions: (host) => [...(sessions.get(host)?.values() ?? [])],
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
