/** The current year in Paris (a budget year is a calendar year of the syndicate). */
export function parisYear(): number {
  return Number(new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Paris' }).slice(0, 4));
}

/** The year a cost page shows: `?annee=` when it is a plausible budget year, else this year. */
export function yearOf(url: URL): number {
  const asked = url.searchParams.get('annee') ?? '';
  return /^\d{4}$/.test(asked) && Number(asked) >= 2000 && Number(asked) <= 2200 ? Number(asked) : parisYear();
}
