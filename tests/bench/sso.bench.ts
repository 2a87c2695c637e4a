/**
 * Benchmark: the territorial SSO under load, on the test stack's web server (one Node process, on
 * the same two cores as PostgreSQL and this load generator).
 *
 * - password logins per second: the login form posted with the right password (argon2id verify,
 *   session, audit), CONCURRENCY at once;
 * - refresh-token grants per second: `openid-client` refresh grants for a confidential client
 *   (client authentication, refresh token lookup and rotation, new access and ID tokens signed ES256);
 * - baseline, measured in the same run: argon2id hashes per second with the platform's parameters
 *   (19 MiB, t=2, p=1) in this process — the ceiling of password logins on this machine.
 * Figures are given per CPU core and against Keycloak's published sizing (120 refresh grants/s and
 * 15 password logins/s per vCPU).
 *
 * Run: npm run bench -- sso   (BENCH_SECONDS per measure, default 10; BENCH_CONCURRENCY, default 8)
 */
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as oidc from 'openid-client';
import { hashPassword } from '@mutualis/core';
import { closeDbs, superuserDb } from '../support/db.ts';
import { createTenant } from '../support/factories.ts';
import { Browser } from '../support/oidc-browser.ts';

const WEB = process.env.WEB_URL!;
const ISSUER = `${WEB}/oidc`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const CORES = availableParallelism();

/** Runs `job` with CONCURRENCY in flight for SECONDS; returns completed jobs per second. */
async function rate(name: string, job: (lane: number) => Promise<void>): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, lane) => {
    while (performance.now() < end) {
      await job(lane);
      done++;
    }
  }));
  const perSecond = done / ((performance.now() - t0) / 1000);
  console.log(`  ${name.padEnd(34)} ${perSecond.toFixed(1).padStart(7)} /s   ${(perSecond / CORES).toFixed(1).padStart(6)} /s per core   (${done} in ${SECONDS} s)`);
  return perSecond;
}

const tenant = await createTenant({ communes: 1 });
const agent = tenant.users.commune_agent;
const clientId = `bench-${tenant.tag}`;
const clientSecret = randomBytes(32).toString('base64url');
const redirectUri = `https://bench.${tenant.tag}.mutualis.localhost/oidc/callback`;
await superuserDb().insertInto('oidcClients').values({
  clientId, syndicateId: tenant.syndicateId, memberId: tenant.members[0]!.id, subscriptionId: null, name: 'Application de mesure',
  secretHash: createHash('sha256').update(clientSecret).digest(), redirectUris: [redirectUri], postLogoutRedirectUris: [],
}).execute();

console.log(`SSO benchmark: ${CORES} cores, ${CONCURRENCY} requests in flight, ${SECONDS} s per measure\n`);

// Baseline: argon2id with the platform's parameters, in this process.
const argon2 = await rate('argon2id hashes (baseline)', () => hashPassword('correct horse battery staple').then(() => undefined));

// Password logins through the web server's login form.
const sessions: string[] = [];
const logins = await rate('password logins (form)', async (lane) => {
  const res = await fetch(`${WEB}/connexion`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: WEB },
    body: new URLSearchParams({ email: agent.email, password: tenant.password }).toString(),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('mutualis_session='));
  if (res.status !== 303 || !cookie) throw new Error(`login refused (${res.status}): ${(await res.text()).slice(0, 300)}`);
  sessions[lane] = cookie.split(';')[0]!.split('=')[1]!;
});

// One refresh token per lane, from a real code flow, then refresh grants.
const config = await oidc.discovery(new URL(ISSUER), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
const refreshTokens: string[] = [];
for (let lane = 0; lane < CONCURRENCY; lane++) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid email profile commune', state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const outcome = await new Browser(sessions[lane]).follow(url.href, redirectUri);
  if (!('redirect' in outcome)) throw new Error(`no code: stopped on ${outcome.url}`);
  const tokens = await oidc.authorizationCodeGrant(config, outcome.redirect, { pkceCodeVerifier: verifier, expectedState: state });
  refreshTokens[lane] = tokens.refresh_token!;
}
const refreshes = await rate('refresh-token grants', async (lane) => {
  const tokens = await oidc.refreshTokenGrant(config, refreshTokens[lane]!);
  if (tokens.refresh_token) refreshTokens[lane] = tokens.refresh_token;
});

console.log(`
  password logins / argon2id hashes:   ${(logins / argon2).toFixed(2)} (1.00 would mean a login costs no more than its hash)
  against Keycloak's sizing per vCPU:  refresh grants ${(refreshes / CORES).toFixed(0)} vs 120 (×${(refreshes / CORES / 120).toFixed(2)}), password logins ${(logins / CORES).toFixed(1)} vs 15 (×${(logins / CORES / 15).toFixed(2)})
  (the web server shares its ${CORES} cores with PostgreSQL, Temporal and this load generator)`);
await closeDbs();
process.exit(0);
