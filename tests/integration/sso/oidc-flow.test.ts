/**
 * The territorial SSO against the running web server (the test stack's): a client made by the
 * oidc-client provisioner, the authorization-code flow with PKCE driven by `openid-client` with
 * the platform's own session as the login, the ID token's signature checked on the published JWKS,
 * refresh, userinfo, and logout; a user of another commune refused; a disabled user's refresh refused.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import {
  authenticate, confirmTotpEnrolment, findLiveSession, logout, requestSubscription, revealSecrets, startTotpEnrolment,
} from '@mutualis/core';
import { appDb, closeDbs, superuserDb } from '../../support/db.ts';
import { createTenant, testTemporal, type TestTenant } from '../../support/factories.ts';
import { startTestWorker, type TestWorker } from '../../support/workers.ts';
import { addOffering } from '../subscriptions/support.ts';
import { Browser } from '../../support/oidc-browser.ts';

const WEB = process.env.WEB_URL!;
const ISSUER = `${WEB}/oidc`;
let worker: TestWorker;
let tenant: TestTenant;
let clientId: string;
let clientSecret: string;
let redirectUri: string;
let config: oidc.Configuration;

beforeAll(async () => {
  [worker, tenant] = await Promise.all([startTestWorker('sso', { smtpUrl: process.env.SMTP_URL! }), createTenant({ communes: 2 })]);
  // The commune's intranet, with an SSO client and an address, made by the provisioners.
  const { offeringId, planId } = await addOffering(tenant.syndicateId, 'intranet', [{ key: 'sso', kind: 'oidc-client' }, { key: 'endpoint', kind: 'app-endpoint' }]);
  const dsi = await tenant.actorFor('commune_dsi');
  const requested = await requestSubscription(appDb(), await testTemporal(), dsi, { memberId: tenant.members[0]!.id, offeringId, planId }, worker.taskQueue);
  await (await testTemporal()).workflow.getHandle(requested.workflowId).result();
  const [secret] = await revealSecrets(appDb(), dsi, requested.subscriptionId, process.env.MUTUALIS_SECRET_KEY!);
  clientId = secret!.values.find((v) => v.name === 'Identifiant client')!.value;
  clientSecret = secret!.values.find((v) => v.name === 'Secret client')!.value;
  const row = await superuserDb().selectFrom('oidcClients').select('redirectUris').where('clientId', '=', clientId).executeTakeFirstOrThrow();
  redirectUri = row.redirectUris[0]!;
  config = await oidc.discovery(new URL(ISSUER), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await closeDbs();
});

async function authorize(browser: Browser, extra: Record<string, string> = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid email profile commune', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256', ...extra,
  });
  return { codeVerifier, state, outcome: await browser.follow(url.href, redirectUri) };
}

describe('the territorial SSO (OpenID Connect)', () => {
  it('an SSO session lasts only while the platform session of the same browser does', async () => {
    const agent = await tenant.addUser('commune_agent', tenant.members[0]!.id);
    const { token, actor } = await tenant.openSession(agent);
    const browser = new Browser(token);
    expect('redirect' in (await authorize(browser)).outcome).toBe(true);
    // The platform session ends (from "Mon compte" on another device, by the DSI, or idle): the SSO's goes with it.
    await logout(appDb(), actor);
    const again = (await authorize(browser)).outcome;
    expect('redirect' in again).toBe(false);
    if (!('redirect' in again)) expect(new URL(again.url).pathname).toBe('/connexion');
  });

  it('steps up to a second factor when the application asks for the MFA level (acr_values)', async () => {
    const agent = await tenant.addUser('commune_agent', tenant.members[0]!.id);
    const { token } = await tenant.openSession(agent);
    const browser = new Browser(token);
    const { codeVerifier, state, outcome } = await authorize(browser, { acr_values: 'urn:mutualis:loa:mfa' });
    if (!('page' in outcome)) throw new Error(`a code was issued without a second factor: ${outcome.redirect.href}`);
    const at = new URL(outcome.url);
    expect(at.pathname).toBe('/connexion/verification');
    const resume = at.searchParams.get('redirectTo')!;
    expect(resume).toMatch(/^\/interaction\/[A-Za-z0-9_-]+$/);
    // The session now waits for a second factor; this agent has none, so it is an enrolment.
    expect(await authenticate(appDb(), token, tenant.ip)).toBeNull();
    const pending = (await findLiveSession(appDb(), token))!;
    expect(pending.secondFactor).toBe('enrol');
    const enrolment = await startTotpEnrolment(appDb(), pending, process.env.MUTUALIS_SECRET_KEY!);
    await confirmTotpEnrolment(appDb(), pending, process.env.MUTUALIS_SECRET_KEY!, enrolment.factorId, await generate({ secret: enrolment.secret }), tenant.ip);
    // Back to the SSO: the code comes, with the MFA level.
    const resumed = await browser.follow(`${WEB}${resume}`, redirectUri);
    if (!('redirect' in resumed)) throw new Error(`the flow stopped on ${resumed.url} (${resumed.page.status})`);
    const tokens = await oidc.authorizationCodeGrant(config, resumed.redirect, { pkceCodeVerifier: codeVerifier, expectedState: state });
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${ISSUER}/jwks`)), { issuer: ISSUER, audience: clientId });
    expect(payload.acr).toBe('urn:mutualis:loa:mfa');
    expect(payload.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('tells the application that a DSI used a second factor (acr, amr)', async () => {
    const dsi = await tenant.addUser('commune_dsi', tenant.members[0]!.id);
    const { token } = await tenant.login(dsi);
    const { codeVerifier, state, outcome } = await authorize(new Browser(token));
    if (!('redirect' in outcome)) throw new Error(`the flow stopped on ${outcome.url} (${outcome.page.status}): ${await outcome.page.text()}`);
    const tokens = await oidc.authorizationCodeGrant(config, outcome.redirect, { pkceCodeVerifier: codeVerifier, expectedState: state });
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${ISSUER}/jwks`)), { issuer: ISSUER, audience: clientId });
    expect(payload.acr).toBe('urn:mutualis:loa:mfa');
    expect(payload.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });


  it('publishes its discovery document and keys', async () => {
    const discovery = await (await fetch(`${ISSUER}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: ISSUER, code_challenge_methods_supported: ['S256'] });
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'commune']));
    const jwks = await (await fetch(String(discovery.jwks_uri))).json() as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    // Public keys only.
    expect(jwks.keys.every((k) => k.d === undefined && k.kty === 'EC')).toBe(true);
  });

  it('an agent with a platform session signs in without a password: code + PKCE, signed ID token, claims, refresh, userinfo, logout', async () => {
    const agent = tenant.users.commune_agent;
    const { token } = await tenant.openSession(agent);
    const browser = new Browser(token);
    const { codeVerifier, state, outcome } = await authorize(browser);
    if (!('redirect' in outcome)) throw new Error(`the flow stopped on ${outcome.url} (${outcome.page.status}): ${await outcome.page.text()}`);
    const tokens = await oidc.authorizationCodeGrant(config, outcome.redirect, { pkceCodeVerifier: codeVerifier, expectedState: state });

    // The ID token's signature, on the published keys, and its claims.
    const idToken = tokens.id_token!;
    expect(decodeProtectedHeader(idToken).alg).toBe('ES256');
    const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${ISSUER}/jwks`)), { issuer: ISSUER, audience: clientId });
    expect(payload).toMatchObject({
      sub: agent.id, email: agent.email, email_verified: true, name: `commune_agent ${tenant.tag}`,
      commune_insee: tenant.members[0]!.inseeCode, commune_name: tenant.members[0]!.name, roles: ['commune_agent'],
      // A password alone (the agent's commune does not require MFA).
      acr: 'urn:mutualis:loa:pwd', amr: ['pwd'],
    });
    expect(tokens.refresh_token).toBeTruthy();

    const info = await oidc.fetchUserInfo(config, tokens.access_token, agent.id);
    expect(info).toMatchObject({ sub: agent.id, email: agent.email, roles: ['commune_agent'] });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe(agent.id);

    // Logout from the application: the SSO session and the platform session both end.
    const end = oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: redirectUri.replace('/oidc/callback', '/') });
    const confirm = await browser.follow(end.href, 'https://');
    if (!('page' in confirm)) throw new Error('expected the logout confirmation page');
    const html = await confirm.page.text();
    expect(html).toContain('Voulez-vous vous déconnecter');
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const posted = await browser.request(new URL(action, confirm.url).href, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(redirectUri.replace('/oidc/callback', '/'));
    // The platform session ends with it (single logout)…
    const ended = async () => (await superuserDb().selectFrom('sessions').select('endedAt').where('userId', '=', agent.id).executeTakeFirstOrThrow()).endedAt;
    for (let i = 0; i < 50 && !(await ended()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await ended()).not.toBeNull();
    // …so signing in again asks for the password.
    const again = await authorize(browser);
    if (!('page' in again.outcome)) throw new Error('a code was issued after logout');
    expect(new URL(again.outcome.url).pathname).toBe('/connexion');
  });

  it('a user of another commune is refused with a page that says so, and gets no code', async () => {
    const other = await tenant.addUser('commune_agent', tenant.members[1]!.id);
    const { token } = await tenant.openSession(other);
    const { outcome } = await authorize(new Browser(token));
    if (!('page' in outcome)) throw new Error(`a code was issued: ${outcome.redirect.href}`);
    expect(new URL(outcome.url).pathname).toBe('/acces-refuse');
    expect(await outcome.page.text()).toContain('Votre compte n’a pas accès');
  });

  it('an existing SSO session does not open a client the person may no longer use', async () => {
    const agent = await tenant.addUser('commune_agent', tenant.members[0]!.id);
    const { token } = await tenant.openSession(agent);
    const browser = new Browser(token);
    expect('redirect' in (await authorize(browser)).outcome).toBe(true);
    // The person moves to the other commune: same browser, same SSO and platform sessions.
    await superuserDb().updateTable('memberships').set({ memberId: tenant.members[1]!.id }).where('userId', '=', agent.id).execute();
    const { outcome } = await authorize(browser);
    if (!('page' in outcome)) throw new Error(`a code was issued: ${outcome.redirect.href}`);
    expect(new URL(outcome.url).pathname).toBe('/acces-refuse');
  });

  it('lets the syndicate\'s operators in only where the offering allows staff access, with the commune of the client', async () => {
    const { token } = await tenant.openSession('syndicate_operator');
    const refused = (await authorize(new Browser(token))).outcome;
    if (!('page' in refused)) throw new Error(`a code was issued to staff without staff access: ${refused.redirect.href}`);
    expect(new URL(refused.url).pathname).toBe('/acces-refuse');

    const offering = await superuserDb().selectFrom('oidcClients').innerJoin('subscriptions', 'subscriptions.id', 'oidcClients.subscriptionId')
      .select('subscriptions.offeringId').where('oidcClients.clientId', '=', clientId).executeTakeFirstOrThrow();
    await superuserDb().updateTable('offerings').set({ staffAccess: true }).where('id', '=', offering.offeringId).execute();
    try {
      const { codeVerifier, state, outcome } = await authorize(new Browser(token));
      if (!('redirect' in outcome)) throw new Error(`the flow stopped on ${outcome.url} (${outcome.page.status})`);
      const tokens = await oidc.authorizationCodeGrant(config, outcome.redirect, { pkceCodeVerifier: codeVerifier, expectedState: state });
      const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${ISSUER}/jwks`)), { issuer: ISSUER, audience: clientId });
      expect(payload).toMatchObject({ sub: tenant.users.syndicate_operator.id, roles: ['syndicate_operator'], commune_name: tenant.members[0]!.name, commune_insee: tenant.members[0]!.inseeCode });
      // A finance officer is not "staff" for an application.
      const finance = (await authorize(new Browser((await tenant.openSession('syndicate_finance')).token))).outcome;
      expect('page' in finance && new URL(finance.url).pathname).toBe('/acces-refuse');
    } finally {
      await superuserDb().updateTable('offerings').set({ staffAccess: false }).where('id', '=', offering.offeringId).execute();
    }
  });

  it('without a platform session, the login page is asked for, and it comes back to the SSO', async () => {
    const { outcome } = await authorize(new Browser());
    if (!('page' in outcome)) throw new Error('a code was issued without any login');
    const url = new URL(outcome.url);
    expect(url.pathname).toBe('/connexion');
    expect(url.searchParams.get('redirectTo')).toMatch(/^\/interaction\/[A-Za-z0-9_-]+$/);
  });

  it('a disabled user\'s refresh token is refused', async () => {
    const user = await tenant.addUser('commune_elected', tenant.members[0]!.id);
    const { token } = await tenant.openSession(user);
    const { codeVerifier, state, outcome } = await authorize(new Browser(token));
    if (!('redirect' in outcome)) throw new Error('no code');
    const tokens = await oidc.authorizationCodeGrant(config, outcome.redirect, { pkceCodeVerifier: codeVerifier, expectedState: state });
    await superuserDb().updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute();
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a wrong client secret is refused', async () => {
    const wrong = await oidc.discovery(new URL(ISSUER), clientId, 'not-the-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    await expect(oidc.refreshTokenGrant(wrong, 'whatever')).rejects.toMatchObject({ error: 'invalid_client' });
  });
});
