import { describe, expect, it } from 'vitest';
import { daysInYear, membershipDays } from './prorata.ts';

describe('prorata temporis', () => {
  it('a member joining on 1 July of a non-leap year belongs 184 of its 365 days', () => {
    expect(daysInYear(2027)).toBe(365);
    expect(membershipDays(2027, [{ startsOn: '2027-07-01', endsOn: null }])).toBe(184);
  });

  it('counts leap years, departures (last day included), earlier and later years, and overlapping spans once', () => {
    expect(daysInYear(2028)).toBe(366);
    expect(membershipDays(2028, [{ startsOn: '2020-03-15', endsOn: null }])).toBe(366);
    expect(membershipDays(2027, [{ startsOn: '2020-01-01', endsOn: '2027-01-31' }])).toBe(31);
    expect(membershipDays(2027, [{ startsOn: '2028-01-01', endsOn: null }])).toBe(0);
    expect(membershipDays(2027, [{ startsOn: '2026-01-01', endsOn: '2026-12-31' }])).toBe(0);
    expect(membershipDays(2027, [{ startsOn: '2027-01-01', endsOn: '2027-01-10' }, { startsOn: '2027-01-05', endsOn: '2027-01-20' }])).toBe(20);
  });

  it('refuses what is not a calendar date', () => {
    expect(() => membershipDays(2027, [{ startsOn: '2027-02-30x', endsOn: null }])).toThrow(/calendar date/);
  });
});
