/**
 * Federation in Chromium: the DSI configures the commune's provider on its page (session made by
 * the factory: the DSI's second factor is the MFA pages' business), then an agent signs in with
 * the commune's account through the login page, the upstream's own login form and back. axe-core
 * checks the pages on the way.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs, ownerDb } from '../support/db.ts';
import { createTenant, randomTag, type TestTenant } from '../support/factories.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../support/upstream-idp.ts';
import { launchBrowser, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

const SECRET = `e2e-secret-${randomTag()}${randomTag()}`;
let browser: Browser;
let tenant: TestTenant;
let upstream: UpstreamIdp;
let domain: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchBrowser(), createTenant({ communes: 1 })]);
  domain = `ville-${tenant.tag}.test`;
  upstream = await startUpstreamIdp([{ clientId: 'mutualis-e2e', clientSecret: SECRET, redirectUri: `${webUrl()}/connexion/federation/retour` }], 1);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await upstream?.stop();
  await closeDbs();
});

async function newPage(sessionToken?: string): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  if (sessionToken) await context.addCookies([{ name: 'mutualis_session', value: sessionToken, url: webUrl() }]);
  return context.newPage();
}

describe('signing in with the commune\'s account, in a browser', () => {
  it('the DSI configures the provider on an accessible page; the secret is never shown back', async () => {
    const { token } = await tenant.openSession(tenant.users.commune_dsi);
    const page = await newPage(token);
    await page.goto(`${webUrl()}/commune`);
    await page.getByRole('link', { name: 'Connexion par le compte de la commune (ProConnect…)' }).click();
    await page.waitForURL(/\/commune\/identite\/federation/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Connexion par le compte de la commune');
    await expect(page.getByTestId('redirect-uri').textContent()).resolves.toBe(`${webUrl()}/connexion/federation/retour`);
    expect(await seriousA11yViolations(page)).toEqual([]);

    // A refused save: the sentence in an alert, the field marked and described.
    await page.getByLabel('Nom du fournisseur').fill('Compte de la ville');
    await page.getByLabel('Adresse du fournisseur (issuer)').fill('http://idp.example.org');
    await page.getByLabel('Identifiant client').fill('mutualis-e2e');
    await page.getByLabel('Secret client').fill(SECRET);
    await page.getByLabel('Domaines de messagerie de la commune').fill(domain);
    await page.getByLabel('Claims du nom affiché').fill('given_name usual_name');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Enregistrer' }).click()]);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('https://');
    const issuer = page.getByLabel('Adresse du fournisseur (issuer)');
    await expect(issuer.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#issuer-error').textContent()).resolves.toContain('https://');
    expect(await page.content()).not.toContain(SECRET);
    expect(await seriousA11yViolations(page)).toEqual([]);

    await issuer.fill(upstream.issuer);
    await page.getByLabel('Secret client').fill(SECRET);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Enregistrer' }).click()]);
    await expect(page.getByRole('status').textContent()).resolves.toContain('Réglages enregistrés.');
    await page.reload();
    await expect(page.getByLabel('Secret client').inputValue()).resolves.toBe('');
    await expect(page.getByText('Un secret est enregistré').count()).resolves.toBe(1);
    expect(await page.content()).not.toContain(SECRET);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Tester le fournisseur' }).click()]);
    await expect(page.getByRole('status').textContent()).resolves.toContain('Le fournisseur répond.');
  });

  it('an agent signs in through the commune\'s provider and lands in the commune space; a refusal is an accessible page', async () => {
    const email = `sacha.agent@${domain}`;
    await upstream.setAccount('sacha', { email, email_verified: true, given_name: 'Sacha', usual_name: 'Agent' });
    const page = await newPage();
    await page.goto(`${webUrl()}/connexion`);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByLabel('Votre e-mail professionnel').fill(email);
    await Promise.all([page.waitForURL((url) => url.origin === upstream.issuer), page.getByRole('button', { name: 'Continuer avec le compte de ma commune' }).click()]);
    await expect(page.getByTestId('login-hint').textContent()).resolves.toBe(email);
    await page.getByLabel('Identifiant').fill('sacha');
    await Promise.all([page.waitForURL(`${webUrl()}/commune`), page.getByRole('button', { name: 'Valider' }).click()]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Espace commune');
    await expect(page.getByText('Sacha Agent').count()).resolves.toBeGreaterThan(0);

    // An address the upstream does not vouch for: a page that says why, nothing made.
    const unverified = `camille.nonverifiee@${domain}`;
    await upstream.setAccount('camille', { email: unverified, email_verified: false, name: 'Camille' });
    const refused = await newPage();
    await refused.goto(`${webUrl()}/connexion/federation`);
    await refused.getByLabel('Votre e-mail professionnel').fill(unverified);
    await Promise.all([refused.waitForURL((url) => url.origin === upstream.issuer), refused.getByRole('button', { name: 'Continuer avec le compte de ma commune' }).click()]);
    await refused.getByLabel('Identifiant').fill('camille');
    await Promise.all([refused.waitForURL(/\/connexion\/federation\/retour/), refused.getByRole('button', { name: 'Valider' }).click()]);
    await expect(refused.getByRole('alert').textContent()).resolves.toContain('vérifiée');
    expect(await seriousA11yViolations(refused)).toEqual([]);
    expect(await ownerDb().selectFrom('users').select('id').where('email', '=', unverified).execute()).toHaveLength(0);

    // A domain nobody routes: the message on the page, next to the field.
    const nobody = await newPage();
    await nobody.goto(`${webUrl()}/connexion`);
    await nobody.getByLabel('Votre e-mail professionnel').fill(`x@personne-${tenant.tag}.test`);
    await Promise.all([nobody.waitForLoadState('load'), nobody.getByRole('button', { name: 'Continuer avec le compte de ma commune' }).click()]);
    await expect(nobody.getByRole('alert').textContent()).resolves.toContain('Aucune commune');
    expect(await seriousA11yViolations(nobody)).toEqual([]);
  });
});
