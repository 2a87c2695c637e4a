/**
 * Prorata temporis: how many days of a year a member belonged to the syndicate, from its cost
 * shares (`cost_shares`: a first day and, once it leaves, a last day, both included). Calendar
 * dates only ('YYYY-MM-DD'), counted in UTC days: no time zone can move a day.
 */
export interface MembershipSpan { startsOn: string; endsOn: string | null }

const DAY_MS = 86_400_000;
const dayNumber = (date: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new Error(`Not a calendar date: ${date}`);
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
};

/** 365, or 366 in a leap year. */
export function daysInYear(year: number): number {
  return dayNumber(`${year + 1}-01-01`) - dayNumber(`${year}-01-01`);
}

/** Days of `year` covered by the spans (overlapping spans count once). */
export function membershipDays(year: number, spans: readonly MembershipSpan[]): number {
  const first = dayNumber(`${year}-01-01`);
  const last = dayNumber(`${year}-12-31`);
  const covered = new Set<number>();
  for (const span of spans) {
    const from = Math.max(first, dayNumber(span.startsOn));
    const to = Math.min(last, span.endsOn === null ? last : dayNumber(span.endsOn));
    for (let d = from; d <= to; d++) covered.add(d);
  }
  return covered.size;
}
