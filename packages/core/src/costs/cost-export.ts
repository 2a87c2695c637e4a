/**
 * The board's exports of a year's split (issue 6): the table of members' contributions as a CSV a
 * French spreadsheet opens as is, and the PDF annex the board attaches to its deliberation.
 * Pure functions of an `Allocation` (the engine computes it; nothing here reads the database).
 */
import { stringify } from 'csv-stringify/sync';
import PDFDocument from 'pdfkit';
import { describeKey, type Allocation, type MemberAllocation } from '@mutualis/contracts';
import { neutraliseFormula, parisDateTime } from '../offboarding/member-archive.ts';

export type ExportLocale = 'fr' | 'en';

/** Integer cents as a decimal with a comma and no thousands separator: 123456 → "1234,56", -5 → "-0,05". */
export function centsToDecimalComma(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)},${String(abs % 100).padStart(2, '0')}`;
}

const perUnit = (cents: number, units: number) => (units > 0 ? Math.round(cents / units) : null);

/** The totals row: the sums of the rows shown, so that a spreadsheet's own sum of the column agrees with it. */
export interface ContributionTotals {
  population: number; agentCount: number; sharedCents: number; aLaCarteCents: number; totalCents: number;
  perInhabitantCents: number | null; perAgentCents: number | null; previousTotalCents: number | null; changeCents: number | null;
  standaloneCents: number; savingsCents: number;
}

export function contributionTotals(members: readonly MemberAllocation[]): ContributionTotals {
  const sum = (pick: (m: MemberAllocation) => number) => members.reduce((s, m) => s + pick(m), 0);
  const population = sum((m) => m.population);
  const agentCount = sum((m) => m.agentCount);
  const totalCents = sum((m) => m.totalCents);
  const withPrevious = members.filter((m) => m.previousTotalCents !== null);
  const previousTotalCents = withPrevious.length ? withPrevious.reduce((s, m) => s + m.previousTotalCents!, 0) : null;
  const withChange = members.filter((m) => m.changeCents !== null);
  return {
    population, agentCount, sharedCents: sum((m) => m.sharedCents), aLaCarteCents: sum((m) => m.aLaCarteCents), totalCents,
    perInhabitantCents: perUnit(totalCents, population), perAgentCents: perUnit(totalCents, agentCount),
    previousTotalCents, changeCents: withChange.length ? withChange.reduce((s, m) => s + m.changeCents!, 0) : null,
    standaloneCents: sum((m) => m.standaloneCents), savingsCents: sum((m) => m.savingsCents),
  };
}

const CSV_HEADERS: Record<ExportLocale, string[]> = {
  fr: ['Membre', 'Code INSEE', 'SIREN', 'Population', 'Agents', "Jours d'adhésion", 'Part mutualisée (€)', 'Part à la carte (€)', 'Total (€)',
    '€ par habitant', '€ par agent', 'Total année précédente (€)', 'Évolution (€)', 'Économies de la mutualisation (€)'],
  en: ['Member', 'INSEE code', 'SIREN', 'Population', 'Agents', 'Days of membership', 'Shared part (€)', 'À la carte part (€)', 'Total (€)',
    '€ per inhabitant', '€ per agent', 'Previous year total (€)', 'Change (€)', 'Savings from pooling (€)'],
};

const euros = (cents: number | null) => (cents === null ? '' : centsToDecimalComma(cents));

/**
 * The table of members' contributions for a year as French CSV: `;` separator, amounts in euros
 * with a decimal comma and no thousands separator or € sign, UTF-8 with BOM, CRLF line ends; one
 * row per member, then a totals row. Headers in `locale`; numbers stay French (the file is for
 * French spreadsheets). A name a spreadsheet would run as a formula is neutralised.
 */
export function allocationCsv(allocation: Allocation, locale: ExportLocale): string {
  const rows = allocation.members.map((m) => [
    neutraliseFormula(m.name), m.inseeCode ?? '', m.siren ?? '', String(m.population), String(m.agentCount), String(m.days),
    euros(m.sharedCents), euros(m.aLaCarteCents), euros(m.totalCents), euros(m.perInhabitantCents), euros(m.perAgentCents),
    euros(m.previousTotalCents), euros(m.changeCents), euros(m.savingsCents),
  ]);
  const t = contributionTotals(allocation.members);
  const totals = [
    'Total', '', '', String(t.population), String(t.agentCount), '',
    euros(t.sharedCents), euros(t.aLaCarteCents), euros(t.totalCents), euros(t.perInhabitantCents), euros(t.perAgentCents),
    euros(t.previousTotalCents), euros(t.changeCents), euros(t.savingsCents),
  ];
  return stringify([CSV_HEADERS[locale], ...rows, totals], { delimiter: ';', bom: true, record_delimiter: 'windows' });
}

// ---- PDF annex ----

const PDF_WORDS = {
  fr: {
    title: (year: number) => `Annexe à la délibération — Répartition des contributions ${year}`,
    syndicate: 'Syndicat', year: 'Exercice', members: 'Membres', total: 'Total des contributions',
    linesTitle: 'Lignes du budget et clés de répartition', line: 'Ligne', key: 'Clé de répartition', amount: 'Montant',
    notAllocated: (problem: string) => `Non répartie : ${problem}`,
    aLaCarte: 'Services à la carte', aLaCarteNote: 'facturés à chaque membre selon ses abonnements',
    tableTitle: 'Contributions des membres', member: 'Membre', insee: 'INSEE', population: 'Population', days: 'Jours',
    shared: 'Mutualisé', alc: 'À la carte', totalCol: 'Total', perInhabitant: '€ / hab.', change: 'Évolution',
    totalRow: 'Total', summaryTitle: 'Synthèse', sharedPart: 'Part mutualisée', alcPart: 'Part à la carte',
    previous: (year: number) => `Total ${year}`, savings: 'Économies de la mutualisation',
    generated: (at: string) => `Document généré le ${at} (heure de Paris).`, page: (n: number, of: number) => `Page ${n} / ${of}`,
    daysNote: (days: number) => `Les parts mutualisées sont proratisées aux jours d'adhésion dans l'année (${days} jours).`,
  },
  en: {
    title: (year: number) => `Annex to the deliberation — Allocation of contributions ${year}`,
    syndicate: 'Syndicate', year: 'Financial year', members: 'Members', total: 'Total contributions',
    linesTitle: 'Budget lines and allocation keys', line: 'Line', key: 'Allocation key', amount: 'Amount',
    notAllocated: (problem: string) => `Not allocated: ${problem}`,
    aLaCarte: 'À la carte services', aLaCarteNote: 'billed to each member for its subscriptions',
    tableTitle: "Members' contributions", member: 'Member', insee: 'INSEE', population: 'Population', days: 'Days',
    shared: 'Shared', alc: 'À la carte', totalCol: 'Total', perInhabitant: '€ / inh.', change: 'Change',
    totalRow: 'Total', summaryTitle: 'Summary', sharedPart: 'Shared part', alcPart: 'À la carte part',
    previous: (year: number) => `Total ${year}`, savings: 'Savings from pooling',
    generated: (at: string) => `Generated on ${at} (Paris time).`, page: (n: number, of: number) => `Page ${n} / ${of}`,
    daysNote: (days: number) => `Shared parts are prorated to the days of membership in the year (${days} days).`,
  },
} as const;

/**
 * The standard PDF fonts speak WinAnsi: French accents, €, « », — and ’ are there, the narrow
 * no-break space Intl puts in French numbers is not (it becomes a no-break space); anything else
 * outside WinAnsi becomes "?" rather than a wrong glyph.
 */
function pdfText(text: string): string {
  return text.replace(/\u202f/g, '\u00a0').replace(/[^\n\u0020-\u007e\u00a0-\u00ff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/g, '?');
}

function money(locale: ExportLocale, cents: number | null): string {
  if (cents === null) return '—';
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: 'EUR' }).format(cents / 100);
}
const integer = (locale: ExportLocale, n: number) => new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB').format(n);

interface Column { header: string; width: number; align: 'left' | 'right'; cell: (m: MemberAllocation) => string; total: (t: ContributionTotals) => string }

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 40;
const FONT_SIZE = 8;
const CELL_PAD = 3;

/**
 * The PDF annex to the board's deliberation (A4): title, syndicate and year, each budget line with
 * its amount and key in words, the table of members' contributions (over as many pages as needed,
 * header repeated on each), totals, generation date and page numbers. `compress: false` leaves the
 * content streams readable (tests look for the text).
 */
export async function allocationPdf(
  allocation: Allocation,
  meta: { syndicateName: string; locale: ExportLocale; generatedAt: Date; compress?: boolean },
): Promise<Uint8Array> {
  const { locale } = meta;
  const w = PDF_WORDS[locale];
  const doc = new PDFDocument({
    size: 'A4', margin: MARGIN, bufferPages: true, compress: meta.compress ?? true, lang: locale === 'fr' ? 'fr-FR' : 'en-GB',
    info: { Title: w.title(allocation.year), Author: meta.syndicateName, CreationDate: meta.generatedAt },
  });
  const chunks: Uint8Array[] = [];
  doc.on('data', (chunk: Uint8Array) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => { doc.on('end', resolve); doc.on('error', reject); });

  const left = MARGIN;
  const contentWidth = A4.width - 2 * MARGIN;
  const bottom = A4.height - MARGIN - 20; // room for the page number
  const text = (s: string) => pdfText(s);
  const offeringName = (slug: string) => {
    const o = allocation.offerings.find((x) => x.slug === slug);
    return o ? (locale === 'fr' ? o.nameFr : o.nameEn) : undefined;
  };
  const totals = contributionTotals(allocation.members);

  const colon = locale === 'fr' ? '\u00a0: ' : ': ';

  // Title and identity.
  doc.font('Helvetica-Bold').fontSize(15).text(text(w.title(allocation.year)), left, MARGIN, { width: contentWidth });
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  for (const [label, value] of [
    [w.syndicate, meta.syndicateName], [w.year, String(allocation.year)], [w.members, integer(locale, allocation.members.length)],
    [w.total, money(locale, totals.totalCents)],
  ] as const) doc.text(text(`${label}${colon}${value}`), { width: contentWidth });

  /** A table row at the current y; returns its height. Cells wrap within their width. */
  const drawRow = (cells: Array<{ text: string; width: number; align: 'left' | 'right' }>, bold: boolean, measureOnly = false) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(FONT_SIZE);
    const height = Math.max(...cells.map((c) => doc.heightOfString(text(c.text), { width: c.width - 2 * CELL_PAD }))) + 2 * CELL_PAD;
    if (measureOnly) return height;
    const y = doc.y;
    let x = left;
    for (const c of cells) {
      doc.text(text(c.text), x + CELL_PAD, y + CELL_PAD, { width: c.width - 2 * CELL_PAD, align: c.align });
      x += c.width;
    }
    doc.moveTo(left, y + height).lineTo(left + cells.reduce((s, c) => s + c.width, 0), y + height).lineWidth(0.4).strokeColor('#888888').stroke();
    doc.x = left;
    doc.y = y + height;
    return height;
  };

  /** Rows under a header that is drawn again at the top of every page the table runs onto. */
  const drawTable = (header: Array<{ text: string; width: number; align: 'left' | 'right' }>, rows: Array<{ cells: typeof header; bold?: boolean }>) => {
    const drawHeader = () => {
      const y = doc.y;
      const h = drawRow(header, true, true);
      doc.rect(left, y, header.reduce((s, c) => s + c.width, 0), h).fill('#e8ecf2');
      doc.fillColor('#000000');
      doc.y = y;
      drawRow(header, true);
    };
    if (doc.y + drawRow(header, true, true) * 2 > bottom) doc.addPage();
    drawHeader();
    for (const row of rows) {
      if (doc.y + drawRow(row.cells, row.bold ?? false, true) > bottom) {
        doc.addPage();
        drawHeader();
      }
      drawRow(row.cells, row.bold ?? false);
    }
  };

  const heading = (title: string) => {
    doc.x = left;
    doc.moveDown(1);
    if (doc.y + 60 > bottom) doc.addPage();
    doc.font('Helvetica-Bold').fontSize(12).text(text(title), left, doc.y, { width: contentWidth });
    doc.moveDown(0.3);
  };

  // Budget lines with their keys in words.
  heading(w.linesTitle);
  const lineWidths = { label: 200, key: 215, amount: contentWidth - 415 };
  drawTable(
    [{ text: w.line, width: lineWidths.label, align: 'left' }, { text: w.key, width: lineWidths.key, align: 'left' }, { text: w.amount, width: lineWidths.amount, align: 'right' }],
    [
      ...allocation.lines.map((line) => ({
        cells: [
          { text: line.label, width: lineWidths.label, align: 'left' as const },
          { text: describeKey(line.key, locale, offeringName) + (line.problem ? `\n${w.notAllocated(line.problem)}` : ''), width: lineWidths.key, align: 'left' as const },
          { text: money(locale, line.amountCents), width: lineWidths.amount, align: 'right' as const },
        ],
      })),
      {
        cells: [
          { text: w.aLaCarte, width: lineWidths.label, align: 'left' as const },
          { text: w.aLaCarteNote, width: lineWidths.key, align: 'left' as const },
          { text: money(locale, totals.aLaCarteCents), width: lineWidths.amount, align: 'right' as const },
        ],
      },
      {
        bold: true,
        cells: [
          { text: w.totalRow, width: lineWidths.label, align: 'left' as const },
          { text: '', width: lineWidths.key, align: 'left' as const },
          { text: money(locale, allocation.lines.reduce((s, l) => s + l.amountCents, 0) + totals.aLaCarteCents), width: lineWidths.amount, align: 'right' as const },
        ],
      },
    ],
  );
  doc.moveDown(0.5).font('Helvetica').fontSize(FONT_SIZE).text(text(w.daysNote(allocation.daysInYear)), left, doc.y, { width: contentWidth });

  // Members' contributions.
  heading(w.tableTitle);
  const columns: Column[] = [
    { header: w.member, width: 0, align: 'left', cell: (m) => m.name, total: () => w.totalRow },
    { header: w.insee, width: 40, align: 'left', cell: (m) => m.inseeCode ?? '', total: () => '' },
    { header: w.population, width: 50, align: 'right', cell: (m) => integer(locale, m.population), total: (t) => integer(locale, t.population) },
    { header: w.days, width: 30, align: 'right', cell: (m) => String(m.days), total: () => '' },
    { header: w.shared, width: 62, align: 'right', cell: (m) => money(locale, m.sharedCents), total: (t) => money(locale, t.sharedCents) },
    { header: w.alc, width: 62, align: 'right', cell: (m) => money(locale, m.aLaCarteCents), total: (t) => money(locale, t.aLaCarteCents) },
    { header: w.totalCol, width: 66, align: 'right', cell: (m) => money(locale, m.totalCents), total: (t) => money(locale, t.totalCents) },
    { header: w.perInhabitant, width: 44, align: 'right', cell: (m) => money(locale, m.perInhabitantCents), total: (t) => money(locale, t.perInhabitantCents) },
    { header: w.change, width: 62, align: 'right', cell: (m) => money(locale, m.changeCents), total: (t) => money(locale, t.changeCents) },
  ];
  columns[0]!.width = contentWidth - columns.slice(1).reduce((s, c) => s + c.width, 0);
  drawTable(
    columns.map((c) => ({ text: c.header, width: c.width, align: c.align })),
    [
      ...allocation.members.map((m) => ({ cells: columns.map((c) => ({ text: c.cell(m), width: c.width, align: c.align })) })),
      { bold: true, cells: columns.map((c) => ({ text: c.total(totals), width: c.width, align: c.align })) },
    ],
  );

  // Summary and date.
  heading(w.summaryTitle);
  doc.font('Helvetica').fontSize(10);
  for (const [label, cents] of [
    [w.sharedPart, totals.sharedCents], [w.alcPart, totals.aLaCarteCents], [w.total, totals.totalCents],
    [w.previous(allocation.year - 1), totals.previousTotalCents], [w.savings, totals.savingsCents],
  ] as const) doc.text(text(`${label}${colon}${money(locale, cents)}`), left, doc.y, { width: contentWidth });
  doc.moveDown(1).fontSize(FONT_SIZE).text(text(w.generated(parisDateTime(meta.generatedAt).slice(0, 16))), left, doc.y, { width: contentWidth });

  // Page numbers, once the number of pages is known.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const margins = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing under the bottom margin would otherwise open a new page
    doc.font('Helvetica').fontSize(FONT_SIZE).fillColor('#444444')
      .text(text(`${meta.syndicateName} — ${w.year} ${allocation.year} — ${w.page(i + 1, range.count)}`), left, A4.height - MARGIN - 8, { width: contentWidth, align: 'center', lineBreak: false });
    doc.page.margins.bottom = margins;
  }
  doc.end();
  await ended;
  const size = chunks.reduce((s, c) => s + c.length, 0);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) { bytes.set(c, offset); offset += c.length; }
  return bytes;
}
