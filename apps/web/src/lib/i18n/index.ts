import { en } from './en.ts';
import { fr, type Messages } from './fr.ts';

export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export type { Messages };

const catalogs: Record<Locale, Messages> = { fr, en };

export function messages(locale: Locale): Messages {
  return catalogs[locale];
}

/**
 * The language the user chose (cookie set by the language button), else French. French first:
 * a browser configured in English does not switch a town hall's interface by itself.
 */
export function pickLocale(cookie: string | undefined): Locale {
  return cookie === 'en' ? 'en' : 'fr';
}

/** Numbers and dates the French way (or English), in Paris time. */
export function formatNumber(locale: Locale, n: number): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB').format(n);
}
export function formatDate(locale: Locale, d: Date | string): string {
  return new Intl.DateTimeFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(new Date(d));
}
