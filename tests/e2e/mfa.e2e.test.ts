/**
 * Second factors in a real browser: a DSI adds a security key (Chromium's virtual authenticator,
 * a real WebAuthn ceremony against @simplewebauthn/server) and logs in with it; the DSI manages the
 * commune's people and settings; pages pass axe.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs, ownerDb } from '../support/db.ts';
import { createTenant, type TestTenant, type TestUser } from '../support/factories.ts';
import { launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

let browser: Browser;
let tenant: TestTenant;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchBrowser(), createTenant({ communes: 1 })]);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await closeDbs();
});

async function freshPage(): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  return context.newPage();
}

/** A platform authenticator in this page's browser (CTAP2, resident keys, user verification), as a laptop's passkey. */
async function virtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

describe('security keys (WebAuthn)', () => {
  let dsi: TestUser;
  let page: Page;

  it('a DSI adds a key from their account page', async () => {
    dsi = await tenant.addUser('commune_dsi', tenant.members[0]!.id);
    page = await freshPage();
    await virtualAuthenticator(page);
    await loginThroughForm(page, dsi.email, tenant.password);
    await page.goto(`${webUrl()}/compte`);
    await page.getByRole('heading', { name: 'Mon compte' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByLabel('Nom de la clé').fill('Clé de test');
    await page.getByRole('button', { name: 'Enregistrer une clé' }).click();
    await page.getByText('Second facteur enregistré.').waitFor();
    const keys = await ownerDb().selectFrom('userFactors').select(['kind', 'label', 'webauthnCounter']).where('userId', '=', dsi.id).where('kind', '=', 'webauthn').execute();
    expect(keys).toEqual([expect.objectContaining({ kind: 'webauthn', label: 'Clé de test' })]);
  });

  it('then logs in with the key instead of a code, and the key\'s counter moves on', async () => {
    await page.context().clearCookies();
    await page.goto(`${webUrl()}/connexion`);
    await page.getByLabel('Adresse e-mail').fill(dsi.email);
    await page.getByLabel('Mot de passe').fill(tenant.password);
    await Promise.all([page.waitForURL('**/connexion/verification**'), page.getByRole('button', { name: 'Se connecter' }).click()]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/connexion')), page.getByRole('button', { name: 'Utiliser ma clé de sécurité' }).click()]);
    const session = await ownerDb().selectFrom('sessions').select(['amr', 'secondFactor']).where('userId', '=', dsi.id).orderBy('createdAt', 'desc').executeTakeFirstOrThrow();
    expect(session.secondFactor).toBe('done');
    expect(session.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
  });
});

describe('the DSI\'s management pages', () => {
  it('lists the commune\'s people, ends an agent\'s sessions, and the settings page sets the policy and colour; pages pass axe', async () => {
    const page = await freshPage();
    const agent = await tenant.addUser('commune_agent', tenant.members[0]!.id);
    await tenant.login(agent);
    await loginThroughForm(page, tenant.users.commune_dsi.email, tenant.password);
    await page.goto(`${webUrl()}/commune/utilisateurs`);
    await page.getByRole('heading', { name: /Utilisateurs de la commune/ }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    const row = page.locator(`[data-testid="user-row"][data-email="${agent.email}"]`);
    await row.getByRole('button', { name: /Fermer ses sessions/ }).click();
    await page.getByText(/Sessions fermées \(1 sur la plateforme\)/).waitFor();

    await page.goto(`${webUrl()}/commune/parametres`);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByLabel('Tout le monde dans la commune').check();
    await page.getByRole('button', { name: 'Enregistrer' }).first().click();
    await page.getByText('Réglages enregistrés.').waitFor();
    const member = await ownerDb().selectFrom('members').select('mfaPolicy').where('id', '=', tenant.members[0]!.id).executeTakeFirstOrThrow();
    expect(member.mfaPolicy).toBe('everyone');
    await ownerDb().updateTable('members').set({ mfaPolicy: 'dsi' }).where('id', '=', tenant.members[0]!.id).execute();
  });
});
