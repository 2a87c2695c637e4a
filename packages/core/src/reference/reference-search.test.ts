import { describe, expect, it } from 'vitest';
import { referenceCommunes, referenceEpcis } from './communes.reference.ts';
import { searchReference } from './reference-search.ts';

describe('the official reference', () => {
  it('holds every current commune and EPCI, with the populations of the reference', () => {
    expect(referenceCommunes().size).toBe(34_969);
    expect(referenceEpcis().size).toBe(1_255);
    const total = [...referenceCommunes().values()].reduce((sum, c) => sum + c.population, 0);
    expect(total).toBeGreaterThan(68_000_000);
    expect(referenceCommunes().get('69256')).toMatchObject({ name: 'Vaulx-en-Velin', siren: '216902569', departement: '69', epci: { siren: '200046977', name: 'Métropole de Lyon' } });
  });
});

describe('searchReference', () => {
  const names = (q: string, limit = 20) => searchReference(q, limit).map((h) => h.name);

  it('finds a commune by the start of its name, case and accents ignored', () => {
    expect(names('vaulx')).toContain('Vaulx-en-Velin');
    expect(names('VENISSIEUX')[0]).toBe('Vénissieux');
    expect(names('décines')[0]).toBe('Décines-Charpieu');
  });

  it('"st" finds "Saint", "ste" finds "Sainte"', () => {
    expect(names('st fons')).toEqual(['Saint-Fons']);
    expect(names('ste foy les lyon')[0]).toBe('Sainte-Foy-lès-Lyon');
  });

  it('ranks an exact name first, then by population', () => {
    const hits = searchReference('saint etienne', 5);
    expect(hits[0]).toMatchObject({ kind: 'commune', inseeCode: '42218' });
    const rest = hits.slice(1).map((h) => h.population);
    expect(rest).toEqual([...rest].sort((a, b) => b - a));
  });

  it('finds by INSEE code, postal code and SIREN', () => {
    expect(searchReference('69256')[0]).toMatchObject({ name: 'Vaulx-en-Velin' });
    expect(searchReference('69120').map((h) => h.name)).toContain('Vaulx-en-Velin');
    expect(searchReference('216902569')[0]).toMatchObject({ name: 'Vaulx-en-Velin' });
    expect(searchReference('2A004')[0]).toMatchObject({ name: 'Ajaccio' });
  });

  it('finds EPCIs by name or SIREN, with their number of communes', () => {
    expect(searchReference('metropole de lyon')[0]).toMatchObject({ kind: 'epci', siren: '200046977', memberCount: 58 });
    expect(searchReference('200046977')[0]).toMatchObject({ kind: 'epci', name: 'Métropole de Lyon' });
  });

  it('returns nothing for nothing, and respects the limit', () => {
    expect(searchReference('   ')).toEqual([]);
    expect(searchReference('zzzzqqq')).toEqual([]);
    expect(searchReference('saint', 7)).toHaveLength(7);
  });
});
