import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestTenant } from '../support/factories.ts';
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

describe('onboarding a commune, from the search to the DSI in their commune space', () => {
  const dsiEmail = () => `dsi-vaulx.${tenant.tag}@tests.example`;
  let memberUrl = '';

  it('an operator finds "Vaulx-en-Velin" by typing "vaulx", onboards it, and watches the steps reach "Actif"', async () => {
    const page = await freshPage();
    await loginThroughForm(page, tenant.users.syndicate_operator.email, tenant.password);
    await page.goto(`${webUrl()}/membres`);
    await page.getByRole('link', { name: 'Nouveau membre' }).click();
    await page.getByLabel('Commune ou EPCI').pressSequentially('vaulx', { delay: 30 });
    const results = page.getByRole('region', { name: 'Résultats de la recherche' });
    await results.getByText('Vaulx-en-Velin').waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await results.getByRole('link', { name: 'Choisir Vaulx-en-Velin' }).click();
    await page.getByRole('heading', { name: 'Adhésion de Vaulx-en-Velin' }).waitFor();
    await page.getByLabel('Prénom et nom').fill('Camille Martin');
    await page.getByLabel('Adresse e-mail').fill(dsiEmail());
    await Promise.all([page.waitForURL(/\/membres\/[0-9a-f-]{36}$/), page.getByRole('button', { name: 'Lancer l’adhésion' }).click()]);
    memberUrl = page.url();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Vaulx-en-Velin');
    // The page follows the run by itself until the member is active.
    await page.getByTestId('member-status').getByText('Actif').waitFor({ timeout: 30_000 });
    // The member turns active inside the last step, a moment before the run records that step done:
    // the page, still following the run, shows the sixth step done and the run finished just after.
    const steps = page.getByRole('listitem').filter({ hasText: /Fait|Sans objet/ });
    await steps.nth(5).waitFor({ timeout: 30_000 });
    await expect(steps.count()).resolves.toBe(6);
    await page.getByText('Terminé').first().waitFor({ timeout: 30_000 });
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('the DSI opens the invitation from the outbox, sets a password, must add an authenticator app, and lands in the commune space', async () => {
    expect(memberUrl).not.toBe('');
    const page = await freshPage();
    await page.goto(`${webUrl()}/dev/outbox`);
    await page.getByRole('row').filter({ hasText: dsiEmail() }).getByRole('link').first().click();
    const link = page.getByRole('link', { name: /\/invitation\// });
    await Promise.all([page.waitForURL(/\/invitation\//), link.click()]);
    const invitationUrl = page.url();
    await page.getByRole('heading', { name: 'Activer votre compte' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    // A common password is refused with a sentence.
    await page.getByLabel('Choisissez votre mot de passe').fill('password1234');
    await page.getByLabel('Confirmez le mot de passe').fill('password1234');
    await page.getByRole('button', { name: 'Activer mon compte' }).click();
    await expect(page.getByText('figure parmi les plus utilisés').count()).resolves.toBe(1);
    const password = 'cheval agrafe lune verte 7';
    await page.getByLabel('Choisissez votre mot de passe').fill(password);
    await page.getByLabel('Confirmez le mot de passe').fill(password);
    // A DSI always needs a second factor: the first login walks through adding an authenticator app.
    await Promise.all([page.waitForURL('**/connexion/verification**'), page.getByRole('button', { name: 'Activer mon compte' }).click()]);
    await page.getByRole('heading', { name: 'Protégez votre compte par un second facteur' }).waitFor();
    await page.getByRole('button', { name: 'Utiliser une application d’authentification' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
    await page.getByLabel('Code à 6 chiffres de votre application d’authentification').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Valider' }).click();
    await expect(page.getByTestId('recovery-codes').getByRole('listitem').count()).resolves.toBe(10);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await Promise.all([page.waitForURL('**/commune'), page.getByRole('link', { name: 'J’ai noté mes codes, continuer' }).click()]);
    await expect(page.getByRole('heading', { level: 2 }).first().textContent()).resolves.toContain('Vaulx-en-Velin');
    // The link is spent: opening it again says so.
    const spent = await freshPage();
    await spent.goto(invitationUrl);
    await expect(spent.getByRole('alert').textContent()).resolves.toContain('a déjà servi');
  });
});
