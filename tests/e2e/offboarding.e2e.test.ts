import type { Browser, BrowserContext, Page } from 'playwright-core';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestTenant } from '../support/factories.ts';
import { launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

let browser: Browser;
let tenant: TestTenant;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchBrowser(), createTenant({ communes: 2 })]);
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await closeDbs();
});

async function adminPage(): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  await loginThroughForm(page, tenant.users.syndicate_admin.email, tenant.password);
  return page;
}

describe('a member leaves the syndicate', () => {
  it('an admin starts the departure, downloads the export, then cancels it: the member stays active', async () => {
    const member = tenant.members[1]!;
    const page = await adminPage();
    await page.goto(`${webUrl()}/membres/${member.id}`);
    const panel = page.getByTestId('offboard-panel');
    await panel.getByRole('button', { name: 'Lancer le départ du membre' }).click();
    await panel.getByRole('button', { name: 'Oui, lancer le départ' }).click();
    // The export is ready once the run reaches the retention period.
    const download = panel.getByRole('link', { name: 'Télécharger l’export des données (zip)' });
    await download.waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('member-status').textContent()).resolves.toBe('En cours de départ');
    expect(await seriousA11yViolations(page)).toEqual([]);

    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    const stream = await file.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const entries = unzipSync(new Uint8Array(Buffer.concat(chunks)));
    expect(Object.keys(entries)).toContain('export.json');
    expect(new TextDecoder().decode(entries['export.json'])).toContain(member.name);

    page.once('dialog', (dialog) => void dialog.accept());
    await panel.getByRole('button', { name: 'Annuler le départ' }).click();
    await page.getByTestId('member-status').getByText('Actif').waitFor({ timeout: 30_000 });
    await panel.getByText('Départ annulé').waitFor();
  });

  it('a commune DSI sees no departure button on its own commune', async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    await loginThroughForm(page, tenant.users.commune_dsi.email, tenant.password);
    await page.goto(`${webUrl()}/membres/${tenant.members[0]!.id}`);
    await expect(page.getByRole('button', { name: 'Lancer le départ du membre' }).count()).resolves.toBe(0);
  });
});
