/**
 * The board's space in a real browser (issue 6): a board member sees the year's split of the costs
 * (table of contributions, charts with their tables), sorts and searches the table, opens a
 * member's breakdown, downloads the CSV and the PDF annex; finance reaches the same pages from its
 * navigation, an operator does not; the pages pass axe.
 */
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Allocation, MemberAllocation } from '@mutualis/contracts';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestTenant } from '../support/factories.ts';
import { launchBrowser, loginThroughForm, newContext, seriousA11yViolations, webUrl } from './support/browser.ts';

let browser: Browser;
let tenant: TestTenant;
const contexts: BrowserContext[] = [];
/** The page's default year: the current one in Paris. */
const year = Number(new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', year: 'numeric' }).format(new Date()));
/** The split as the engine computes it, read through the API as the board member: what the page must show. */
let expected: Allocation;

const euros = (cents: number) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);

beforeAll(async () => {
  [browser, tenant] = await Promise.all([
    launchBrowser(),
    createTenant({ communes: [{ population: 1_250 }, { population: 5_400 }, { population: 23_000 }] }),
  ]);
  const [a, b, c] = tenant.members as [TestTenant['members'][0], TestTenant['members'][0], TestTenant['members'][0]];
  // Two members since last year, one joining on 1 March: shares prorated to the days of membership.
  await tenant.openCostShare(a.id, `${year - 1}-01-01`);
  await tenant.openCostShare(b.id, `${year - 1}-01-01`);
  await tenant.openCostShare(c.id, `${year}-03-01`);
  const finance = tenant.caller((await tenant.openSession('syndicate_finance')).actor).caller;
  await finance.costs.budget.setLine({ year: year - 1, label: 'Infrastructure mutualisée', amountCents: 900_000_00, key: { kind: 'population' } });
  await finance.costs.budget.setLine({ year, label: 'Infrastructure mutualisée', amountCents: 1_234_567_89, key: { kind: 'population' } });
  await finance.costs.budget.setLine({
    year, label: 'Support et assistance', amountCents: 250_000_01,
    key: { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] },
  });
  await finance.costs.budget.setLine({ year, label: 'Parts fixes', amountCents: 30_000_00, key: { kind: 'equal' } });
  const board = tenant.caller((await tenant.openSession('board_member')).actor).caller;
  expected = await board.costs.allocation({ year });
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
  await closeDbs();
});

async function pageAs(role: 'board_member' | 'syndicate_finance' | 'syndicate_operator'): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  await loginThroughForm(page, tenant.users[role].email, tenant.password);
  return page;
}

const tableOf = (page: Page) => page.getByRole('table', { name: new RegExp(`^Contributions des membres en ${year}`) });
/** The member names in the table's rows, top to bottom. */
const rowNames = (page: Page) => tableOf(page).locator('tbody th[scope="row"]').allTextContents();

async function bytesOf(download: Download): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** "1234,56" or "-12,00" to cents, exactly. */
function cents(cell: string): number {
  const match = /^(-?)(\d+),(\d{2})$/.exec(cell);
  if (!match) throw new Error(`not an amount with a decimal comma: "${cell}"`);
  return (match[1] ? -1 : 1) * (Number(match[2]) * 100 + Number(match[3]));
}

describe('the board space', () => {
  let page: Page;

  it('shows every member with its total, the totals, and the charts with their tables', async () => {
    expect(expected.members).toHaveLength(3);
    page = await pageAs('board_member');
    expect(new URL(page.url()).pathname).toBe('/comite');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Espace du comité syndical');
    const table = tableOf(page);
    for (const m of expected.members) {
      const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: m.name, exact: true }) });
      await expect(row.count()).resolves.toBe(1);
      await expect(row.getByRole('cell').nth(5).textContent()).resolves.toBe(euros(m.totalCents));
    }
    const totalRow = table.locator('tfoot tr');
    await expect(totalRow.getByRole('cell').nth(5).textContent()).resolves.toBe(euros(expected.totals.totalCents));
    // The shares add up to the lines' amounts: the engine splits exactly.
    expect(expected.totals.sharedCents).toBe(1_234_567_89 + 250_000_01 + 30_000_00);

    // A chart by budget line, named, drawn, with the same figures in a visible table next to it.
    const chart = page.getByRole('img', { name: `Graphique : montant de chaque ligne du budget en ${year}` });
    await chart.waitFor();
    await chart.locator('svg .lc-bar').first().waitFor();
    await expect(chart.locator('svg .lc-bar').count()).resolves.toBe(expected.lines.length);
    const lines = page.getByRole('table', { name: `Lignes du budget ${year}, leur clé de répartition et leur montant` });
    await expect(lines.getByRole('row', { name: /Support et assistance/ }).textContent()).resolves.toContain('70\u00a0% population + 30\u00a0% agents');
    await expect(lines.getByRole('row', { name: /Support et assistance/ }).textContent()).resolves.toContain(euros(250_000_01));
    await page.getByRole('img', { name: `Graphique : euros par habitant selon la strate de population en ${year}` }).waitFor();
    await page.getByRole('img', { name: `Graphique : total des contributions de ${year - 4} à ${year}` }).waitFor();
    const trend = page.getByRole('table', { name: `Contributions par année, de ${year - 4} à ${year}` });
    await expect(trend.getByRole('row', { name: new RegExp(`^${year - 1}`) }).textContent()).resolves.toContain(euros(900_000_00));

    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('sorts the table by total, both ways, and searches by name and INSEE code, through the address', async () => {
    const byTotal = [...expected.members].sort((a, b) => a.totalCents - b.totalCents).map((m) => m.name);
    await Promise.all([page.waitForURL(/tri=total/), tableOf(page).getByRole('link', { name: 'Total', exact: true }).click()]);
    expect(await rowNames(page)).toEqual(byTotal);
    await expect(tableOf(page).getByRole('columnheader', { name: /^Total/ }).getAttribute('aria-sort')).resolves.toBe('ascending');
    await Promise.all([page.waitForURL(/ordre=desc/), tableOf(page).getByRole('link', { name: /^Total/ }).click()]);
    expect(await rowNames(page)).toEqual([...byTotal].reverse());

    const second = expected.members.find((m) => m.name === tenant.members[1]!.name)!;
    await page.getByLabel('Rechercher un membre').fill(second.name.toUpperCase());
    await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: 'Rechercher' }).click()]);
    expect(await rowNames(page)).toEqual([second.name]);
    expect(new URL(page.url()).searchParams.get('tri')).toBe('total'); // the sort is kept
    await page.goto(`${webUrl()}/comite?annee=${year}&q=${tenant.members[2]!.inseeCode}`);
    expect(await rowNames(page)).toEqual([tenant.members[2]!.name]);
  });

  it("opens a member's breakdown: its share of each line, its total, its trend", async () => {
    const member = expected.members.find((m) => m.name === tenant.members[2]!.name)!;
    await page.goto(`${webUrl()}/comite?annee=${year}`);
    await Promise.all([page.waitForURL(`**/comite/membre/${member.memberId}?annee=${year}`), tableOf(page).getByRole('link', { name: member.name, exact: true }).click()]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`${member.name} — contribution ${year}`);
    const board = tenant.caller((await tenant.openSession('board_member')).actor).caller;
    const detail = (await board.costs.allocation({ year, memberId: member.memberId })).members[0]! as MemberAllocation;
    const shares = page.getByRole('table', { name: `Sa part de chaque ligne du budget en ${year}` });
    for (const line of expected.lines) {
      const share = detail.lines!.find((l) => l.lineId === line.id)!.cents;
      await expect(shares.getByRole('row', { name: new RegExp(`^${line.label}`) }).getByRole('cell').last().textContent()).resolves.toBe(euros(share));
    }
    await expect(page.getByText(`${member.days} jours sur ${expected.daysInYear}`).count()).resolves.toBe(1);
    expect(member.days).toBeLessThan(expected.daysInYear); // joined on 1 March
    await page.getByRole('img', { name: `Graphique : contribution de ${member.name} de ${year - 4} à ${year}` }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('downloads the CSV: BOM, semicolons, decimal comma, a totals row equal to the sum of the rows', async () => {
    await page.goto(`${webUrl()}/comite?annee=${year}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Tableau des contributions ${year} (CSV, tableur)` }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const text = (await bytesOf(download)).toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const rows = text.slice(1).split('\r\n').filter(Boolean).map((line) => line.split(';'));
    expect(rows[0]![0]).toBe('Membre');
    const totalColumn = rows[0]!.indexOf('Total (€)');
    const body = rows.slice(1, -1);
    expect(body.map((r) => r[0]).sort()).toEqual(expected.members.map((m) => m.name).sort());
    for (const m of expected.members) expect(cents(body.find((r) => r[0] === m.name)![totalColumn]!)).toBe(m.totalCents);
    const totals = rows.at(-1)!;
    expect(totals[0]).toBe('Total');
    expect(cents(totals[totalColumn]!)).toBe(body.reduce((s, r) => s + cents(r[totalColumn]!), 0));
    expect(cents(totals[totalColumn]!)).toBe(expected.totals.totalCents);
  });

  it('downloads the PDF annex to the deliberation', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Annexe à la délibération ${year} (PDF)` }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    expect((await bytesOf(download)).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});

describe('without JavaScript', () => {
  it('the table sorts and searches from the address, and the charts leave their tables', async () => {
    const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    contexts.push(context);
    const page = await context.newPage();
    await loginThroughForm(page, tenant.users.board_member.email, tenant.password);
    await page.goto(`${webUrl()}/comite?annee=${year}&tri=population&ordre=desc`);
    const byPopulation = [...expected.members].sort((a, b) => b.population - a.population).map((m) => m.name);
    expect(await rowNames(page)).toEqual(byPopulation);
    await page.getByLabel('Rechercher un membre').fill(tenant.members[0]!.name);
    await Promise.all([page.waitForURL(/q=/), page.getByRole('button', { name: 'Rechercher' }).click()]);
    expect(await rowNames(page)).toEqual([tenant.members[0]!.name]);
    expect(new URL(page.url()).searchParams.get('tri')).toBe('population');
    await expect(page.getByRole('table', { name: `Lignes du budget ${year}, leur clé de répartition et leur montant` }).getByRole('row').count()).resolves.toBe(expected.lines.length + 1);
  });
});

describe('who reaches the board space', () => {
  it('finance reaches it from its navigation ("Coûts partagés"), an operator gets "not found"', async () => {
    const finance = await pageAs('syndicate_finance');
    await Promise.all([finance.waitForURL('**/comite'), finance.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Coûts partagés' }).click()]);
    await expect(tableOf(finance).locator('tfoot tr').getByRole('cell').nth(5).textContent()).resolves.toBe(euros(expected.totals.totalCents));
    const operator = await pageAs('syndicate_operator');
    await expect(operator.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Coûts partagés' }).count()).resolves.toBe(0);
    expect((await operator.goto(`${webUrl()}/comite`))?.status()).toBe(404);
    expect((await operator.goto(`${webUrl()}/comite/export?annee=${year}&format=csv`))?.status()).toBe(404);
  });
});
