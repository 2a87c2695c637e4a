import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs, superuserDb } from '../support/db.ts';
import { createTenant, type TestTenant } from '../support/factories.ts';
import { launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

let browser: Browser;
let tenant: TestTenant;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchBrowser(), createTenant({ communes: 1, catalog: true })]);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await closeDbs();
});

async function pageAs(role: 'commune_dsi' | 'syndicate_operator' | 'syndicate_admin'): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  await loginThroughForm(page, tenant.users[role].email, tenant.password);
  return page;
}

/**
 * Waits for the subscription page to show `label` as its status; on timeout, says what the page and
 * the database showed (the status row, the runs and their steps), so a slow worker is told from a stale page.
 */
async function statusShown(page: Page, label: string, timeout = 30_000) {
  try {
    await page.getByTestId('subscription-status').getByText(label).waitFor({ timeout });
  } catch (error) {
    const id = /\/services\/([0-9a-f-]{36})/.exec(page.url())?.[1];
    const row = id ? await superuserDb().selectFrom('subscriptions').select(['status', 'updatedAt']).where('id', '=', id).executeTakeFirst() : null;
    const runs = id ? await superuserDb().selectFrom('workflowRuns').select(['workflowId', 'status', 'updatedAt']).where('subjectId', '=', id).execute() : [];
    const shown = await page.getByTestId('subscription-status').textContent().catch(() => null);
    // Is the server slow to answer, or did the page stop asking? A reload tells.
    const t0 = Date.now();
    const reloaded = await page.reload({ timeout: 30_000 }).then(() => page.getByTestId('subscription-status').textContent(), (e: unknown) => `reload failed: ${String(e)}`);
    throw new Error(`"${label}" not shown in ${timeout} ms; the page shows "${shown}" (after a reload, in ${Date.now() - t0} ms: "${reloaded}"), the database says ${JSON.stringify({ row, runs })}`, { cause: error });
  }
}

const euros = (cents: number) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);

describe('the catalogue and self-service subscriptions', () => {
  it('a DSI requests the file cloud, an operator approves, the instance goes live and its secret is shown once', async () => {
    const commune = tenant.members[0]!;
    // The factory gives the commune population / 40 agents: the default seats of the estimate.
    const seats = Math.max(1, Math.round(commune.population / 40));
    const expected = euros(seats * 2_400);

    // The DSI sees the price of "Cloud de fichiers" for their commune, and that it needs approval.
    const dsi = await pageAs('commune_dsi');
    await dsi.goto(`${webUrl()}/catalogue`);
    const card = dsi.getByTestId('offering-fichiers');
    await expect(card.getByRole('heading', { level: 3 }).textContent()).resolves.toBe('Cloud de fichiers');
    await expect(card.getByTestId('estimate-fichiers-essentiel').textContent()).resolves.toBe(expected);
    await expect(card.getByText('Sur approbation du syndicat').count()).resolves.toBe(1);
    await expect(card.getByLabel(/Nombre d’utilisateurs/).inputValue()).resolves.toBe(String(seats));
    expect(await seriousA11yViolations(dsi)).toEqual([]);

    await Promise.all([dsi.waitForURL(/\/services\/[0-9a-f-]{36}$/), card.getByRole('button', { name: 'Envoyer la demande' }).click()]);
    const subscriptionUrl = dsi.url();
    await statusShown(dsi, 'En attente d’approbation');
    await expect(dsi.getByTestId('subscription-price').textContent()).resolves.toContain(expected);

    // An operator, in another browser, approves the request.
    const operator = await pageAs('syndicate_operator');
    await operator.goto(`${webUrl()}/demandes`);
    const request = operator.getByRole('article').filter({ has: operator.getByRole('heading', { name: `Cloud de fichiers — ${commune.name}` }) });
    await request.getByRole('button', { name: 'Approuver' }).click();
    await operator.getByRole('status').filter({ hasText: 'approuvée' }).waitFor();

    // The DSI's page follows the run by itself until the service is active.
    await statusShown(dsi, 'Actif', 60_000);
    const url = `https://fichiers.${commune.name.toLowerCase()}.mutualis.localhost`;
    await expect(dsi.getByTestId('subscription-url').textContent()).resolves.toBe(url);
    await expect(dsi.getByRole('listitem').filter({ hasText: /Fait/ }).count()).resolves.toBe(5);
    expect(await seriousA11yViolations(dsi)).toEqual([]);

    // The secrets, once: the database password among them.
    await dsi.getByRole('button', { name: 'Afficher les secrets' }).click();
    await dsi.getByText('ils ne seront plus jamais affichés').waitFor();
    const password = (await dsi.getByRole('row', { name: /^Mot de passe/ }).getByTestId('secret-value').textContent()) ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(await seriousA11yViolations(dsi)).toEqual([]);

    // Back on the page later, a second try says the secrets were already shown, and shows nothing.
    await dsi.goto(subscriptionUrl);
    await dsi.getByRole('button', { name: 'Afficher les secrets' }).click();
    await expect(dsi.getByRole('alert').textContent()).resolves.toContain('ont déjà été affichés');
    await expect(dsi.getByTestId('secret-value').count()).resolves.toBe(0);
    await expect(dsi.getByText(password).count()).resolves.toBe(0);

    // "Vérifier" inspects every resource through the worker: all three are as they should be.
    await dsi.getByRole('button', { name: 'Vérifier' }).click();
    await dsi.getByRole('status').filter({ hasText: 'Toutes les ressources sont conformes.' }).waitFor({ timeout: 30_000 });

    // "Résilier" asks first, then the service enters its grace period (data kept, cancellable).
    await dsi.getByRole('button', { name: 'Résilier' }).click();
    const confirmation = dsi.getByRole('group', { name: 'Résilier ce service ?' });
    await expect(confirmation.textContent()).resolves.toContain('conservées pendant 30 jours');
    await confirmation.getByRole('button', { name: 'Oui, résilier' }).click();
    await statusShown(dsi, 'Résiliation en cours (délai de grâce)', 30_000);

    // The DSI changes their mind during the grace period: the service is back, as it was.
    dsi.once('dialog', (dialog) => void dialog.accept());
    await dsi.getByRole('button', { name: 'Annuler la résiliation' }).click();
    await statusShown(dsi, 'Actif', 30_000);
  });

  it('a refusal needs a reason, which the DSI then reads on their subscription page', async () => {
    const commune = tenant.members[0]!;
    const dsi = await pageAs('commune_dsi');
    await dsi.goto(`${webUrl()}/catalogue`);
    const card = dsi.getByTestId('offering-ged');
    await Promise.all([dsi.waitForURL(/\/services\/[0-9a-f-]{36}$/), card.getByRole('button', { name: 'Envoyer la demande' }).click()]);
    const subscriptionUrl = dsi.url();

    const operator = await pageAs('syndicate_operator');
    await operator.goto(`${webUrl()}/demandes`);
    const request = () => operator.getByRole('article').filter({ has: operator.getByRole('heading', { name: `Gestion électronique des documents — ${commune.name}` }) });
    await request().getByRole('button', { name: 'Refuser' }).click();
    // Refused without a reason: the sentence sits next to the field, which is marked invalid.
    const reason = request().getByRole('textbox', { name: /Motif/ });
    await expect(reason.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(request().locator('.field-error').textContent()).resolves.toContain('Indiquez la raison du refus');
    expect(await seriousA11yViolations(operator)).toEqual([]);
    await reason.fill('Le marché de GED mutualisé ne couvre pas encore votre commune.');
    await request().getByRole('button', { name: 'Refuser' }).click();
    await operator.getByRole('status').filter({ hasText: 'refusée' }).waitFor();

    await dsi.goto(subscriptionUrl);
    await statusShown(dsi, 'Refusé', 30_000);
    await dsi.getByText(/^Motif : .*ne couvre pas encore votre commune/).waitFor({ timeout: 10_000 });
  });

  it('an admin sets a new price from a date: euros become exact cents, a wrong amount is refused next to its field', async () => {
    const admin = await pageAs('syndicate_admin');
    await admin.goto(`${webUrl()}/catalogue`);
    const card = admin.getByTestId('offering-site-web');
    await card.getByText('Changer le prix — Site internet de la commune — Standard').click();
    const form = card.getByRole('form', { name: 'Nouveau prix du plan Site internet de la commune — Standard' });
    await form.getByLabel('Par habitant et par an (€)').fill('0,125');
    await form.getByRole('button', { name: 'Enregistrer le nouveau prix' }).click();
    const refused = admin.getByTestId('offering-site-web').getByRole('form', { name: 'Nouveau prix du plan Site internet de la commune — Standard' });
    await expect(refused.getByLabel('Par habitant et par an (€)').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(refused.locator('.field-error').textContent()).resolves.toContain('deux décimales au plus');
    expect(await seriousA11yViolations(admin)).toEqual([]);

    await refused.getByLabel('Par habitant et par an (€)').fill('0,15');
    await refused.getByLabel('Forfait annuel (€)').fill('1 234,5');
    await refused.getByRole('button', { name: 'Enregistrer le nouveau prix' }).click();
    await admin.getByRole('status').filter({ hasText: 'Le nouveau prix du plan Site internet de la commune — Standard s’applique' }).waitFor();
    const row = admin.getByTestId('offering-site-web').getByRole('row', { name: /Standard/ });
    await expect(row.textContent()).resolves.toMatch(/Nouveau tarif à partir du .* 1\s234,50\s€ \(forfait annuel\) · 0,15\s€ par habitant/);
  });
});
