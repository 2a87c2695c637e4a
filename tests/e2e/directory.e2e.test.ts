/**
 * The DSI's directory page in a real browser: fill it in, "Tester la connexion", save — accessible
 * (axe) at each step — then an agent of the directory signs in through the login form.
 * A DSI must show a second factor to open a session through the login form, and the MFA pages are
 * not here yet: the DSI's browser gets a session opened by the test factory (as after a second
 * factor), set as the session cookie. The agent (no second factor due) signs in for real.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hydrated, launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';
import { closeDbs, ownerDb } from '../support/db.ts';
import { createTenant, type TestTenant } from '../support/factories.ts';
import { createLdapTree, ldapEnv, type LdapPerson, type LdapTree } from '../support/ldap.ts';

let browser: Browser;
let t: TestTenant;
let tree: LdapTree;
let agent: LdapPerson;
let elected: LdapPerson;
let eluGroup: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, t] = await Promise.all([launchBrowser(), createTenant({ communes: 1 })]);
  tree = await createLdapTree(t.tag);
  agent = await tree.addPerson({ uid: 'agent', displayName: 'Agathe Lambert' });
  elected = await tree.addPerson({ uid: 'elue', displayName: 'Élise Morel' });
  eluGroup = await tree.addGroup('elus', [elected.dn]);
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

async function dsiPage(): Promise<Page> {
  const { token } = await t.openSession('commune_dsi');
  const page = await freshPage();
  await page.context().addCookies([{ name: 'mutualis_session', value: token, url: webUrl(), httpOnly: true, sameSite: 'Lax' }]);
  return page;
}

async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: button }).click()]);
}

describe('the directory page', () => {
  it('is linked from the commune space, tests the connection with each check, and saves', async () => {
    const page = await dsiPage();
    await page.goto(`${webUrl()}/commune`);
    await Promise.all([page.waitForURL(/\/commune\/identite\/annuaire/), page.getByRole('link', { name: /Connexion par l’annuaire de la mairie/ }).click()]);
    await hydrated(page);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`Annuaire de la commune : ${t.members[0]!.name}`);
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.getByLabel(/^Adresse du serveur/).fill(ldapEnv().url);
    await page.getByRole('radio', { name: /Aucun — à réserver à un réseau de confiance/ }).check();
    await page.getByLabel(/^DN du compte de service/).fill(tree.serviceDn);
    await page.getByLabel(/^Mot de passe du compte de service/).fill(tree.servicePassword);
    await page.getByLabel(/^Base de recherche/).fill(tree.peopleDn);
    await page.getByLabel(/^Domaines de messagerie/).fill(tree.domain);
    await page.getByLabel(/^Attribut des groupes/).fill('memberOf');
    await page.getByLabel(/^Groupes des élus/).fill(eluGroup);
    await page.getByLabel(/^Adresse e-mail d’une personne/).fill(elected.mail);
    await submit(page, 'Tester la connexion');

    const results = page.getByTestId('directory-test');
    await expect(results.getByRole('status').textContent()).resolves.toBe('Tout fonctionne.');
    const items = await results.getByRole('listitem').allTextContents();
    expect(items.map((i) => i.split(' — ')[0]!.replace(/\s+/g, ' ').trim())).toEqual([
      'Réussi Serveur', 'Réussi Compte de service', 'Réussi Base de recherche', 'Réussi Fiche de la personne',
    ]);
    expect(items[3]).toContain('Rôle dans la commune : élu');
    // Nothing is saved by a test; the typed values stay (the password is never sent back).
    expect(await ownerDb().selectFrom('memberDirectories').select('id').where('memberId', '=', t.members[0]!.id).executeTakeFirst()).toBeUndefined();
    await expect(page.getByLabel(/^Base de recherche/).inputValue()).resolves.toBe(tree.peopleDn);
    await expect(page.getByLabel(/^Mot de passe du compte de service/).inputValue()).resolves.toBe('');
    expect(await seriousA11yViolations(page)).toEqual([]);

    await page.getByLabel(/^Mot de passe du compte de service/).fill(tree.servicePassword);
    await submit(page, 'Enregistrer');
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Configuration enregistrée.');
    await page.reload();
    await expect(page.getByLabel(/^Base de recherche/).inputValue()).resolves.toBe(tree.peopleDn);
    await expect(page.getByText('Un mot de passe est enregistré : laissez ce champ vide pour le garder.').count()).resolves.toBe(1);
  });

  it('shows a refused field next to it', async () => {
    const page = await dsiPage();
    await page.goto(`${webUrl()}/commune/identite/annuaire`);
    await hydrated(page);
    await page.getByLabel(/^Adresse du serveur/).fill('http://annuaire');
    await submit(page, 'Enregistrer');
    await page.locator('#url-error').waitFor();
    const url = page.getByLabel(/^Adresse du serveur/);
    await expect(url.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#url-error').textContent()).resolves.toMatch(/ldap:\/\/serveur:389/);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('lets an agent of the directory sign in through the login form', async () => {
    const page = await freshPage();
    await loginThroughForm(page, agent.mail, agent.password);
    expect(new URL(page.url()).pathname).toBe('/commune');
    await expect(page.getByText('Agathe Lambert').count()).resolves.toBeGreaterThan(0);
    // Their wrong password is refused like any other.
    const other = await freshPage();
    await other.goto(`${webUrl()}/connexion`);
    await other.getByLabel('Adresse e-mail').fill(elected.mail);
    await other.getByLabel('Mot de passe').fill('pas-le-bon');
    await Promise.all([other.waitForLoadState('load'), other.getByRole('button', { name: 'Se connecter' }).click()]);
    await expect(other.getByRole('alert').textContent()).resolves.toContain('Adresse e-mail ou mot de passe incorrect.');
  });
});
