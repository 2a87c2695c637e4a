import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { nextTotpCode } from '../../support/factories.ts';

/** The web server under test (started by `npm test` on the production build). */
export function webUrl(): string {
  const url = process.env.WEB_URL;
  if (!url) throw new Error('WEB_URL is not set: run the browser tests through `npm test`, which starts the web server.');
  return url;
}

/** Debian's Chromium (or CHROMIUM_PATH), headless, with no background traffic to the internet. */
export function launchBrowser(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the browser tests through `npm test`, which finds or installs Chromium.');
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1280, height: 900 } });
}

/**
 * Waits until the page's scripts have taken over the server-rendered page (the root layout marks
 * `<html data-hydrated>`): typed values are then kept, and enhanced forms submit through fetch.
 */
export async function hydrated(page: Page): Promise<void> {
  // SvelteKit's inline start script defines `__sveltekit_<version>` as the page is parsed; without it,
  // JavaScript is off in this context and the server-rendered page is the page.
  const scripts = await page.evaluate(() => Object.keys(window).some((key) => key.startsWith('__sveltekit_')));
  if (!scripts) return;
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 });
}

/**
 * Logs in through the real login form and waits for the landing page. Where a second factor is
 * due (admins, DSIs), types the code of the user's authenticator app on the verification page.
 */
export async function loginThroughForm(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${webUrl()}/connexion`);
  await hydrated(page);
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Se connecter' }).click()]);
  await page.waitForURL((url) => !url.pathname.startsWith('/connexion') || url.pathname.startsWith('/connexion/verification'), { timeout: 10_000 }).catch(() => undefined);
  if (new URL(page.url()).pathname.startsWith('/connexion/verification')) {
    await hydrated(page);
    await page.getByLabel('Code à 6 chiffres de votre application d’authentification').fill(await nextTotpCode(email));
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Vérifier' }).click()]);
  }
  await page.waitForURL((url) => !url.pathname.startsWith('/connexion'), { timeout: 10_000 }).catch(async () => {
    const alert = await page.getByRole('alert').textContent().catch(() => null);
    throw new Error(`Login of ${email} did not leave the login page: ${alert ?? '(no message shown)'}`);
  });
}

const axeSource = (() => {
  const require = createRequire(import.meta.url);
  return require('node:fs').readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') as string;
})();

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: number }

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page; returns the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
