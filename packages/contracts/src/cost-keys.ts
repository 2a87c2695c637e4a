import type { AllocationKey, SimpleKey } from './costs.schema.ts';

type KeyLocale = 'fr' | 'en';

const METRIC_WORDS: Record<KeyLocale, Record<string, string>> = {
  fr: { users: 'utilisateurs', seats: 'postes', storage_bytes: 'stockage', inhabitants: 'habitants' },
  en: { users: 'users', seats: 'seats', storage_bytes: 'storage', inhabitants: 'inhabitants' },
};

/** Basis points as a percentage the locale's way: 7000 → "70 %" (fr, no-break space) or "70%" (en); 3333 → "33,33 %". */
export function formatBasisPoints(basisPoints: number, locale: KeyLocale): string {
  const percent = new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 2 }).format(basisPoints / 100);
  return locale === 'fr' ? `${percent}\u00a0%` : `${percent}%`;
}

function describeSimple(key: SimpleKey, locale: KeyLocale, offeringName: (slug: string) => string | undefined): string {
  switch (key.kind) {
    case 'population': return 'population';
    case 'agents': return 'agents';
    case 'equal': return locale === 'fr' ? 'parts égales' : 'equal shares';
    case 'usage': {
      const name = offeringName(key.offering) ?? key.offering;
      const metric = METRIC_WORDS[locale][key.metric] ?? key.metric;
      return locale === 'fr' ? `usage de « ${name} » (${metric})` : `usage of “${name}” (${metric})`;
    }
  }
}

/**
 * An allocation key in words, for the board's pages and the deliberation's annex: "population",
 * "parts égales", "usage de « Sauvegarde » (stockage)", "70 % population + 30 % agents".
 * `offeringName` turns an offering's short id into its name where the caller knows it.
 */
export function describeKey(key: AllocationKey, locale: KeyLocale, offeringName: (slug: string) => string | undefined = () => undefined): string {
  if (key.kind === 'mix') {
    return key.parts.map((part) => `${formatBasisPoints(part.basisPoints, locale)} ${describeSimple(part.key, locale, offeringName)}`).join(' + ');
  }
  return describeSimple(key, locale, offeringName);
}
