/**
 * Federation with a commune's own OpenID provider, end to end over HTTP: the test stack's web
 * server, a real upstream provider in its own process (oidc-provider, tests/support/upstream-idp.ts),
 * the real PostgreSQL. The DSI configures the provider through the API; agents sign in through the
 * login page's second form, the upstream's login form and the callback.
 */
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, providerSecretBinding } from '@mutualis/core';
import type { FederationSaveInput } from '@mutualis/contracts';
import { withTenant } from '@mutualis/db';
import { appDb, closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, randomTag, type TestTenant, type TestUser } from '../../support/factories.ts';
import { Browser } from '../../support/oidc-browser.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../../support/upstream-idp.ts';

const WEB = process.env.WEB_URL!;
const CALLBACK = `${WEB}/connexion/federation/retour`;
const SECRET_A = `secret-a-${randomTag()}-${randomTag()}`;
const SECRET_B = `secret-b-${randomTag()}-${randomTag()}`;

let upstream: UpstreamIdp;
let tenant: TestTenant;
let other: TestTenant;
let dsiB: TestUser;
let domainA: string;
let domainB: string;

const settingsA = (overrides: Partial<FederationSaveInput> = {}): FederationSaveInput => ({
  memberId: tenant.members[0]!.id, label: 'Compte de la mairie', issuer: upstream.issuer, clientId: 'mutualis-a', clientSecret: SECRET_A,
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'groups'], emailClaim: 'email', nameClaims: ['given_name', 'usual_name'],
  groupsClaim: 'groups', roleMapping: [{ group: 'elus', role: 'commune_elected' }], defaultRole: 'commune_agent',
  mfaAcrValues: ['urn:test:loa:mfa'], emailDomains: [domainA], enabled: true, ...overrides,
});

async function callerOf(who: TestUser) {
  const { actor, token } = await tenant.openSession(who);
  return tenant.caller(actor, token).caller;
}

beforeAll(async () => {
  [tenant, other] = await Promise.all([createTenant({ communes: 2 }), createTenant({ communes: 1 })]);
  domainA = `mairie-a-${tenant.tag}.test`;
  domainB = `mairie-b-${tenant.tag}.test`;
  dsiB = await tenant.addUser('commune_dsi', tenant.members[1]!.id);
  upstream = await startUpstreamIdp([
    { clientId: 'mutualis-a', clientSecret: SECRET_A, redirectUri: CALLBACK },
    { clientId: 'mutualis-b', clientSecret: SECRET_B, redirectUri: CALLBACK },
  ]);
  await (await callerOf(tenant.users.commune_dsi)).federation.save(settingsA());
});
afterAll(async () => {
  await upstream?.stop();
  await closeDbs();
});

type Outcome = { status: number; location: string | null; body: string; callbackUrl: string | null; sealed: string | null };

/**
 * The whole browser journey: the login page's second form, the upstream's login form (as `sub`),
 * back to the callback. Returns the callback's answer (or the form's, when it refuses at once).
 */
async function federatedLogin(browser: Browser, email: string, sub: string | null, redirectTo = ''): Promise<Outcome> {
  const started = await browser.request(`${WEB}/connexion/federation`, {
    method: 'POST', headers: { origin: WEB, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, redirectTo }).toString(),
  });
  const sealed = started.headers.getSetCookie().find((c) => c.startsWith('mutualis_federation='))?.split(';')[0]!.split('=')[1] ?? null;
  if (started.status !== 303) return { status: started.status, location: null, body: await started.text(), callbackUrl: null, sealed };
  const authorize = new URL(started.headers.get('location')!);
  expect(authorize.origin).toBe(upstream.issuer);
  const form = await browser.follow(authorize.href, CALLBACK);
  if (!('page' in form)) throw new Error('the upstream sent the browser back without a login');
  const html = await form.page.text();
  expect(html).toContain(email); // login_hint
  const action = /action="([^"]+)"/.exec(html)![1]!;
  const posted = await browser.request(new URL(action, form.url).href, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ sub: sub ?? '' }).toString(),
  });
  const back = await browser.follow(new URL(posted.headers.get('location')!, form.url).href, CALLBACK);
  if (!('redirect' in back)) throw new Error(`the upstream did not send the browser back: ${back.page.status} ${await back.page.text()}`);
  const res = await browser.request(back.redirect.href);
  return { status: res.status, location: res.headers.get('location'), body: await res.text(), callbackUrl: back.redirect.href, sealed };
}

/** `auth.me` through the web server's tRPC endpoint, with the browser's cookies. */
async function me(browser: Browser) {
  const res = await browser.request(`${WEB}/api/trpc/auth.me`);
  return ((await res.json()) as { result: { data: { json: { user: { id: string; email: string; displayName: string }; memberships: Array<{ role: string; memberId: string }> } | null } } }).result.data.json;
}

const usersWithEmail = async (email: string) => ownerDb().selectFrom('users').select(['id', 'syndicateId']).where('email', '=', email).execute();
const identitiesOf = async (providerSubject: string) => ownerDb().selectFrom('userIdentities').selectAll().where('subject', '=', providerSubject).execute();
const auditCount = async (syndicateId: string) => Number((await ownerDb().selectFrom('auditEvents').select((eb) => eb.fn.countAll().as('n')).where('syndicateId', '=', syndicateId).executeTakeFirstOrThrow()).n);

describe('the DSI configures the commune\'s provider (federation.get / federation.save)', () => {
  it('never returns the secret, says one is set, gives the redirect URI, and stores the secret encrypted', async () => {
    const caller = await callerOf(tenant.users.commune_dsi);
    const got = await caller.federation.get({ memberId: tenant.members[0]!.id });
    expect(got.redirectUri).toBe(CALLBACK);
    expect(got.provider).toMatchObject({ label: 'Compte de la mairie', clientId: 'mutualis-a', hasClientSecret: true, emailDomains: [domainA], nameClaims: ['given_name', 'usual_name'] });
    expect(JSON.stringify(got)).not.toContain(SECRET_A);
    expect(got.provider).not.toHaveProperty('clientSecret');
    expect(got.provider).not.toHaveProperty('clientSecretCiphertext');

    const row = await ownerDb().selectFrom('upstreamProviders').selectAll().where('memberId', '=', tenant.members[0]!.id).executeTakeFirstOrThrow();
    expect(row.clientSecretCiphertext.includes(Buffer.from(SECRET_A))).toBe(false);
    expect(decryptSecret(process.env.MUTUALIS_SECRET_KEY!, row.clientSecretCiphertext, providerSecretBinding(row.id))).toBe(SECRET_A);
    // Bound to its row: the same ciphertext does not open under another provider's id.
    expect(() => decryptSecret(process.env.MUTUALIS_SECRET_KEY!, row.clientSecretCiphertext, providerSecretBinding(tenant.members[1]!.id))).toThrow();

    // An update without a secret keeps the stored one; the audit trail never holds it.
    const saved = await caller.federation.save(settingsA({ clientSecret: undefined, label: 'Compte de la mairie' }));
    expect(saved.hasClientSecret).toBe(true);
    const after = await ownerDb().selectFrom('upstreamProviders').select('clientSecretCiphertext').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after.clientSecretCiphertext.equals(row.clientSecretCiphertext)).toBe(true);
    const audit = await ownerDb().selectFrom('auditEvents').select(['action', 'after']).where('subjectId', '=', row.id).execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['federation.provider_created', 'federation.provider_updated']));
    expect(JSON.stringify(audit)).not.toContain(SECRET_A);
  });

  it('a DSI of commune B can neither read nor save commune A\'s provider; an agent cannot read it; an operator reads but does not save', async () => {
    const got0Id = (await ownerDb().selectFrom('upstreamProviders').select('id').where('memberId', '=', tenant.members[0]!.id).executeTakeFirstOrThrow()).id;
    const b = await callerOf(dsiB);
    await expect(b.federation.get({ memberId: tenant.members[0]!.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(b.federation.save(settingsA())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect((await callerOf(tenant.users.commune_agent)).federation.get({ memberId: tenant.members[0]!.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const operator = await callerOf(tenant.users.syndicate_operator);
    expect((await operator.federation.get({ memberId: tenant.members[0]!.id })).provider?.clientId).toBe('mutualis-a');
    await expect(operator.federation.save(settingsA())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // A DSI of another syndicate does not even find the commune.
    const foreign = await other.openSession(other.users.commune_dsi);
    await expect(other.caller(foreign.actor, foreign.token).caller.federation.get({ memberId: tenant.members[0]!.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Row-level security, the second wall: as the application role, commune B's scope sees none of A's rows, A's sees them.
    const seen = (memberIds: string[] | null, syndicateId = tenant.syndicateId) => withTenant(appDb(), { syndicateId, memberIds }, async (tx) => [
      (await tx.selectFrom('upstreamProviders').select('id').execute()).length,
      (await tx.selectFrom('upstreamProviderDomains').select('domain').execute()).length,
    ]);
    expect(await seen([tenant.members[1]!.id])).toEqual([0, 0]);
    expect(await seen([tenant.members[0]!.id])).toEqual([1, 1]);
    expect(await seen(null, other.syndicateId)).toEqual([0, 0]);
    await expect(withTenant(appDb(), { syndicateId: tenant.syndicateId, memberIds: [tenant.members[1]!.id] }, (tx) => tx.insertInto('upstreamProviderDomains')
      .values({ domain: `vol-${tenant.tag}.test`, syndicateId: tenant.syndicateId, memberId: tenant.members[0]!.id, providerId: got0Id }).execute()))
      .rejects.toThrow(/row-level security/);
  });

  it('refuses bad input naming the field, in French; a domain routed elsewhere is refused; a first save without a secret is a draft no one can log in through', async () => {
    const b = await callerOf(dsiB);
    const refusal = async (input: FederationSaveInput) => {
      const error = await b.federation.save(input).then(() => null, (e: unknown) => e as TRPCError);
      expect(error).toBeInstanceOf(TRPCError);
      expect(error!.code).toBe('BAD_REQUEST');
      return error!;
    };
    const base = settingsA({ memberId: tenant.members[1]!.id, clientId: 'mutualis-b', clientSecret: SECRET_B, emailDomains: [domainB] });
    const insecure = await refusal({ ...base, issuer: 'http://idp.example.org' });
    expect((insecure.cause as ZodError).issues[0]).toMatchObject({ path: ['issuer'], message: expect.stringContaining('https://') });
    const noOpenid = await refusal({ ...base, scopes: ['email'] });
    expect((noOpenid.cause as ZodError).issues[0]).toMatchObject({ path: ['scopes'], message: expect.stringContaining('openid') });
    const dsiRole = await refusal({ ...base, roleMapping: [{ group: 'informatique', role: 'commune_dsi' as 'commune_agent' }] });
    expect((dsiRole.cause as ZodError).issues[0]).toMatchObject({ path: ['roleMapping', 0, 'role'], message: expect.stringContaining('DSI') });
    const domain = await refusal({ ...base, emailDomains: ['https://mairie.fr'] });
    expect((domain.cause as ZodError).issues[0]!.path).toEqual(['emailDomains', 0]);
    const taken = await refusal({ ...base, emailDomains: [domainB, domainA] });
    expect(taken.cause).toMatchObject({ field: 'emailDomains' });
    expect(taken.message).toContain(domainA);
    // Nothing was written by any of these.
    expect(await ownerDb().selectFrom('upstreamProviders').select('id').where('memberId', '=', tenant.members[1]!.id).execute()).toHaveLength(0);
    // Without a secret, a draft: saved, said so, and a login through it is refused with a sentence.
    const draft = await b.federation.save({ ...base, clientSecret: undefined });
    expect(draft.hasClientSecret).toBe(false);
    const login = await b.federation.begin({ email: `x@${domainB}` }).then(() => null, (e: unknown) => e as TRPCError);
    expect(login?.message).toContain('secret client manquant');
    await ownerDb().deleteFrom('upstreamProviders').where('memberId', '=', tenant.members[1]!.id).execute();
  });

  it('federation.test runs discovery and says what it found', async () => {
    const result = await (await callerOf(tenant.users.commune_dsi)).federation.test({ memberId: tenant.members[0]!.id });
    expect(result).toMatchObject({ ok: true, issuer: upstream.issuer, authorizationEndpoint: `${upstream.issuer}/auth`, unsupportedScopes: [] });
  });
});

describe('signing in with the commune\'s account', () => {
  it('a first login creates the user in the commune with the mapped name and role, and opens a session; a second reuses the same user', async () => {
    const email = `camille.martin@${domainA}`;
    const sub = `sub-camille-${randomTag()}`;
    await upstream.setAccount(sub, { email, email_verified: true, given_name: 'Camille', usual_name: 'Martin', groups: ['elus'] });
    const before = await auditCount(tenant.syndicateId);
    const browser = new Browser();
    const first = await federatedLogin(browser, email, sub);
    expect(first.status, first.body).toBe(303);
    expect(first.location).toBe('/commune');
    const who = await me(browser);
    expect(who).toMatchObject({ user: { email, displayName: 'Camille Martin' }, memberships: [{ role: 'commune_elected', memberId: tenant.members[0]!.id }] });
    const user = await ownerDb().selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    expect(user).toMatchObject({ syndicateId: tenant.syndicateId, passwordHash: null, status: 'active' });
    const session = await ownerDb().selectFrom('sessions').select(['amr', 'secondFactor']).where('userId', '=', user.id).executeTakeFirstOrThrow();
    expect(session).toEqual({ amr: ['fed'], secondFactor: 'done' });
    const created = await ownerDb().selectFrom('auditEvents').select(['action', 'memberId', 'actorUserId']).where('syndicateId', '=', tenant.syndicateId)
      .where('subjectId', '=', user.id).where('action', '=', 'federation.user_created').execute();
    expect(created).toEqual([{ action: 'federation.user_created', memberId: tenant.members[0]!.id, actorUserId: user.id }]);
    expect(await auditCount(tenant.syndicateId)).toBe(before + 2); // the creation, and the login

    const again = new Browser();
    const second = await federatedLogin(again, email, sub);
    expect(second.status).toBe(303);
    expect((await me(again))?.user.id).toBe(user.id);
    expect(await usersWithEmail(email)).toHaveLength(1);
    const identities = await identitiesOf(sub);
    expect(identities).toHaveLength(1);
    expect(identities[0]).toMatchObject({ userId: user.id, memberId: tenant.members[0]!.id });
    expect(identities[0]!.lastLoginAt!.getTime()).toBeGreaterThanOrEqual(identities[0]!.linkedAt.getTime());
  });

  it('an existing user of the commune with the same (verified) e-mail is linked, not duplicated', async () => {
    const local = await tenant.addUser('commune_agent', tenant.members[0]!.id);
    const email = `dominique.local-${tenant.tag}@${domainA}`;
    await ownerDb().updateTable('users').set({ email }).where('id', '=', local.id).execute();
    const sub = `sub-dominique-${randomTag()}`;
    await upstream.setAccount(sub, { email: email.toUpperCase(), email_verified: true, given_name: 'Dominique', usual_name: 'Autre' });
    const browser = new Browser();
    const result = await federatedLogin(browser, email, sub);
    expect(result.status, result.body).toBe(303);
    expect((await me(browser))?.user.id).toBe(local.id);
    expect(await usersWithEmail(email)).toHaveLength(1);
    expect(await identitiesOf(sub)).toMatchObject([{ userId: local.id }]);
    const linked = await ownerDb().selectFrom('auditEvents').select('action').where('subjectId', '=', local.id).where('action', '=', 'federation.identity_linked').execute();
    expect(linked).toHaveLength(1);
    // The existing account keeps its own role (the mapping applies to new accounts).
    expect((await me(browser))?.memberships).toEqual([expect.objectContaining({ role: 'commune_agent' })]);
  });

  it('an unverified e-mail is refused with a clear page, and nothing is written', async () => {
    const email = `non.verifie-${randomTag()}@${domainA}`;
    const sub = `sub-unverified-${randomTag()}`;
    await upstream.setAccount(sub, { email, email_verified: false, name: 'Non Vérifié' });
    const before = await auditCount(tenant.syndicateId);
    const browser = new Browser();
    const result = await federatedLogin(browser, email, sub);
    expect(result.status).toBe(403);
    expect(result.body).toContain('role="alert"');
    expect(result.body).toMatch(/n(?:'|&#39;)atteste pas que cette adresse e-mail est vérifiée/);
    expect(await usersWithEmail(email)).toHaveLength(0);
    expect(await identitiesOf(sub)).toHaveLength(0);
    expect(await auditCount(tenant.syndicateId)).toBe(before);
    expect(await me(browser)).toBeNull();
    // An absent email_verified claim is no better.
    await upstream.setAccount(sub, { email, name: 'Non Vérifié' });
    expect((await federatedLogin(new Browser(), email, sub)).status).toBe(403);
    expect(await usersWithEmail(email)).toHaveLength(0);
  });

  it('a user of another commune, or of another syndicate, with that e-mail is refused and nothing is written', async () => {
    const inB = await tenant.addUser('commune_agent', tenant.members[1]!.id);
    const emailB = `autre.commune-${randomTag()}@${domainA}`;
    await ownerDb().updateTable('users').set({ email: emailB }).where('id', '=', inB.id).execute();
    const elsewhere = await other.addUser('commune_agent', other.members[0]!.id);
    const emailOther = `autre.syndicat-${randomTag()}@${domainA}`;
    await ownerDb().updateTable('users').set({ email: emailOther }).where('id', '=', elsewhere.id).execute();
    // A syndicate account is never opened by a commune's provider.
    const admin = await tenant.addUser('syndicate_admin', null);
    const emailAdmin = `admin-${randomTag()}@${domainA}`;
    await ownerDb().updateTable('users').set({ email: emailAdmin }).where('id', '=', admin.id).execute();
    await ownerDb().insertInto('memberships').values({ syndicateId: tenant.syndicateId, userId: admin.id, memberId: tenant.members[0]!.id, role: 'commune_agent' }).execute();

    for (const email of [emailB, emailOther, emailAdmin]) {
      const sub = `sub-${randomTag()}`;
      await upstream.setAccount(sub, { email, email_verified: true, name: 'Quelqu’un' });
      const before = await auditCount(tenant.syndicateId);
      const result = await federatedLogin(new Browser(), email, sub);
      expect(result.status, email).toBe(403);
      expect(result.body).toContain('pas rattaché à cette commune');
      expect(await identitiesOf(sub)).toHaveLength(0);
      expect(await usersWithEmail(email)).toHaveLength(1);
      expect(await auditCount(tenant.syndicateId)).toBe(before);
    }
  });

  it('a disabled account stays refused', async () => {
    const email = `desactive-${randomTag()}@${domainA}`;
    const sub = `sub-disabled-${randomTag()}`;
    await upstream.setAccount(sub, { email, email_verified: true, name: 'Bientôt Parti' });
    expect((await federatedLogin(new Browser(), email, sub)).status).toBe(303);
    await ownerDb().updateTable('users').set({ status: 'disabled' }).where('email', '=', email).execute();
    const browser = new Browser();
    const result = await federatedLogin(browser, email, sub);
    expect(result.status).toBe(403);
    expect(result.body).toContain('Ce compte est désactivé');
    expect(await me(browser)).toBeNull();
  });

  it('an e-mail domain with no provider gets a clear message on the page', async () => {
    const result = await federatedLogin(new Browser(), `agent@personne-${randomTag()}.test`, null);
    expect(result.status).toBe(400);
    expect(result.body).toContain('role="alert"');
    expect(result.body).toMatch(/Aucune commune n.*a configuré de connexion par son propre compte/);
    expect(result.sealed).toBeNull();
  });

  it('a forged callback (wrong state), a replayed one, and one from another browser are refused', async () => {
    const email = `rejeu-${randomTag()}@${domainA}`;
    const sub = `sub-replay-${randomTag()}`;
    await upstream.setAccount(sub, { email, email_verified: true, name: 'Re Jeu' });

    // A completed login, then the same callback URL again: the request is gone from the browser.
    const browser = new Browser();
    const done = await federatedLogin(browser, email, sub);
    expect(done.status).toBe(303);
    const replay = await new Browser().request(done.callbackUrl!);
    expect(replay.status).toBe(403);
    expect(await replay.text()).toContain('pas été commencée dans ce navigateur');
    // Even with the sealed request copied from the first browser, the upstream's code works once only.
    const copied = await fetch(done.callbackUrl!, { redirect: 'manual', headers: { cookie: `mutualis_federation=${done.sealed}` } });
    expect(copied.status).toBe(403);
    expect(await copied.text()).toContain('invalid_grant');

    // A forged state: the browser's own request, but an answer made for another one.
    const forged = new Browser();
    const started = await forged.request(`${WEB}/connexion/federation`, {
      method: 'POST', headers: { origin: WEB, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email }).toString(),
    });
    expect(started.status).toBe(303);
    const wrongState = await forged.request(`${CALLBACK}?code=made-up&state=not-the-state&iss=${encodeURIComponent(upstream.issuer)}`);
    expect(wrongState.status).toBe(403);
    expect(await wrongState.text()).toContain('ne correspond pas à cette connexion');
    const sessions = await ownerDb().selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.userId').select('sessions.id').where('users.email', '=', email).execute();
    expect(sessions).toHaveLength(1);
  });

  it('an upstream that says a second factor was used opens the session with amr mfa', async () => {
    const email = `double-${randomTag()}@${domainA}`;
    const sub = `sub-mfa-${randomTag()}`;
    await upstream.setAccount(sub, { email, email_verified: true, name: 'Dou Ble', amr: ['pwd', 'otp'] });
    expect((await federatedLogin(new Browser(), email, sub)).status).toBe(303);
    const viaAcr = `sub-acr-${randomTag()}`;
    const emailAcr = `acr-${randomTag()}@${domainA}`;
    await upstream.setAccount(viaAcr, { email: emailAcr, email_verified: true, name: 'A Cr', acr: 'urn:test:loa:mfa' });
    expect((await federatedLogin(new Browser(), emailAcr, viaAcr)).status).toBe(303);
    const amrOf = async (address: string) => (await ownerDb().selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.userId')
      .select('sessions.amr').where('users.email', '=', address).executeTakeFirstOrThrow()).amr;
    expect(await amrOf(email)).toEqual(['fed', 'mfa']);
    expect(await amrOf(emailAcr)).toEqual(['fed', 'mfa']);
  });

  it('a disabled provider is not offered any more', async () => {
    const caller = await callerOf(tenant.users.commune_dsi);
    await caller.federation.save(settingsA({ clientSecret: undefined, enabled: false }));
    try {
      const result = await federatedLogin(new Browser(), `quelqu.un@${domainA}`, null);
      expect(result.status).toBe(400);
      expect(result.body).toContain('Aucune commune');
    } finally {
      await caller.federation.save(settingsA({ clientSecret: undefined, enabled: true }));
    }
  });

  it('the login through the upstream resumes an OpenID authorization of the platform\'s own provider for an application of the commune', async () => {
    const clientId = `intranet-${randomTag()}`;
    const clientSecret = `secret-${randomTag()}${randomTag()}`;
    const redirectUri = `https://intranet-${tenant.tag}.example/oidc/callback`;
    await ownerDb().insertInto('oidcClients').values({
      clientId, syndicateId: tenant.syndicateId, memberId: tenant.members[0]!.id, name: 'Intranet', redirectUris: [redirectUri],
      secretHash: createHash('sha256').update(clientSecret).digest(),
    }).execute();
    const config = await oidc.discovery(new URL(`${WEB}/oidc`), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: 'openid email profile commune', state,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
    });
    const browser = new Browser();
    const toLogin = await browser.follow(authorize.href, redirectUri);
    if (!('page' in toLogin)) throw new Error('a code was issued without any login');
    const redirectTo = new URL(toLogin.url).searchParams.get('redirectTo')!;
    expect(redirectTo).toMatch(/^\/interaction\//);
    // The login page offers the second form, keeping where to come back.
    expect(await toLogin.page.text()).toContain('action="/connexion/federation"');

    const email = `portail-${randomTag()}@${domainA}`;
    const sub = `sub-portal-${randomTag()}`;
    await upstream.setAccount(sub, { email, email_verified: true, given_name: 'Agent', usual_name: 'Portail' });
    const back = await federatedLogin(browser, email, sub, redirectTo);
    expect(back.status, back.body).toBe(303);
    expect(back.location).toBe(redirectTo);
    const resumed = await browser.follow(new URL(back.location!, WEB).href, redirectUri);
    if (!('redirect' in resumed)) throw new Error(`no code for the application: ${resumed.url} ${resumed.page.status}`);
    const tokens = await oidc.authorizationCodeGrant(config, resumed.redirect, { pkceCodeVerifier: codeVerifier, expectedState: state });
    const user = await ownerDb().selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    expect(tokens.claims()).toMatchObject({ sub: user.id, email, name: 'Agent Portail', commune_insee: tenant.members[0]!.inseeCode, roles: ['commune_agent'] });
  });
});
