/**
 * Issue 5, end to end in Chromium: an agent logs in once, opens two applications from the portal
 * without a second login; signing out of one application signs them out of both (back-channel
 * logout) and of the platform, so opening an application asks for the password again.
 *
 * The applications are real relying parties (tests/support/rp-app.ts: openid-client, HTTPS) served
 * at the addresses the portal tiles link to, for two subscriptions provisioned by the stack's
 * worker (the DSI's request and the operator's approval go through the API). Chromium reaches
 * them with --host-resolver-rules and trusts their certificate by its key (SPKI); the web server's
 * provider reaches their back-channel logout URIs through SSO_CONNECT_TO (set by the test stack).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs, superuserDb } from '../support/db.ts';
import { createTenant, type TestCaller, type TestTenant } from '../support/factories.ts';
import { BACKCHANNEL_LOGOUT_PATH, startRpServer, type RpServer } from '../support/rp-app.ts';
import { loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

const DOMAIN = process.env.HOSTING_BASE_DOMAIN ?? 'mutualis.localhost';
let tenant: TestTenant;
let rp: RpServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** the two applications, in the order the test opens them */
const apps: Array<{ slug: string; title: string; host: string; url: string; clientId: string }> = [];
/** every document request of the page's main frame (redirect hops included), in order */
const navigations: string[] = [];
let openedBoth = false;

async function waitActive(dsi: TestCaller, id: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const sub = await dsi.subscriptions.get({ id });
    if (sub.status === 'active' && sub.url) return sub.url;
    if (Date.now() > deadline) throw new Error(`subscription ${id} is still ${sub.status} after 90 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  tenant = await createTenant({ communes: 1, catalog: true });
  const commune = tenant.members[0]!;
  const dsiSession = await tenant.openSession('commune_dsi');
  const dsi = tenant.caller(dsiSession.actor, dsiSession.token).caller;
  const operatorSession = await tenant.openSession('syndicate_operator');
  const operator = tenant.caller(operatorSession.actor, operatorSession.token).caller;

  // Two applications whose recipe makes an SSO client and an address: mail (no approval) and the
  // file cloud (approved by the syndicate's operator), provisioned by the stack's worker.
  const wanted = [
    { slug: 'messagerie', title: 'Messagerie collaborative', plan: 'standard' },
    { slug: 'fichiers', title: 'Cloud de fichiers', plan: 'essentiel' },
  ];
  const ids: string[] = [];
  const secrets = new Map<string, string>();
  for (const w of wanted) {
    const offering = tenant.offerings[w.slug]!;
    ids.push((await dsi.subscriptions.request({ memberId: commune.id, offeringId: offering.id, planId: offering.plans[w.plan]! })).subscriptionId);
  }
  await operator.subscriptions.approve({ id: ids[1]!, decision: 'approve' });
  for (const [i, w] of wanted.entries()) {
    const url = await waitActive(dsi, ids[i]!);
    const revealed = await dsi.subscriptions.revealSecrets({ id: ids[i]! });
    const values = revealed.flatMap((r) => r.values);
    const clientId = values.find((v) => v.name === 'Identifiant client')?.value;
    const clientSecret = values.find((v) => v.name === 'Secret client')?.value;
    if (!clientId || !clientSecret) throw new Error(`no SSO client secret revealed for ${w.slug}: ${values.map((v) => v.name).join(', ')}`);
    apps.push({ slug: w.slug, title: w.title, host: new URL(url).hostname, url, clientId });
    secrets.set(clientId, clientSecret);
  }

  const port = Number(process.env.MUTUALIS_TEST_RP_PORT);
  if (!port) throw new Error('MUTUALIS_TEST_RP_PORT is not set: run the browser tests through `npm test`.');
  rp = await startRpServer({
    issuer: `${webUrl()}/oidc`, port,
    apps: apps.map((a) => ({ host: a.host, title: a.title, clientId: a.clientId, clientSecret: secrets.get(a.clientId)! })),
  });

  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the browser tests through `npm test`.');
  // The shared launcher's flags, plus: every name under the hosting domain goes to the test
  // applications' port (the rule may carry a port), and their certificate is trusted by its key.
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      `--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1:${rp.port}`, `--ignore-certificate-errors-spki-list=${rp.spki}`,
    ],
  });
  context = await newContext(browser);
  page = await context.newPage();
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigations.push(request.url());
  });
}, 180_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await rp?.stop();
  await closeDbs();
});

const pathOf = (url: string) => { const u = new URL(url); return `${u.host}${u.pathname}`; };
const recent = (from = 0) => navigations.slice(from).map((u) => `  ${u.split('?')[0]}`).join('\n');

/** Where the browser is, what the page says, and how it got there: for failure messages. */
async function where(from: number): Promise<string> {
  const text = (await page.locator('body').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300);
  return `the browser is on ${page.url()}\n«${text}»\nnavigations:\n${recent(from)}`;
}

/** Waits for the application's page to greet the agent; otherwise says where the browser ended up and how. */
async function expectGreeted(app: (typeof apps)[number], from: number): Promise<void> {
  const greeting = page.getByTestId('greeting');
  await greeting.waitFor({ timeout: 15_000 }).catch(async () => {
    throw new Error(`${app.slug}: expected ${app.url} to greet the agent; ${await where(from)}`);
  });
  expect(new URL(page.url()).hostname).toBe(app.host);
  await expect(greeting.textContent()).resolves.toBe(`Bonjour commune_agent ${tenant.tag}`);
  await expect(page.getByTestId('commune').textContent()).resolves.toBe(`Commune : ${tenant.members[0]!.name} (${tenant.members[0]!.inseeCode})`);
}

/** The agent's platform sessions still open. */
const openPlatformSessions = async () => (await superuserDb().selectFrom('sessions').select('id')
  .where('userId', '=', tenant.users.commune_agent.id).where('endedAt', 'is', null).execute()).length;

describe('single sign-on from the agents\' portal (issue 5)', () => {
  it('an agent logs in once, then opens two applications from the portal without a second login', async () => {
    await loginThroughForm(page, tenant.users.commune_agent.email, tenant.password);
    const afterLogin = navigations.length;

    await page.goto(`${webUrl()}/commune`);
    const tiles = page.getByTestId('app-tile');
    await expect(tiles.count()).resolves.toBe(2);
    const hrefs = await tiles.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.sort()).toEqual(apps.map((a) => a.url).sort());
    expect(apps.map((a) => a.url)).toEqual(apps.map((a) => `https://${a.slug}.${tenant.members[0]!.name.toLowerCase()}.${DOMAIN}`));
    expect(await seriousA11yViolations(page)).toEqual([]);

    for (const [i, app] of apps.entries()) {
      if (i > 0) await page.goto(`${webUrl()}/commune`);
      const from = navigations.length;
      await page.getByTestId('app-tile').filter({ hasText: app.title }).click();
      await expectGreeted(app, from);
      // Through the SSO: the application sent the browser to the provider, which answered with a code at once.
      const hops = navigations.slice(from).map(pathOf);
      expect(hops[0]).toBe(`${app.host}/`);
      expect(hops).toContain(`${new URL(webUrl()).host}/oidc/auth`);
      expect(hops).toContain(`${app.host}/oidc/callback`);
    }

    // One login: no visit to the login page after it, and no password field shown since.
    const since = navigations.slice(afterLogin);
    expect(since.filter((u) => new URL(u).pathname.startsWith('/connexion')), `navigations since the login:\n${recent(afterLogin)}`).toEqual([]);
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    // Each application holds one session of the agent, bound to the provider's session (sid).
    for (const app of apps) expect(rp.sessions(app.host).map((s) => s.sub)).toEqual([tenant.users.commune_agent.id]);
    openedBoth = true;
  });

  it('signing out of one application signs the agent out of both (back-channel logout) and of the platform', async () => {
    expect(openedBoth, 'needs the previous test\'s two open applications').toBe(true);
    const [first, second] = [apps[0]!, apps[1]!];
    const sids = new Map(apps.map((a) => [a.host, rp.sessions(a.host)[0]!.sid]));

    // RP-initiated logout from the first application, confirmed on the provider's page.
    const from = navigations.length;
    await page.goto(first.url);
    await expectGreeted(first, from);
    await page.getByRole('link', { name: 'Se déconnecter' }).click();
    await page.getByText('Voulez-vous vous déconnecter').waitFor({ timeout: 15_000 }).catch(async () => {
      throw new Error(`expected the provider's logout confirmation; ${await where(from)}`);
    });
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByTestId('signed-out').waitFor({ timeout: 15_000 }).catch(async () => {
      throw new Error(`expected ${first.url} to say the agent is signed out; ${await where(from)}\nlogout tokens refused: ${JSON.stringify(rp.refusedLogouts)}`);
    });

    // The provider POSTed a verified logout token to each application, naming its session, which ended.
    expect(rp.refusedLogouts).toEqual([]);
    expect(rp.logouts.map((l) => ({ host: l.host, sid: l.sid, sub: l.sub, ended: l.endedSessions })).sort((a, b) => a.host.localeCompare(b.host))).toEqual(
      apps.map((a) => ({ host: a.host, sid: sids.get(a.host), sub: tenant.users.commune_agent.id, ended: 1 })).sort((a, b) => a.host.localeCompare(b.host)),
    );
    for (const app of apps) expect(rp.sessions(app.host)).toEqual([]);
    expect(navigations.slice(from).some((u) => new URL(u).pathname === BACKCHANNEL_LOGOUT_PATH)).toBe(false); // server to server, not through the browser

    // The platform session ends with the SSO's (the web server does it as the logout completes).
    for (let i = 0; i < 100 && (await openPlatformSessions()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await openPlatformSessions()).toBe(0);

    // Neither application greets the agent any more: opening one asks for the password.
    for (const app of [second, first]) {
      const start = navigations.length;
      await page.goto(app.url);
      await page.waitForURL((url) => url.pathname === '/connexion', { timeout: 15_000 }).catch(async () => {
        throw new Error(`${app.slug}: expected the login page; ${await where(start)}`);
      });
      await expect(page.getByTestId('greeting').count()).resolves.toBe(0);
      await expect(page.getByLabel('Mot de passe').isVisible()).resolves.toBe(true);
    }

    // Typing the password again brings the agent back, signed in, to the application they opened.
    const again = navigations.length;
    await page.getByLabel('Adresse e-mail').fill(tenant.users.commune_agent.email);
    await page.getByLabel('Mot de passe').fill(tenant.password);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expectGreeted(first, again);
  });
});
