/**
 * A commune's own OpenID provider, for the federation tests: a separate process running
 * `oidc-provider` on 127.0.0.1 with a login form of its own ("Identifiant" = the account's `sub`).
 * Started by tests/support/upstream-idp.ts, which passes:
 *   UPSTREAM_PORT            where to listen
 *   UPSTREAM_CLIENTS         JSON [{ "clientId", "clientSecret", "redirectUri" }]
 *   UPSTREAM_CONTROL_TOKEN   the token a test sends (header x-control-token) to PUT /_test/accounts/<sub>
 * Accounts live in memory: { email, email_verified, name, given_name, usual_name, groups, amr, acr }.
 * Prints `listening <issuer>` once ready.
 */
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

interface TestAccount {
  email?: string; email_verified?: unknown; name?: string; given_name?: string; usual_name?: string; groups?: string[];
  /** how the person signed in, as the ID token will say (default ['pwd']) */
  amr?: string[]; acr?: string;
}

const port = Number(process.env.UPSTREAM_PORT);
const clients = JSON.parse(process.env.UPSTREAM_CLIENTS ?? '[]') as Array<{ clientId: string; clientSecret: string; redirectUri: string }>;
const controlToken = process.env.UPSTREAM_CONTROL_TOKEN ?? '';
if (!port || !controlToken) throw new Error('UPSTREAM_PORT and UPSTREAM_CONTROL_TOKEN are required');
const issuer = `http://127.0.0.1:${port}`;
const accounts = new Map<string, TestAccount>();
const SCOPES = ['openid', 'email', 'profile', 'groups', 'given_name', 'usual_name'];

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const configuration: Configuration = {
  clients: clients.map((c) => ({
    client_id: c.clientId, client_secret: c.clientSecret, redirect_uris: [c.redirectUri],
    grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [{ ...signingKey, kid: 'upstream-test', alg: 'RS256', use: 'sig' } as never] },
  cookies: { keys: [randomBytes(32).toString('base64url')], names: { session: '_up_session', interaction: '_up_interaction', resume: '_up_interaction_resume' } },
  scopes: SCOPES,
  // acr/amr/auth_time/sid/iss must stay listed: oidc-provider only emits the claims its configuration names.
  claims: { acr: null, amr: null, auth_time: null, sid: null, iss: null, openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'usual_name'], groups: ['groups'], given_name: ['given_name'], usual_name: ['usual_name'] },
  acrValues: ['urn:test:loa:low', 'urn:test:loa:mfa'],
  findAccount: (_ctx: KoaContextWithOIDC, sub: string) => {
    const account = accounts.get(sub);
    if (!account) return undefined;
    const { amr: _amr, acr: _acr, ...claims } = account;
    return { accountId: sub, claims: () => ({ sub, ...claims }) };
  },
  // As ProConnect: amr/acr reach the ID token when the client asks for them with the claims parameter.
  features: { devInteractions: { enabled: false }, claimsParameter: { enabled: true } },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // The commune's provider knows the platform: no consent screen.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
    grant.addOIDCScope(SCOPES.join(' '));
    await grant.save();
    return grant;
  },
};
const provider = new Provider(issuer, configuration);

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function page(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Compte de la mairie</title></head><body><main>${body}</main></body></html>`);
}
const readBody = (req: http.IncomingMessage) => new Promise<string>((resolve, reject) => {
  let data = '';
  req.setEncoding('utf8').on('data', (chunk: string) => { data += chunk; }).on('end', () => resolve(data)).on('error', reject);
});

const callback = provider.callback();
const server = http.createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', issuer);
    const control = /^\/_test\/accounts\/([^/]+)$/.exec(url.pathname);
    if (control && req.method === 'PUT') {
      if (req.headers['x-control-token'] !== controlToken) { res.writeHead(403).end(); return; }
      accounts.set(decodeURIComponent(control[1]!), JSON.parse(await readBody(req)) as TestAccount);
      res.writeHead(204).end();
      return;
    }
    const interaction = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(url.pathname);
    if (interaction) {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'POST' && interaction[2]) {
        const sub = new URLSearchParams(await readBody(req)).get('sub') ?? '';
        const account = accounts.get(sub);
        if (!account) { page(res, 400, `<h1>Compte de la mairie</h1><p role="alert">Identifiant inconnu.</p>`); return; }
        await provider.interactionFinished(req, res, { login: { accountId: sub, amr: account.amr ?? ['pwd'], acr: account.acr ?? 'urn:test:loa:low' } }, { mergeWithLastSubmission: false });
        return;
      }
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
      page(res, 200, `<h1>Compte de la mairie</h1><p data-testid="login-hint">${escape(hint)}</p>
        <form method="post" action="/interaction/${details.uid}/login"><label for="sub">Identifiant</label>
        <input id="sub" name="sub" autocomplete="username"><button type="submit">Valider</button></form>`);
      return;
    }
    callback(req, res);
  })().catch((error: unknown) => {
    console.error('[upstream-idp]', error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
