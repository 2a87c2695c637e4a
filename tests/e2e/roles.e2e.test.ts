import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';
import type { Role } from '@mutualis/contracts';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestMember, type TestTenant, type TestUser } from '../support/factories.ts';

let browser: Browser;
let tenant: TestTenant;
/** Commune roles of the tenant belong to communeA; `dsiB` is the DSI of communeB. */
let communeA: TestMember;
let communeB: TestMember;
let dsiB: TestUser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchBrowser(), createTenant({ communes: 2 })]);
  [communeA, communeB] = tenant.members as [TestMember, TestMember];
  dsiB = await tenant.addUser('commune_dsi', communeB.id);
  // Both communes belong to the syndicate this year: the board's table of contributions lists them.
  await tenant.openCostShare(communeA.id, '2020-01-01');
  await tenant.openCostShare(communeB.id, '2020-01-01');
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await closeDbs();
});

const emailOf = (who: Role | 'dsiB') => (who === 'dsiB' ? dsiB.email : tenant.users[who].email);

async function pageAs(who: Role | 'dsiB'): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  await loginThroughForm(page, emailOf(who), tenant.password);
  return page;
}

const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link').allTextContents();

describe('each role logs in and sees its own navigation', () => {
  it.each([
    ['syndicate_admin', ['Console du syndicat', 'Membres', 'Modèle de coûts', 'Coûts partagés', 'Catalogue', 'Services', 'Demandes']],
    ['syndicate_operator', ['Console du syndicat', 'Membres', 'Catalogue', 'Services', 'Demandes']],
    ['syndicate_finance', ['Console du syndicat', 'Membres', 'Modèle de coûts', 'Coûts partagés', 'Catalogue', 'Services']],
  ] as const)('%s lands in the syndicate console', async (role, links) => {
    const page = await pageAs(role);
    expect(new URL(page.url()).pathname).toBe('/syndicat');
    expect(await navLinks(page)).toEqual(links);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Console du syndicat');
  });

  it('a board member lands in the board space and sees every member in the table of contributions', async () => {
    const page = await pageAs('board_member');
    expect(new URL(page.url()).pathname).toBe('/comite');
    expect(await navLinks(page)).toEqual(['Espace du comité']);
    const table = page.getByRole('table', { name: /^Contributions des membres en \d{4}/ });
    await expect(table.getByText(communeA.name).count()).resolves.toBe(1);
    await expect(table.getByText(communeB.name).count()).resolves.toBe(1);
  });

  it.each([
    ['commune_dsi', ['Espace commune', 'Coûts', 'Catalogue', 'Services']],
    ['commune_agent', ['Espace commune']],
    ['commune_elected', ['Espace commune', 'Coûts']],
  ] as const)('%s lands in the space of its own commune', async (role, links) => {
    const page = await pageAs(role);
    expect(new URL(page.url()).pathname).toBe('/commune');
    expect(await navLinks(page)).toEqual(links);
    await expect(page.getByRole('heading', { level: 2 }).first().textContent()).resolves.toContain(communeA.name);
    expect(await page.content()).not.toContain(communeB.name);
  });

  it('an external provider with no grant sees that no commune is linked', async () => {
    const page = await pageAs('external_provider');
    expect(new URL(page.url()).pathname).toBe('/commune');
    await expect(page.getByText('Votre compte n’est rattaché à aucune commune').count()).resolves.toBe(1);
  });
});

describe('tenant walls in the browser', () => {
  it("a commune DSI opening another commune's page gets \"not found\" and none of its data", async () => {
    const page = await pageAs('commune_dsi');
    const response = await page.goto(`${webUrl()}/membres/${communeB.id}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Page introuvable');
    expect(await page.content()).not.toContain(communeB.name);
    // Its own commune's page opens.
    const own = await page.goto(`${webUrl()}/membres/${communeA.id}`);
    expect(own?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(communeA.name);
  });

  it('a commune DSI cannot open the syndicate console', async () => {
    const page = await pageAs('commune_dsi');
    const response = await page.goto(`${webUrl()}/syndicat`);
    expect(response?.status()).toBe(404);
  });

  it('a visitor without a session is sent to the login page, and back after login', async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${webUrl()}/membres/${communeA.id}`);
    expect(new URL(page.url()).pathname).toBe('/connexion');
    await page.getByLabel('Adresse e-mail').fill(emailOf('syndicate_operator'));
    await page.getByLabel('Mot de passe').fill(tenant.password);
    await Promise.all([page.waitForURL(`**/membres/${communeA.id}`), page.getByRole('button', { name: 'Se connecter' }).click()]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(communeA.name);
  });
});

describe('login and logout', () => {
  it('a wrong password says so, and keeps the e-mail typed', async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${webUrl()}/connexion`);
    await page.getByLabel('Adresse e-mail').fill(emailOf('commune_dsi'));
    await page.getByLabel('Mot de passe').fill('not the password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Adresse e-mail ou mot de passe incorrect.');
    await expect(page.getByLabel('Adresse e-mail').inputValue()).resolves.toBe(emailOf('commune_dsi'));
  });

  it('logout ends the session on the server: the old cookie no longer opens anything', async () => {
    const page = await pageAs('syndicate_admin');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'mutualis_session')?.httpOnly).toBe(true);
    await Promise.all([page.waitForURL('**/connexion'), page.getByRole('button', { name: 'Se déconnecter' }).click()]);
    const replay = await newContext(browser);
    contexts.push(replay);
    await replay.addCookies(cookies);
    const again = await replay.newPage();
    await again.goto(`${webUrl()}/membres`);
    expect(new URL(again.url()).pathname).toBe('/connexion');
  });

  it('the language button switches the interface to English and back', async () => {
    const page = await pageAs('board_member');
    await page.getByRole('button', { name: 'English' }).click();
    await page.waitForURL('**/comite');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Board space');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await page.getByRole('button', { name: 'Français' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Espace du comité syndical');
  });
});

describe('accessibility (axe-core, WCAG 2.1 A/AA): no serious or critical violation', () => {
  it('on the login page', async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${webUrl()}/connexion`);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').or(page.locator('.field-error')).first().waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('on the syndicate console, the member list and a member page', async () => {
    const page = await pageAs('syndicate_admin');
    for (const path of ['/syndicat', '/membres', `/membres?q=${encodeURIComponent(communeA.name)}`, `/membres/${communeA.id}`]) {
      await page.goto(`${webUrl()}${path}`);
      expect({ path, violations: await seriousA11yViolations(page) }).toEqual({ path, violations: [] });
    }
  });

  it('on the commune space, the board space and the not-found page', async () => {
    const dsi = await pageAs('commune_dsi');
    expect(await seriousA11yViolations(dsi)).toEqual([]);
    await dsi.goto(`${webUrl()}/membres/${communeB.id}`);
    expect(await seriousA11yViolations(dsi)).toEqual([]);
    const board = await pageAs('board_member');
    expect(await seriousA11yViolations(board)).toEqual([]);
  });
});
