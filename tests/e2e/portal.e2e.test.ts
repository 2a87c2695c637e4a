/**
 * The agents' portal: the commune's applications in service, one tile each, in the commune space.
 * (Opening one signs the agent in through the SSO with their platform session, without a second
 * password: tests/integration/sso/oidc-flow.test.ts drives that flow against this same server.)
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestTenant } from '../support/factories.ts';
import { launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

let browser: Browser;
let tenant: TestTenant;
let waiting: string; // the request left waiting for approval
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, tenant] = await Promise.all([launchBrowser(), createTenant({ communes: 1, catalog: true })]);
  const commune = tenant.members[0]!;
  const dsi = tenant.caller(await tenant.actorFor('commune_dsi')).caller;
  // Two applications without approval (the stack's worker provisions them), and one request still waiting.
  const ids: string[] = [];
  for (const slug of ['messagerie', 'site-web']) {
    const offering = tenant.offerings[slug]!;
    ids.push((await dsi.subscriptions.request({ memberId: commune.id, offeringId: offering.id, planId: Object.values(offering.plans)[0]! })).subscriptionId);
  }
  waiting = (await dsi.subscriptions.request({ memberId: commune.id, offeringId: tenant.offerings.fichiers!.id, planId: tenant.offerings.fichiers!.plans.essentiel! })).subscriptionId;
  const deadline = Date.now() + 60_000;
  for (const id of ids) {
    while ((await dsi.subscriptions.get({ id })).status !== 'active') {
      if (Date.now() > deadline) throw new Error(`subscription ${id} did not become active`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}, 120_000);
afterAll(async () => {
  // No run left waiting for a decision on the shared server.
  if (waiting) await tenant.caller(await tenant.actorFor('commune_dsi')).caller.subscriptions.cancel({ id: waiting }).catch(() => {});
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await closeDbs();
});

it('an agent sees one tile per application in service, each opening the instance address', async () => {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  await loginThroughForm(page, tenant.users.commune_agent.email, tenant.password);
  await page.goto(`${webUrl()}/commune`);
  const tiles = page.getByTestId('app-tile');
  await expect(tiles.count()).resolves.toBe(2);
  const slug = tenant.members[0]!.name.toLowerCase();
  const links = await tiles.evaluateAll((as) => as.map((a) => [a.textContent?.trim(), a.getAttribute('href')]));
  expect(links.sort()).toEqual([
    [`Messagerie collaborativemessagerie.${slug}.mutualis.localhost`, `https://messagerie.${slug}.mutualis.localhost`],
    [`Site internet de la communesite-web.${slug}.mutualis.localhost`, `https://site-web.${slug}.mutualis.localhost`],
  ]);
  await page.getByText('Vous y êtes connecté avec votre compte Mutualis').waitFor();
  expect(await seriousA11yViolations(page)).toEqual([]);
});
