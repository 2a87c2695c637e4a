import { describeKey, type AllocationKey, type SimpleKey } from '@mutualis/contracts';
import type { Locale } from './i18n/index.ts';

/** Basis points as a percentage the way a person reads and types it: 7000 → "70", 1250 → "12,5". */
export function basisPointsToPercent(locale: Locale, basisPoints: number): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 2, useGrouping: false }).format(basisPoints / 100);
}

/**
 * A percentage typed by a person ("70", "12,5", "-5", "33.33 %") to basis points, exactly (no
 * floating point): null when it is not a number with at most two decimals.
 */
export function parsePercent(input: string): number | null {
  const text = input.replace(/[\s\u00a0\u202f%]/g, '');
  const match = /^([+-]?)(\d{1,6})(?:[.,](\d{1,2}))?$/.exec(text);
  if (!match) return null;
  const value = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' ? -value : value;
}

/**
 * An allocation key in words, the same on every page and in the deliberation's annex (the
 * contracts' `describeKey`): "population", "70 % population + 30 % agents", with the catalog's
 * name of a usage key's offering where `offeringNames` has it.
 */
export function keyInWords(locale: Locale, key: AllocationKey, offeringNames: Record<string, string> = {}): string {
  return describeKey(key, locale, (slug) => offeringNames[slug]);
}

/** How many rows the key builder offers for a mix (the contract allows 2 to 5 keys). */
export const MIX_ROWS = 5;

/** A saved key as the key builder's field values under `prefix`, to edit it. */
export function keyToValues(locale: Locale, key: AllocationKey, prefix: string): Record<string, string> {
  const values: Record<string, string> = { [`${prefix}.kind`]: key.kind };
  const simple = (k: SimpleKey, at: string) => {
    values[`${at}.kind`] = k.kind;
    if (k.kind === 'usage') { values[`${at}.offering`] = k.offering; values[`${at}.metric`] = k.metric; }
  };
  if (key.kind === 'mix') {
    key.parts.forEach((p, i) => { simple(p.key, `${prefix}.mix.${i}`); values[`${prefix}.mix.${i}.percent`] = basisPointsToPercent(locale, p.basisPoints); });
  } else simple(key, prefix);
  return values;
}
