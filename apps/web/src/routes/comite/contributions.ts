import type { MemberAllocation } from '@mutualis/contracts';

/** The sortable columns of the table of contributions, by their name in the address (`?tri=`). */
export const SORT_COLUMNS = {
  nom: (m: MemberAllocation) => m.name,
  insee: (m: MemberAllocation) => m.inseeCode ?? '',
  population: (m: MemberAllocation) => m.population,
  jours: (m: MemberAllocation) => m.days,
  mutualise: (m: MemberAllocation) => m.sharedCents,
  carte: (m: MemberAllocation) => m.aLaCarteCents,
  total: (m: MemberAllocation) => m.totalCents,
  habitant: (m: MemberAllocation) => m.perInhabitantCents,
  agent: (m: MemberAllocation) => m.perAgentCents,
  evolution: (m: MemberAllocation) => m.changeCents,
  economies: (m: MemberAllocation) => m.savingsCents,
} as const;
export type SortColumn = keyof typeof SORT_COLUMNS;
export type SortOrder = 'asc' | 'desc';

export const PAGE_SIZE = 50;

export interface TableQuery { sort: SortColumn; order: SortOrder; search: string; page: number }

/** The table's state from the address; anything unknown falls back to the default (by name, A to Z, page 1). */
export function tableQuery(params: URLSearchParams): TableQuery {
  const tri = params.get('tri') ?? '';
  const sort: SortColumn = tri in SORT_COLUMNS ? (tri as SortColumn) : 'nom';
  const order: SortOrder = params.get('ordre') === 'desc' ? 'desc' : 'asc';
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  return { sort, order, search: (params.get('q') ?? '').trim().slice(0, 100), page: Number.isFinite(page) && page > 0 ? page : 1 };
}

/** Lower case without accents or punctuation: "Saint-Étienne" matches "saint etienne". */
const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

/** The members matching the search (name or INSEE code), sorted (empty values last, ties by name), and the page asked for. */
export function contributionsPage(members: readonly MemberAllocation[], q: TableQuery) {
  const needle = fold(q.search);
  const matching = needle ? members.filter((m) => fold(m.name).includes(needle) || (m.inseeCode ?? '').startsWith(q.search.replace(/\s/g, ''))) : [...members];
  const value = SORT_COLUMNS[q.sort];
  const sign = q.order === 'asc' ? 1 : -1;
  matching.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? collator.compare(a.name, b.name) : va === null ? 1 : -1;
    const byValue = typeof va === 'string' ? collator.compare(va, vb as string) : va - (vb as number);
    return byValue !== 0 ? sign * byValue : collator.compare(a.name, b.name);
  });
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const page = Math.min(q.page, pages);
  return { rows: matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), matching: matching.length, page, pages };
}

/** The current year in Paris (the syndicate's budget year). */
export function currentYear(now = new Date()): number {
  return Number(new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', year: 'numeric' }).format(now));
}

/** `?annee=` when it is a plausible budget year, else the current one. */
export function yearParam(params: URLSearchParams): number {
  const year = Number(params.get('annee'));
  return Number.isInteger(year) && year >= 2000 && year <= 2200 ? year : currentYear();
}

export { formatWholeEuros } from '#lib/money.ts';

/** A change in cents with its sign: "+1 234,56 €", "−12,00 €", "0,00 €". */
export function formatChange(locale: 'fr' | 'en', cents: number): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: 'EUR', signDisplay: 'exceptZero' }).format(cents / 100);
}

/** A change as a percentage of the previous amount, one decimal: "+3,2 %"; null without a previous amount. */
export function formatChangePercent(locale: 'fr' | 'en', cents: number, previousCents: number | null): string | null {
  if (!previousCents) return null;
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(cents / previousCents);
}
