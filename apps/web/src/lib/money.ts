import type { Locale } from './i18n/index.ts';

/** An amount in integer cents, as euros the French way (1 234,56 €) or the English one. */
export function formatCents(locale: Locale, cents: number): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: 'EUR' }).format(cents / 100);
}

/** Whole euros for a chart's axis: 1 234 € (the tables next to the charts give the cents). */
export function formatWholeEuros(locale: 'fr' | 'en', cents: number): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 }).format(cents / 100);
}

/**
 * Euros typed by a person ("12", "12,5", "1 234,56", "0.05") to integer cents, exactly (no
 * floating point): null when it is not an amount with at most two decimals.
 */
export function parseEuros(input: string): number | null {
  const text = input.replace(/[\s\u00a0\u202f€]/g, '');
  const match = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** Cents as the euros a person would type back into a field (1234 → "12,34"). */
export function centsToInput(cents: number): string {
  return `${Math.floor(cents / 100)},${String(cents % 100).padStart(2, '0')}`;
}

export interface Rates { annualFixedCents: number; perUserCents: number; perGbCents: number; perInhabitantCents: number }
export interface Quantities { seats: number; storageGb: number; population: number }

/** The yearly price for quantities, in cents (the API's formula: fixed + seats, GB and inhabitants at their rates). */
export function annualCents(rates: Rates, q: Quantities): number {
  return rates.annualFixedCents + q.seats * rates.perUserCents + q.storageGb * rates.perGbCents + q.population * rates.perInhabitantCents;
}

interface PriceWords {
  fixed: string;
  free: string;
  users: string;
  gb: string;
  inhabitants: string;
  perUser: (amount: string) => string;
  perGb: (amount: string) => string;
  perInhabitant: (amount: string) => string;
  times: (amount: string, n: string, what: string) => string;
}

/** A plan's rates in words: "24,00 € par utilisateur · 1,20 € par Go stocké". */
export function describeRates(words: PriceWords, locale: Locale, rates: Rates): string {
  const f = (c: number) => formatCents(locale, c);
  const parts = [
    rates.annualFixedCents ? `${f(rates.annualFixedCents)} (${words.fixed})` : null,
    rates.perUserCents ? words.perUser(f(rates.perUserCents)) : null,
    rates.perGbCents ? words.perGb(f(rates.perGbCents)) : null,
    rates.perInhabitantCents ? words.perInhabitant(f(rates.perInhabitantCents)) : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(' · ') : words.free;
}

/** How a yearly price is computed for quantities: "600,00 € (forfait annuel) + 0,05 € × 1 000 habitants". */
export function describeComputation(words: PriceWords, locale: Locale, rates: Rates, q: Quantities): string {
  const f = (c: number) => formatCents(locale, c);
  const n = (x: number) => new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB').format(x);
  const parts = [
    rates.annualFixedCents ? `${f(rates.annualFixedCents)} (${words.fixed})` : null,
    rates.perUserCents ? words.times(f(rates.perUserCents), n(q.seats), words.users) : null,
    rates.perGbCents ? words.times(f(rates.perGbCents), n(q.storageGb), words.gb) : null,
    rates.perInhabitantCents ? words.times(f(rates.perInhabitantCents), n(q.population), words.inhabitants) : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(' + ') : words.free;
}
