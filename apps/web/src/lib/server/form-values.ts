/**
 * A form's whole-number field: empty means "not given"; letters or decimals reach the API as NaN
 * or a fraction, which it refuses with a sentence next to the field.
 */
export function intOrUndefined(value: FormDataEntryValue | null): number | undefined {
  const text = String(value ?? '').trim();
  if (text === '') return undefined;
  return /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
}
