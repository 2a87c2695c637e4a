import { basisPointsToPercent, MIX_ROWS, parsePercent } from '#lib/cost-keys.ts';
import type { Locale, Messages } from '#lib/i18n/index.ts';

const SIMPLE_KINDS = ['population', 'agents', 'equal', 'usage'] as const;

export interface KeyFromForm {
  /** what goes to the API (validated there by `allocationKeySchema`), or null when the form itself is wrong */
  key: unknown;
  /** every key field as typed, by form name, to show the form again */
  values: Record<string, string>;
  /** errors found before the call, by form name */
  fields: Record<string, string>;
  /** which mix row each part of the key came from (empty rows are skipped) */
  rowOfPart: number[];
}

/** The form names of the key builder's fields under `prefix` (see `allocation-key-fields.svelte`). */
export function keyFieldNames(prefix: string): string[] {
  return [`${prefix}.kind`, `${prefix}.offering`, `${prefix}.metric`,
    ...Array.from({ length: MIX_ROWS }, (_, i) => ['kind', 'offering', 'metric', 'percent'].map((f) => `${prefix}.mix.${i}.${f}`)).flat()];
}

/**
 * Reads the key builder's fields: a simple key, or a mix of the rows that have a key (empty rows
 * are ignored) with their percentages as basis points. Only what the API cannot say well is
 * checked here (a percentage that is not a number); the API's zod schema checks the rest.
 */
export function keyFromForm(form: FormData, prefix: string, m: Messages, locale: Locale): KeyFromForm {
  const words = m.costKeys;
  const values = Object.fromEntries(keyFieldNames(prefix).map((n) => [n, String(form.get(n) ?? '').trim()]));
  const fields: Record<string, string> = {};
  const simple = (kind: string, offering: string, metric: string, at: string): unknown => {
    if (kind === 'usage') {
      if (!offering) fields[`${at}.offering`] = words.chooseOffering;
      return { kind, offering, metric };
    }
    return { kind };
  };
  const kind = values[`${prefix}.kind`]!;
  if (kind === 'mix') {
    const parts: Array<{ key: unknown; basisPoints: number }> = [];
    const rowOfPart: number[] = [];
    for (let i = 0; i < MIX_ROWS; i++) {
      const at = `${prefix}.mix.${i}`;
      const rowKind = values[`${at}.kind`]!;
      const percent = values[`${at}.percent`]!;
      if (!rowKind && !percent) continue;
      if (!rowKind) { fields[`${at}.kind`] = words.chooseKind; continue; }
      const basisPoints = parsePercent(percent);
      if (basisPoints === null || basisPoints <= 0) { fields[`${at}.percent`] = words.invalidPercent; continue; }
      parts.push({ key: simple(rowKind, values[`${at}.offering`]!, values[`${at}.metric`]!, at), basisPoints });
      rowOfPart.push(i);
    }
    if (Object.keys(fields).length === 0) {
      if (parts.length < 2) fields[`${prefix}.mix`] = words.mixTooFew;
      else {
        const total = parts.reduce((s, p) => s + p.basisPoints, 0);
        if (total !== 10_000) fields[`${prefix}.mix`] = words.mixTotal(basisPointsToPercent(locale, total));
      }
    }
    return { key: { kind, parts }, values, fields, rowOfPart };
  }
  if (!(SIMPLE_KINDS as readonly string[]).includes(kind)) {
    fields[`${prefix}.kind`] = words.chooseKind;
    return { key: null, values, fields, rowOfPart: [] };
  }
  return { key: simple(kind, values[`${prefix}.offering`]!, values[`${prefix}.metric`]!, prefix), values, fields, rowOfPart: [] };
}

/**
 * Moves the API's errors about a key (paths under `apiPath`, e.g. `key` or `changes.2.key`) to the
 * builder's field names under `prefix`; other paths are left as they are.
 */
export function mapKeyErrors(apiFields: Record<string, string>, apiPath: string, prefix: string, rowOfPart: number[]): Record<string, string> {
  const mapped: Record<string, string> = {};
  for (const [path, message] of Object.entries(apiFields)) {
    let name = path;
    if (path === apiPath || path === `${apiPath}.kind`) name = `${prefix}.kind`;
    else if (path === `${apiPath}.offering` || path === `${apiPath}.metric`) name = `${prefix}${path.slice(apiPath.length)}`;
    else if (path === `${apiPath}.parts`) name = `${prefix}.mix`;
    else if (path.startsWith(`${apiPath}.parts.`)) {
      const [index, ...rest] = path.slice(`${apiPath}.parts.`.length).split('.');
      const row = rowOfPart[Number(index)] ?? 0;
      const leaf = rest.at(-1);
      name = `${prefix}.mix.${row}.${leaf === 'basisPoints' ? 'percent' : leaf === 'offering' || leaf === 'metric' ? leaf : 'kind'}`;
    }
    mapped[name] ??= message;
  }
  return mapped;
}
