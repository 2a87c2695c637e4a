/**
 * The production web server: adapter-node's request handler behind a small Node HTTP server of our
 * own. It fixes the public origin at run time from ORIGIN (adapter-node 6 only knows it at build
 * time, and otherwise guesses https), so one build serves any deployment; later it is also where
 * non-SvelteKit handlers (the OpenID provider) are mounted.
 */
import http from 'node:http';
import { createDb } from '@mutualis/db';
import { connectToFetch, createIdentityProvider, createInteractionHandler, endPlatformSessionOnLogout, parseConnectTo, sweepExpired } from '@mutualis/identity';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
const origin = new URL(process.env.ORIGIN ?? `http://localhost:${port}`);
const PROTO = 'x-mutualis-origin-proto';
const HOST = 'x-mutualis-origin-host';
process.env.PROTOCOL_HEADER = PROTO;
process.env.HOST_HEADER = HOST;

const { handler } = (await import(new URL('./build/handler.js', import.meta.url).href)) as {
  handler: (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;
};

// The territorial SSO (OpenID provider) at /oidc, and its interaction endpoint, beside SvelteKit.
const missing = ['APP_DATABASE_URL', 'MUTUALIS_SECRET_KEY'].filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`[web] missing settings: ${missing.join(', ')} (see the README, Settings). \`npm start\` sets them for a developer machine.`);
  process.exit(1);
}
const db = createDb(process.env.APP_DATABASE_URL!, { max: 5, applicationName: 'mutualis-sso' });
// Tests only (SSO_CONNECT_TO, as curl's --connect-to): the applications' back-channel logout URIs are reached on a local address.
const connectTo = process.env.SSO_CONNECT_TO ? parseConnectTo(process.env.SSO_CONNECT_TO) : [];
const provider = await createIdentityProvider({
  db, origin: origin.origin, secretKey: process.env.MUTUALIS_SECRET_KEY!, ...(connectTo.length > 0 ? { fetch: connectToFetch(connectTo) } : {}),
});
const interaction = createInteractionHandler({ provider, db, sessionCookie: 'mutualis_session' });
provider.on('server_error', (_ctx, error) => console.error('[sso]', error));
provider.on('backchannel.error', (_ctx, error, client) => console.error(`[sso] back-channel logout of ${client.clientId} failed:`, error instanceof Error ? error.message : error));
endPlatformSessionOnLogout({ provider, db, sessionCookie: 'mutualis_session' });
// Expired SSO records (codes, tokens, sessions) are already invisible; every hour they are deleted.
setInterval(() => { sweepExpired(db).catch((error: unknown) => console.error('[sso] sweeping expired records', error)); }, 3600_000).unref();
// After every middleware is in place: Koa composes them when the callback is made.
const oidc = provider.callback();

const server = http.createServer((req, res) => {
  // Always overwritten: a client cannot choose the origin the app believes it is served from.
  req.headers[PROTO] = origin.protocol.slice(0, -1);
  req.headers[HOST] = origin.host;
  const url = req.url ?? '/';
  if (url === '/oidc' || url.startsWith('/oidc/') || url.startsWith('/oidc?')) {
    req.headers['x-forwarded-proto'] = origin.protocol.slice(0, -1);
    req.headers['x-forwarded-host'] = origin.host;
    // Mounted as Express would: the provider finds its mount path from originalUrl.
    (req as http.IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice('/oidc'.length) || '/';
    oidc(req, res);
    return;
  }
  if (/^\/interaction\/[A-Za-z0-9_-]+$/.test(url.split('?')[0]!) && req.method === 'GET') {
    interaction(req, res).catch((error: unknown) => {
      console.error('[sso]', error);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
    return;
  }
  handler(req, res, () => {
    res.statusCode = 404;
    res.end('Not found');
  });
});

server.listen(port, host, () => console.log(`[web] listening on ${host}:${port}, public origin ${origin.origin}`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
