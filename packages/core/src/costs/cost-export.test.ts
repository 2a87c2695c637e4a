import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { describeKey, sizeBandOf, type Allocation, type MemberAllocation } from '@mutualis/contracts';
import { allocationCsv, allocationPdf, centsToDecimalComma } from './cost-export.ts';

function member(i: number, over: Partial<MemberAllocation> = {}): MemberAllocation {
  const population = 300 + i * 137;
  const sharedCents = 100_000 + i * 4_321;
  const aLaCarteCents = i % 3 === 0 ? 0 : 25_000 + i * 7;
  const totalCents = sharedCents + aLaCarteCents;
  const previousTotalCents = i % 4 === 0 ? null : totalCents - 1_234 * (i % 5) + 17;
  return {
    memberId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `Commune n°${i} — Saint-Étienne-lès-Œuvres`,
    kind: 'commune', inseeCode: String(1000 + i).padStart(5, '0'), siren: String(210_000_000 + i), population, agentCount: 3 + (i % 40),
    sizeBand: sizeBandOf(population), days: 365, sharedCents, aLaCarteCents, totalCents,
    perInhabitantCents: Math.round(totalCents / population), perAgentCents: Math.round(totalCents / (3 + (i % 40))),
    previousTotalCents, changeCents: previousTotalCents === null ? null : totalCents - previousTotalCents,
    standaloneCents: aLaCarteCents ? aLaCarteCents + 9_999 : 0, savingsCents: aLaCarteCents ? 9_999 : 0,
    ...over,
  };
}

function allocation(members: MemberAllocation[]): Allocation {
  const sum = (pick: (m: MemberAllocation) => number) => members.reduce((s, m) => s + pick(m), 0);
  return {
    year: 2026, daysInYear: 365, scope: 'all', publishedToMembers: false,
    lines: [
      { id: 'a', label: 'Infrastructure et hébergement', amountCents: 12_345_678, key: { kind: 'population' }, allocatedCents: 12_345_678, problem: null },
      { id: 'b', label: 'Support', amountCents: 500_000, key: { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] }, allocatedCents: 500_000, problem: null },
      { id: 'c', label: 'Sauvegarde', amountCents: 80_000, key: { kind: 'usage', offering: 'sauvegarde', metric: 'storage_bytes' }, allocatedCents: 0, problem: 'aucun membre ne l’utilise' },
    ],
    offerings: [{ id: 'o', slug: 'sauvegarde', nameFr: 'Sauvegarde externalisée', nameEn: 'Off-site backup', cents: 0, standaloneCents: null, subscriptions: 0 }],
    totals: {
      members: members.length, population: sum((m) => m.population), agentCount: sum((m) => m.agentCount), sharedCents: sum((m) => m.sharedCents),
      aLaCarteCents: sum((m) => m.aLaCarteCents), totalCents: sum((m) => m.totalCents), previousTotalCents: null,
      standaloneCents: sum((m) => m.standaloneCents), savingsCents: sum((m) => m.savingsCents),
    },
    bands: [],
    members,
  };
}

/** Euros with a decimal comma back to integer cents, exactly. */
const cents = (cell: string) => {
  const match = /^(-?)(\d+),(\d{2})$/.exec(cell);
  if (!match) throw new Error(`not an amount: ${cell}`);
  return (match[1] ? -1 : 1) * (Number(match[2]) * 100 + Number(match[3]));
};

/** The text an uncompressed PDF shows: the strings of its TJ operators (WinAnsi hex), one per line drawn. */
function pdfLines(pdf: Uint8Array): string[] {
  const raw = new TextDecoder('latin1').decode(pdf);
  const decoder = new TextDecoder('windows-1252');
  return [...raw.matchAll(/\[((?:<[0-9a-fA-F]*>\s*-?[\d.]*\s*)+)\]\s*TJ/g)].map((m) =>
    [...m[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => decoder.decode(Uint8Array.from(h[1]!.match(/../g) ?? [], (b) => parseInt(b, 16)))).join(''));
}
const pageCount = (pdf: Uint8Array) => new TextDecoder('latin1').decode(pdf).match(/\/Type \/Page\b(?!s)/g)?.length ?? 0;

describe('allocationCsv', () => {
  const members = [member(1), member(2, { name: '=HYPERLINK("x")', changeCents: -123_456, previousTotalCents: 999_999 }), member(3), member(4)];

  it('is French CSV: BOM, semicolons, CRLF, amounts with a decimal comma that parse back to the exact cents', () => {
    const csv = allocationCsv(allocation(members), 'fr');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(members.length + 2);
    expect(csv).not.toMatch(/[^\r]\n/);
    const rows: string[][] = parse(csv.slice(1), { delimiter: ';', record_delimiter: '\r\n' });
    expect(rows[0]).toEqual(['Membre', 'Code INSEE', 'SIREN', 'Population', 'Agents', "Jours d'adhésion", 'Part mutualisée (€)', 'Part à la carte (€)', 'Total (€)',
      '€ par habitant', '€ par agent', 'Total année précédente (€)', 'Évolution (€)', 'Économies de la mutualisation (€)']);
    members.forEach((m, i) => {
      const row = rows[i + 1]!;
      expect(row[1]).toBe(m.inseeCode);
      expect(row[2]).toBe(m.siren);
      expect(Number(row[3])).toBe(m.population);
      expect(cents(row[6]!)).toBe(m.sharedCents);
      expect(cents(row[7]!)).toBe(m.aLaCarteCents);
      expect(cents(row[8]!)).toBe(m.totalCents);
      expect(cents(row[9]!)).toBe(m.perInhabitantCents);
      expect(row[11] === '' ? null : cents(row[11]!)).toBe(m.previousTotalCents);
      expect(row[12] === '' ? null : cents(row[12]!)).toBe(m.changeCents);
      expect(cents(row[13]!)).toBe(m.savingsCents);
    });
    expect(rows[2]![0]).toBe(`'=HYPERLINK("x")`); // a formula-looking name stays text
    expect(rows[2]![12]).toBe('-1234,56'); // a fall keeps its minus sign (not neutralised)
    const totals = rows.at(-1)!;
    expect(totals[0]).toBe('Total');
    for (const [col, pick] of [[6, (m: MemberAllocation) => m.sharedCents], [7, (m: MemberAllocation) => m.aLaCarteCents], [8, (m: MemberAllocation) => m.totalCents],
      [13, (m: MemberAllocation) => m.savingsCents]] as const) {
      expect(cents(totals[col]!)).toBe(members.reduce((s, m) => s + pick(m), 0));
      expect(cents(totals[col]!)).toBe(rows.slice(1, -1).reduce((s, r) => s + cents(r[col]!), 0));
    }
    expect(Number(totals[3])).toBe(members.reduce((s, m) => s + m.population, 0));
  });

  it('has English headers in English, the same French numbers', () => {
    const csv = allocationCsv(allocation(members), 'en');
    const rows: string[][] = parse(csv.slice(1), { delimiter: ';' });
    expect(rows[0]![0]).toBe('Member');
    expect(rows[0]![13]).toBe('Savings from pooling (€)');
    expect(rows[1]![8]).toBe(centsToDecimalComma(members[0]!.totalCents));
  });

  it('writes cents with a comma and no thousands separator', () => {
    expect(centsToDecimalComma(123_456)).toBe('1234,56');
    expect(centsToDecimalComma(5)).toBe('0,05');
    expect(centsToDecimalComma(-5)).toBe('-0,05');
    expect(centsToDecimalComma(123_456_789_00)).toBe('123456789,00');
  });
});

describe('describeKey', () => {
  it('puts a key in words', () => {
    expect(describeKey({ kind: 'population' }, 'fr')).toBe('population');
    expect(describeKey({ kind: 'equal' }, 'fr')).toBe('parts égales');
    expect(describeKey({ kind: 'equal' }, 'en')).toBe('equal shares');
    expect(describeKey({ kind: 'usage', offering: 'sso', metric: 'users' }, 'fr', (s) => (s === 'sso' ? 'Authentification unique' : undefined)))
      .toBe('usage de « Authentification unique » (utilisateurs)');
    expect(describeKey({ kind: 'usage', offering: 'sso', metric: 'users' }, 'en')).toBe('usage of “sso” (users)');
    expect(describeKey({ kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] }, 'fr'))
      .toBe('70\u00a0% population + 30\u00a0% agents');
    expect(describeKey({ kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 3333 }, { key: { kind: 'equal' }, basisPoints: 6667 }] }, 'en'))
      .toBe('33.33% population + 66.67% equal shares');
  });
});

describe('allocationPdf', () => {
  it('is a PDF with the title, the lines and their keys in words, the members and the totals', async () => {
    const members = [member(1), member(2), member(3)];
    const pdf = await allocationPdf(allocation(members), { syndicateName: 'SIVU Informatique du Rhône', locale: 'fr', generatedAt: new Date('2026-11-24T09:30:00Z'), compress: false });
    expect(new TextDecoder('latin1').decode(pdf.slice(0, 5))).toBe('%PDF-');
    const lines = pdfLines(pdf);
    expect(lines).toContain('Annexe à la délibération — Répartition des contributions 2026');
    expect(lines).toContain('Syndicat\u00a0: SIVU Informatique du Rhône');
    expect(lines).toContain('70\u00a0% population + 30\u00a0% agents');
    expect(lines).toContain('usage de « Sauvegarde externalisée » (stockage)');
    expect(lines).toContain('Non répartie : aucun membre ne l’utilise');
    expect(lines).toContain('123\u00a0456,78\u00a0€');
    // A long name wraps in its cell: its lines follow one another.
    const squeezed = lines.join('').replace(/\s/g, '');
    for (const m of members) expect(squeezed).toContain(m.name.replace(/\s/g, ''));
    const total = members.reduce((s, m) => s + m.totalCents, 0);
    expect(lines).toContain(new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(total / 100).replace(/\u202f/g, '\u00a0'));
    expect(lines).toContain('Document généré le 2026-11-24 10:30 (heure de Paris).');
    expect(pageCount(pdf)).toBe(1);
  });

  it('runs over as many pages as 500 members need, with the header on each page and every member once', async () => {
    const members = Array.from({ length: 500 }, (_, i) => member(i + 1, { name: `Commune ${String(i + 1).padStart(3, '0')}` }));
    const pdf = await allocationPdf(allocation(members), { syndicateName: 'Syndicat test', locale: 'fr', generatedAt: new Date('2026-11-24T09:30:00Z'), compress: false });
    expect(new TextDecoder('latin1').decode(pdf.slice(0, 5))).toBe('%PDF-');
    const pages = pageCount(pdf);
    const lines = pdfLines(pdf);
    // One line of 8 pt text and its padding per member: at most about 50 on an A4 page.
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(500 / 55));
    expect(lines).toContain(`Syndicat test — Exercice 2026 — Page ${pages} / ${pages}`);
    for (let p = 1; p <= pages; p++) expect(lines).toContain(`Syndicat test — Exercice 2026 — Page ${p} / ${pages}`);
    // Each page's content stream: every page holding member rows starts them under the header.
    const raw = new TextDecoder('latin1').decode(pdf);
    const perPage = [...raw.matchAll(/stream\n([\s\S]*?)\nendstream/g)].map((m) => pdfLines(new TextEncoder().encode(m[1]!.replace(/[^\x00-\x7f]/g, '')))).filter((l) => l.some((t) => t.includes(' — Page ')));
    expect(perPage).toHaveLength(pages);
    const withRows = perPage.filter((l) => l.some((t) => /^Commune \d{3}$/.test(t)));
    expect(withRows.length).toBeGreaterThanOrEqual(pages - 1);
    for (const page of withRows) expect(page.indexOf('Membre')).toBeGreaterThanOrEqual(0);
    for (const page of withRows) expect(page.indexOf('Membre')).toBeLessThan(page.findIndex((t) => /^Commune \d{3}$/.test(t)));
    for (const m of members) expect(lines.filter((l) => l === m.name)).toHaveLength(1);
    expect(lines).toContain('Annexe à la délibération — Répartition des contributions 2026');
  });

  it('compresses by default', async () => {
    const pdf = await allocationPdf(allocation([member(1)]), { syndicateName: 'S', locale: 'en', generatedAt: new Date('2026-01-01T00:00:00Z') });
    expect(new TextDecoder('latin1').decode(pdf.slice(0, 5))).toBe('%PDF-');
    expect(new TextDecoder('latin1').decode(pdf)).toContain('/FlateDecode');
  });
});
