import { describe, expect, it } from 'vitest';
import { isValidSiren, searchReferenceInput, sirenSchema } from './members.schema.ts';

describe('SIREN', () => {
  it('accepts real SIRENs (Luhn check digit) and refuses a wrong digit', () => {
    for (const siren of ['216902569', '216902593', '200046977']) expect(isValidSiren(siren)).toBe(true);
    for (const siren of ['216902568', '123456789', '21690256', '2169025690', 'abcdefghi']) expect(isValidSiren(siren)).toBe(false);
  });

  it('ignores spaces people type, and says what is wrong otherwise', () => {
    expect(sirenSchema.parse(' 216 902 569 ')).toBe('216902569');
    expect(sirenSchema.safeParse('21690256').error?.issues[0]?.message).toMatch(/9 chiffres/);
    expect(sirenSchema.safeParse('216902568').error?.issues[0]?.message).toMatch(/clé de contrôle/);
  });
});

describe('searchReferenceInput', () => {
  it('refuses an empty or too long query with a sentence', () => {
    expect(searchReferenceInput.safeParse({ query: '  ' }).error?.issues[0]?.message).toMatch(/Saisissez/);
    expect(searchReferenceInput.safeParse({ query: 'x'.repeat(101) }).success).toBe(false);
    expect(searchReferenceInput.parse({ query: ' vaulx ' })).toEqual({ query: 'vaulx', limit: 20 });
  });
});
