/**
 * The syndicate's finance in a real browser: the cost model (a line with a mixed key, errors next
 * to the fields), a simulation of a commune joining, the publication of the board's table; then a
 * commune's elected official reads its own contribution, and the board's table only once published.
 * Every page passes axe.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestMember, type TestTenant } from '../support/factories.ts';
import { launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

let browser: Browser;
let tenant: TestTenant;
let communeA: TestMember;
let communeB: TestMember;
const contexts: BrowserContext[] = [];
const year = Number(new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' }).slice(0, 4));
/** French amounts use narrow no-break spaces; compare them with any space. */
const spaced = (text: string | null) => (text ?? '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();
const euros = (cents: number) => spaced(new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100));

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchBrowser(), createTenant({ communes: 2, catalog: true })]);
  [communeA, communeB] = tenant.members as [TestMember, TestMember];
  // Both communes share the syndicate's costs this year.
  for (const member of tenant.members) await tenant.openCostShare(member.id, `${year}-01-01`);
}, 60_000);
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await closeDbs();
});

async function pageAs(role: 'syndicate_finance' | 'commune_elected' | 'board_member' | 'syndicate_admin'): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  await loginThroughForm(page, tenant.users[role].email, tenant.password);
  return page;
}

async function noA11yViolations(page: Page, where: string): Promise<void> {
  expect({ where, violations: await seriousA11yViolations(page) }).toEqual({ where, violations: [] });
}

/** The API as the syndicate's finance (a session opened directly: no second login in the browser's place). */
async function financeApi() {
  return tenant.caller((await tenant.openSession('syndicate_finance')).actor).caller;
}

describe('finance', () => {
  let page: Page;
  const lineLabel = () => `Sécurité et sauvegardes ${tenant.tag}`;

  beforeAll(async () => {
    page = await pageAs('syndicate_finance');
  });

  it('opens the cost model from the navigation', async () => {
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Modèle de coûts' }).click();
    await page.waitForURL('**/syndicat/couts');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Modèle de coûts');
    await expect(page.getByRole('table', { name: `Lignes du budget ${year}` }).textContent()).resolves.toContain(`Aucune ligne de budget pour ${year}.`);
    await noA11yViolations(page, 'cost model');
  });

  it('refuses a mix whose shares do not make 100 %, next to the mix', async () => {
    await page.getByLabel('Libellé', { exact: true }).fill(lineLabel());
    await page.getByLabel(/^Montant annuel/).fill('12 000');
    await page.getByLabel('Clé', { exact: true }).selectOption('mix');
    await page.getByLabel('Clé n° 1', { exact: true }).selectOption('population');
    await page.getByLabel('Part de la clé n° 1 (%)').fill('70');
    await page.getByLabel('Clé n° 2', { exact: true }).selectOption('agents');
    await page.getByLabel('Part de la clé n° 2 (%)').fill('20');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Ajouter la ligne' }).click()]);
    expect((await page.locator('.field-error').allTextContents()).map(spaced)).toEqual(['Les parts font 90 % : il faut 100 % en tout.']);
    // What was typed is still there.
    await expect(page.getByLabel('Libellé', { exact: true }).inputValue()).resolves.toBe(lineLabel());
    await expect(page.getByLabel('Part de la clé n° 2 (%)').inputValue()).resolves.toBe('20');
    await noA11yViolations(page, 'cost model with errors');
  });

  it('adds a budget line with a 70/30 mixed key and sees it listed in words', async () => {
    await page.getByLabel('Part de la clé n° 2 (%)').fill('30');
    await Promise.all([page.waitForURL(/enregistre=/), page.getByRole('button', { name: 'Ajouter la ligne' }).click()]);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain(`Ligne « ${lineLabel()} » enregistrée.`);
    const row = page.getByRole('table', { name: `Lignes du budget ${year}` }).getByRole('row').filter({ hasText: lineLabel() });
    const cells = (await row.getByRole('cell').allTextContents()).map(spaced);
    expect(cells.slice(0, 2)).toEqual([euros(1_200_000), '70 % population + 30 % agents']);
    const lines = await (await financeApi()).costs.budget.lines({ year });
    expect(lines.map((l) => ({ label: l.label, amountCents: l.amountCents, key: l.key }))).toEqual([{
      label: lineLabel(), amountCents: 1_200_000,
      key: { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] },
    }]);
  });

  it('is told next to the label when a line of that name already exists (the API says so)', async () => {
    await page.getByLabel('Libellé', { exact: true }).fill(lineLabel());
    await page.getByLabel(/^Montant annuel/).fill('500');
    await page.getByLabel('Clé', { exact: true }).selectOption('equal');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Ajouter la ligne' }).click()]);
    await expect(page.locator('#line-label-error').textContent()).resolves.toContain('existe déjà');
    await expect(page.getByLabel('Libellé', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
  });

  it('simulates a commune joining: the newcomer is in the members table, and nobody already in pays more', async () => {
    await page.goto(`${webUrl()}/syndicat/couts`);
    await Promise.all([page.waitForURL('**/syndicat/couts/simulation**'), page.getByRole('link', { name: 'Simuler une évolution du budget ou une adhésion' }).click()]);
    await noA11yViolations(page, 'simulation form');
    // finance may search the official reference (public data) to prefill a newcomer
    await page.getByLabel(/^Rechercher la commune dans le référentiel officiel/).fill('Vaulx-en-Velin');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Rechercher', exact: true }).click()]);
    await Promise.all([page.waitForURL(/choix=69256/), page.getByRole('link', { name: 'Préremplir avec Vaulx-en-Velin' }).click()]);
    await expect(page.getByLabel('Nom de la commune').inputValue()).resolves.toBe('Vaulx-en-Velin');
    await expect(page.getByLabel(/^Code INSEE/).inputValue()).resolves.toBe('69256');
    await page.getByLabel('Simuler cette adhésion').check();
    await page.getByLabel('Nom de la commune').fill(`Nouvelle-Commune ${tenant.tag}`);
    await page.getByLabel(/^Code INSEE/).fill('2A004');
    await page.getByLabel('Population', { exact: true }).fill('5000');
    await page.getByLabel(/^Nombre d’agents/).fill('120');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Lancer la simulation' }).click()]);

    const verdict = page.getByTestId('newcomer-verdict');
    await expect(verdict.textContent()).resolves.toContain('Aucun membre actuel ne paierait davantage.');
    const table = page.getByRole('table', { name: /^Par membre/ });
    const newcomer = table.getByRole('row').filter({ hasText: `Nouvelle-Commune ${tenant.tag}` });
    await expect(newcomer.textContent()).resolves.toContain('Nouvel adhérent');
    // Sorted by difference, largest first: the newcomer (who pays from nothing) leads, both communes follow with less to pay.
    const names = (await table.locator('tbody th').allTextContents()).map(spaced);
    expect(names).toHaveLength(3);
    expect(names[0]).toContain(`Nouvelle-Commune ${tenant.tag}`);
    expect(names.slice(1).sort()).toEqual([communeA.name, communeB.name].sort());
    for (const member of [communeA, communeB]) {
      const diff = spaced(await table.getByRole('row').filter({ hasText: member.name }).getByRole('cell').nth(2).textContent());
      expect(diff.startsWith('-'), `${member.name} pays less (${diff})`).toBe(true);
    }
    // The current totals match the cost model: the one line of 12 000 €.
    const totals = page.getByRole('table', { name: 'Totaux de l’année' });
    await expect(totals.getByRole('row').filter({ hasText: 'Part mutualisée' }).getByRole('cell').first().textContent().then(spaced)).resolves.toBe(euros(1_200_000));
    await noA11yViolations(page, 'simulation result');

    // Sorting by name keeps the assumptions and the result.
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Trier par nom' }).click()]);
    const sorted = (await page.getByRole('table', { name: /^Par membre/ }).locator('tbody th').allTextContents()).map(spaced);
    expect(sorted.map((n) => n.replace(' Nouvel adhérent', ''))).toEqual([...sorted.map((n) => n.replace(' Nouvel adhérent', ''))].sort((a, b) => a.localeCompare(b, 'fr')));
    await expect(page.getByLabel('Nom de la commune').inputValue()).resolves.toBe(`Nouvelle-Commune ${tenant.tag}`);
  });

  it('publishes the board’s table to the communes', async () => {
    await page.goto(`${webUrl()}/syndicat/couts`);
    const box = page.getByLabel('Publier le tableau du comité aux élus et DSI des communes');
    await expect(box.isChecked()).resolves.toBe(false);
    await box.check();
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Enregistrer la publication' }).click()]);
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('est maintenant publié');
    await expect(page.getByLabel('Publier le tableau du comité aux élus et DSI des communes').isChecked()).resolves.toBe(true);
    const caller = await financeApi();
    await expect(caller.costs.publication.get()).resolves.toEqual({ publishedToMembers: true });
  });
});

describe('a commune’s elected official', () => {
  let page: Page;
  beforeAll(async () => {
    page = await pageAs('commune_elected');
  });

  it('reads its own contribution in the commune space, and nothing of the other commune', async () => {
    await page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Coûts' }).click();
    await page.waitForURL('**/commune/couts');
    await expect(page.getByRole('heading', { level: 2 }).first().textContent()).resolves.toBe(`${communeA.name} — ${year}`);
    const caller = await financeApi();
    const own = (await caller.costs.allocation({ year, memberId: communeA.id })).members[0]!;
    expect(own.totalCents).toBeGreaterThan(0);
    await expect(page.getByTestId('commune-total').textContent().then(spaced)).resolves.toBe(euros(own.totalCents));
    const line = page.getByRole('table', { name: `Part mutualisée ${year}, par ligne du budget` }).getByRole('row').filter({ hasText: `Sécurité et sauvegardes ${tenant.tag}` });
    const cells = (await line.getByRole('cell').allTextContents()).map(spaced);
    expect(cells).toEqual(['70 % population + 30 % agents', euros(1_200_000), euros(own.lines![0]!.cents)]);
    expect(await page.content()).not.toContain(communeB.name);
    await noA11yViolations(page, 'commune costs');
  });

  it('sees every member in the board’s table while it is published, and not after', async () => {
    await page.getByRole('link', { name: 'Voir le tableau de tous les membres (publié par le syndicat)' }).click();
    await page.waitForURL('**/commune/couts/tableau**');
    const table = page.getByRole('table', { name: `Contributions ${year} par membre` });
    await expect(table.getByText(communeB.name).count()).resolves.toBe(1);
    await expect(table.getByText(communeA.name).count()).resolves.toBe(1);
    await noA11yViolations(page, 'published board table');

    const caller = await financeApi();
    await caller.costs.publication.set({ publishedToMembers: false });
    await page.reload();
    await expect(page.getByText('Le syndicat n’a pas publié le tableau de tous les membres.').count()).resolves.toBe(1);
    expect(await page.content()).not.toContain(communeB.name);
  });
});

describe('a board member', () => {
  it('reads the cost model without forms to change it', async () => {
    const page = await pageAs('board_member');
    await page.goto(`${webUrl()}/syndicat/couts`);
    await expect(page.getByText('Vous consultez le modèle de coûts').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Ajouter la ligne' }).count()).resolves.toBe(0);
    await expect(page.getByRole('table', { name: `Lignes du budget ${year}` }).getByText(`Sécurité et sauvegardes ${tenant.tag}`).count()).resolves.toBe(1);
    await noA11yViolations(page, 'cost model read-only');
  });
});

describe('an administrator', () => {
  it('sets what a commune would pay alone for an offering, and every other field of the offering stays as it was', async () => {
    const { caller } = tenant.caller((await tenant.openSession('syndicate_admin')).actor);
    const before = (await caller.catalog.list({})).offerings.find((o) => o.slug === 'messagerie')!;
    const page = await pageAs('syndicate_admin');
    await page.goto(`${webUrl()}/catalogue`);
    const card = page.getByTestId('offering-messagerie');
    await card.getByText('Prix si la commune était seule', { exact: true }).click();
    const form = card.getByRole('form', { name: 'Prix si la commune était seule — Messagerie collaborative' });
    await form.getByLabel('Par utilisateur et par an (€)').fill('80,5x');
    await Promise.all([page.waitForLoadState('load'), form.getByRole('button', { name: 'Enregistrer le prix « commune seule »' }).click()]);
    const refused = page.getByTestId('offering-messagerie').getByRole('form', { name: 'Prix si la commune était seule — Messagerie collaborative' });
    await expect(refused.getByLabel('Par utilisateur et par an (€)').getAttribute('aria-invalid')).resolves.toBe('true');
    await noA11yViolations(page, 'catalogue with a refused standalone price');

    await refused.getByLabel('Par utilisateur et par an (€)').fill('80,50');
    await refused.getByLabel('Forfait annuel (€)').fill('');
    await Promise.all([page.waitForLoadState('load'), refused.getByRole('button', { name: 'Enregistrer le prix « commune seule »' }).click()]);
    await page.getByRole('status').filter({ hasText: 'Prix « commune seule » de Messagerie collaborative enregistré.' }).waitFor();
    await expect(page.getByTestId('standalone-messagerie').textContent().then(spaced)).resolves.toContain('80,50 € par utilisateur');

    const after = (await caller.catalog.list({})).offerings.find((o) => o.slug === 'messagerie')!;
    expect(after.standalonePrice).toEqual({ annualFixedCents: 0, perUserCents: 8050, perGbCents: 0, perInhabitantCents: 0 });
    expect({ ...after, standalonePrice: null }).toEqual({ ...before, standalonePrice: null });
  });
});

describe('without JavaScript', () => {
  it('finance edits a line: every part of the key builder shows, the saved key is replaced', async () => {
    const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    contexts.push(context);
    const page = await context.newPage();
    await loginThroughForm(page, tenant.users.syndicate_finance.email, tenant.password);
    await page.goto(`${webUrl()}/syndicat/couts`);
    const label = `Sécurité et sauvegardes ${tenant.tag}`;
    await Promise.all([page.waitForURL(/modifier=/), page.getByRole('link', { name: `Modifier la ligne « ${label} »` }).click()]);
    // The saved mix is in the form, and the usage fields show although the key is not a usage.
    await expect(page.getByLabel('Part de la clé n° 1 (%)').inputValue()).resolves.toBe('70');
    await expect(page.getByLabel('Part de la clé n° 2 (%)').inputValue()).resolves.toBe('30');
    await expect(page.getByLabel('Service mesuré', { exact: true }).isVisible()).resolves.toBe(true);
    await page.getByLabel('Clé', { exact: true }).selectOption('agents');
    await page.getByLabel(/^Montant annuel/).fill('13 000,50');
    await Promise.all([page.waitForURL(/enregistre=/), page.getByRole('button', { name: 'Enregistrer la ligne' }).click()]);
    const row = page.getByRole('table', { name: `Lignes du budget ${year}` }).getByRole('row').filter({ hasText: label });
    expect((await row.getByRole('cell').allTextContents()).map(spaced).slice(0, 2)).toEqual([euros(1_300_050), 'agents']);
    const lines = await (await financeApi()).costs.budget.lines({ year });
    expect(lines.map((l) => [l.label, l.amountCents, l.key])).toEqual([[label, 1_300_050, { kind: 'agents' }]]);
  });
});
